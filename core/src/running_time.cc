#include "ksearch/core/running_time.h"

#include <algorithm>

namespace ksearch {

void RunningTime::Close(int64_t at_ms) {
  if (running_) closed_ms_ += std::max<int64_t>(0, at_ms - since_ms_);
  running_ = false;
}

void RunningTime::Observe(const Event& e) {
  if (e.kind == event_kind::kCampaignStarted) {
    if (started_) return;  // a second campaign_started is ignored, as every fold does
    started_ = running_ = true;
    since_ms_ = e.time_ms;
    return;
  }
  if (e.kind != event_kind::kCampaignState || !started_) return;
  const nlohmann::json& p = e.payload;
  const auto down = p.find("down_since_ms");
  // A down_since_ms later than the event itself would be a malformed record:
  // the event's time bounds it.
  if (down != p.end() && down->is_number_integer()) Close(std::min(down->get<int64_t>(), e.time_ms));
  const auto state = p.find("state");
  const bool to_running = state != p.end() && state->is_string() && *state == "running";
  if (!to_running) {
    Close(e.time_ms);
  } else if (!running_) {
    running_ = true;
    since_ms_ = e.time_ms;
  }
}

int64_t RunningTime::RunningMs(int64_t now_ms) const {
  return closed_ms_ + (running_ ? std::max<int64_t>(0, now_ms - since_ms_) : 0);
}

nlohmann::json RunningTime::ToJson() const {
  return {{"running", running_}, {"since_ms", since_ms_}, {"closed_ms", closed_ms_}};
}

}  // namespace ksearch
