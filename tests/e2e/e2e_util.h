// Helpers shared by the end-to-end tests.
#pragma once

#include <catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "daemon_process.h"
#include "ksearch/core/event.h"
#include "ksearch/experiment_log/experiment_log.h"

namespace ksearch::e2e {

inline std::string TunerCampaign(const std::string& id, int attempts) {
  return "campaign_id: " + id +
         "\ntask: softmax\nbackend: host\narch: x86_64\naxes: [parameter_tuning]\n"
         "proposers:\n  - {name: tuner, weight: 1}\nislands: 1\n"
         "budgets:\n  attempts: " + std::to_string(attempts) +
         "\n  wall_seconds: 1200\nnoise_threshold: 0.05\nseed: 3\n";
}

// Polls the campaign until `pred(status)` or `timeout`; returns the last status.
template <typename Pred>
nlohmann::json WaitFor(DaemonProcess& d, const std::string& id, Pred pred, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = d.Call("GET", "/v1/campaigns/" + id);
    if (r.status == 200) {
      last = r.body;
      if (pred(last)) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

// Every attempt_started has exactly one attempt_finished, and no terminal event
// lacks its start.
struct LogAudit {
  int started = 0, finished = 0, orphans = 0, duplicates = 0, unfinished = 0;
  std::map<std::string, int> verdicts;
};

inline LogAudit AuditLog(const std::string& db) {
  LogAudit a;
  auto log = experiment_log::ExperimentLog::Open(db, {.read_only = true});
  if (!log.ok()) return a;
  auto events = (*log)->ReadEvents();
  if (!events.ok()) return a;
  std::map<std::string, int> started, finished;
  for (const auto& e : *events) {
    if (e.kind == event_kind::kAttemptStarted) started[e.attempt_id]++;
    if (e.kind == event_kind::kAttemptFinished) {
      finished[e.attempt_id]++;
      std::string v = e.payload.value("verdict", "");
      a.verdicts[v.substr(0, v.find('{'))]++;
    }
  }
  a.started = static_cast<int>(started.size());
  a.finished = static_cast<int>(finished.size());
  for (const auto& [id, n] : started) {
    if (n != 1) a.duplicates++;
    if (!finished.count(id)) a.unfinished++;
  }
  for (const auto& [id, n] : finished) {
    if (n != 1) a.duplicates++;
    if (!started.count(id)) a.orphans++;
  }
  return a;
}

// After the daemon stopped: `ksearch log verify` passes on its database and
// every attempt has exactly one start and one terminal verdict.
inline LogAudit CheckLogIntact(const DaemonProcess& d) {
  int rc = -1;
  std::string out = d.RunCli({"log", "verify", "--db", d.db()}, &rc);
  INFO(out);
  CHECK(rc == 0);
  LogAudit audit = AuditLog(d.db());
  CHECK(audit.unfinished == 0);
  CHECK(audit.duplicates == 0);
  CHECK(audit.orphans == 0);
  CHECK(audit.started == audit.finished);
  return audit;
}

}  // namespace ksearch::e2e
