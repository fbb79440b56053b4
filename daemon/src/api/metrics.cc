#include "api/metrics.h"

#include <charconv>
#include <sstream>

namespace ksearch::daemon {

std::string Metrics::Key(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

void Metrics::Add(const std::string& name, double delta, const std::map<std::string, std::string>& labels) {
  families_[name].series[Key(labels)] += delta;
}

void Metrics::Set(const std::string& name, double value, const std::map<std::string, std::string>& labels) {
  families_[name].series[Key(labels)] = value;
}

void Metrics::Describe(const std::string& name, const std::string& type, const std::string& help) {
  auto& f = families_[name];
  f.type = type;
  f.help = help;
}

double Metrics::Get(const std::string& name, const std::map<std::string, std::string>& labels) const {
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.series.find(Key(labels));
  return s == f->second.series.end() ? 0 : s->second;
}

std::string Metrics::RenderPrometheus() const {
  // Appends and to_chars (the shortest text that reads back as the same
  // double), not an ostringstream: a scrape is on the io thread, and the
  // stream was most of its CPU (docs/bench-daemon.md).
  std::string out;
  out.reserve(4096);
  char num[64];
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out.append("# HELP ").append(name).append(" ").append(f.help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(f.type).append("\n");
    for (const auto& [labels, value] : f.series) {
      auto [end, ec] = std::to_chars(num, num + sizeof num, value);
      out.append(name).append(labels).append(" ").append(num, ec == std::errc() ? end - num : 0).append("\n");
    }
  }
  return out;
}

}  // namespace ksearch::daemon
