// Metrics: counters and gauges rendered in the Prometheus text format.
// Threading: only touched on the daemon's io thread.
#pragma once

#include <map>
#include <string>

namespace ksearch::daemon {

class Metrics {
 public:
  // name must match [a-z_][a-z0-9_]*; labels as {"verdict","slower"} pairs.
  void Add(const std::string& name, double delta, const std::map<std::string, std::string>& labels = {});
  void Set(const std::string& name, double value, const std::map<std::string, std::string>& labels = {});
  void Describe(const std::string& name, const std::string& type, const std::string& help);
  double Get(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
  std::string RenderPrometheus() const;

 private:
  static std::string Key(const std::map<std::string, std::string>& labels);
  struct Family {
    std::string type = "gauge";
    std::string help;
    std::map<std::string, double> series;  // rendered label set -> value
  };
  std::map<std::string, Family> families_;
};

}  // namespace ksearch::daemon
