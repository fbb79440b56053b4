// Test helpers: temporary directories and hand-built event sequences.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/event.h"

namespace ksearch::experiment_log::testing {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Event CampaignStarted(const std::string& campaign, const std::string& task, const std::string& arch,
                      const std::vector<std::string>& axes, const std::string& seed = "seed");

struct AttemptSpec {
  std::string attempt;
  std::string parent;
  std::string axis;
  std::string verdict;     // "" leaves the attempt in flight (no attempt_finished)
  std::string candidate;   // "" for failures
  double time_us = 0;
  double speedup = 0;      // vs parent
  std::string detail;
  int stages = 2;          // attempt_stage events between start and finish
  int64_t time_ms = 0;     // 0: the log assigns
};

// attempt_started, `stages` attempt_stage events, then attempt_finished (if verdict set).
std::vector<Event> AttemptEvents(const std::string& campaign, const AttemptSpec& a);

}  // namespace ksearch::experiment_log::testing
