// RunningTime: how long a campaign has been running, folded from its own
// events. The wall-time budget counts this, not the time since
// campaign_started: a campaign paused overnight, finished and later extended,
// or left while ksearchd was down, does not spend its budget meanwhile.
//
// Rules (docs/planner.md, "Wall time"):
// - campaign_started opens a running interval at its time;
// - a campaign_state other than "running" closes the open interval at its time;
//   a campaign_state "running" opens one (and leaves an open one as it is);
// - a campaign_state that carries `down_since_ms` (ksearchd writes one per
//   running campaign when it starts: the campaign's last event before the
//   daemon stopped) closes the open interval at that time instead: the
//   daemon was down from then until this event.
// Intervals count from event times, so a clock that stepped back gives an
// interval of 0, never a negative one. A pure function of the events, in log
// order; events of other kinds (and of other campaigns: the caller's filter)
// change nothing.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "ksearch/core/event.h"

namespace ksearch {

class RunningTime {
 public:
  void Observe(const Event& e);
  // Milliseconds spent running up to `now_ms` (Unix ms; only an open
  // interval reads it).
  int64_t RunningMs(int64_t now_ms) const;
  bool running() const { return running_; }

  // For snapshots (the planner's rebuild test compares them field by field).
  nlohmann::json ToJson() const;

 private:
  void Close(int64_t at_ms);

  bool started_ = false;
  bool running_ = false;
  int64_t since_ms_ = 0;   // start of the open interval (when running_)
  int64_t closed_ms_ = 0;  // sum of the closed intervals
};

}  // namespace ksearch
