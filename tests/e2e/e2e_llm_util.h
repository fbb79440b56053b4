// Helpers for the end-to-end tests that drive ksearchd with the fake LLM
// server: reading the log back, the endpoint block, the replies.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_llm_process.h"
#include "ksearch/core/event.h"
#include "ksearch/experiment_log/experiment_log.h"

namespace ksearch::e2e {

// The whole log and its blobs, read-only.
struct LogView {
  std::vector<Event> events;
  std::shared_ptr<experiment_log::ExperimentLog> log;  // open for Blob(); null if it did not open

  static LogView Read(const std::string& db) {
    LogView v;
    auto log = experiment_log::ExperimentLog::Open(db, {.read_only = true});
    if (!log.ok()) return v;
    v.log = std::move(*log);
    auto events = v.log->ReadEvents();
    if (events.ok()) v.events = std::move(*events);
    return v;
  }
  std::string Blob(const std::string& hash) const {
    if (hash.empty() || !log) return "";
    auto b = log->GetBlob(hash);
    return b.ok() ? *b : "";
  }
  // The prompt an llm_call records ("" when it cannot be read).
  std::string Prompt(const nlohmann::json& llm_call) const {
    if (!log) return "";
    auto p = experiment_log::LlmCallPrompt(*log, llm_call);
    return p.ok() ? *p : "";
  }
  std::vector<const Event*> Of(std::string_view kind, const std::string& attempt = "") const {
    std::vector<const Event*> out;
    for (const auto& e : events)
      if (e.kind == kind && (attempt.empty() || e.attempt_id == attempt)) out.push_back(&e);
    return out;
  }
  // attempt id -> payload of its attempt_started / attempt_finished.
  std::map<std::string, nlohmann::json> Started() const {
    std::map<std::string, nlohmann::json> m;
    for (const auto* e : Of(event_kind::kAttemptStarted)) m[e->attempt_id] = e->payload;
    return m;
  }
  std::map<std::string, nlohmann::json> Finished() const {
    std::map<std::string, nlohmann::json> m;
    for (const auto* e : Of(event_kind::kAttemptFinished)) m[e->attempt_id] = e->payload;
    return m;
  }
};

// One SEARCH/REPLACE reply, as the prompt asks for it.
inline std::string Patch(const std::string& summary, const std::string& search, const std::string& replace) {
  return "Summary: " + summary + "\n<<<<<<< SEARCH\n" + search + "\n=======\n" + replace + "\n>>>>>>> REPLACE\n";
}

inline nlohmann::json Reply(const std::string& text, const std::string& match = "") {
  nlohmann::json j{{"kind", "completion"}, {"text", text}};
  if (!match.empty()) j["match"] = match;
  return j;
}

}  // namespace ksearch::e2e
