// Small constructors for the events the service appends (private header).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ksearch/core/event.h"

namespace ksearch::daemon {

// The state_reason prefixes of the pauses the daemon makes by itself, which it
// also ends by itself (docs/daemon.md): a log write the log refused (in memory
// only), infrastructure errors in a row (logged), and a campaign a start
// could not rebuild (logged).
inline constexpr std::string_view kRefusedWriteReason = "log write failed: ";
inline constexpr std::string_view kInfraPauseReason = "infrastructure: ";
// A campaign a start could not rebuild (its spec no longer fits the axis
// catalogue or the build): paused, logged; the next start that rebuilds it resumes it.
inline constexpr std::string_view kUnbuiltReason = "cannot be rebuilt: ";

inline Event MakeEvent(const std::string& campaign, const std::string& attempt, std::string_view kind,
                       nlohmann::json payload) {
  Event e;
  e.campaign_id = campaign;
  e.attempt_id = attempt;
  e.kind = std::string(kind);
  e.payload = std::move(payload);
  return e;
}

// A campaign's state change (running, paused, stopped) with its reason.
inline Event StateEvent(const std::string& campaign, const std::string& state, const std::string& reason) {
  return MakeEvent(campaign, "", event_kind::kCampaignState, nlohmann::json{{"state", state}, {"reason", reason}});
}

// The terminal event of an attempt that never reached a verdict of its own.
// `started` is the attempt's attempt_started payload; its identity fields are
// carried over so views need not join.
inline Event InterruptedEvent(const std::string& campaign, const std::string& attempt,
                              const nlohmann::json& started, const std::string& reason,
                              const std::string& detail) {
  return MakeEvent(campaign, attempt, event_kind::kAttemptFinished,
                   nlohmann::json{{"verdict", "interrupted{" + reason + "}"},
                                  {"detail", detail},
                                  {"parent", started.value("parent", "")},
                                  {"axis", started.value("axis", "")},
                                  {"proposer", started.value("proposer", "")},
                                  {"island", started.value("island", 0)},
                                  {"repair_of", started.value("repair_of", "")},
                                  {"time_us", 0.0}});
}

}  // namespace ksearch::daemon
