// Issue #9 at the daemon level: ksearchd driven by the fake LLM server (a real
// process) through scripted repair sequences on the host backend:
//   a compile error fixed on the second turn, a wrong result fixed, and a
//   compile error whose two repairs fail, after which the lineage bound stops
//   repairing. Checked from the log: verdicts, lineage (repair_of, parent,
//   axis), the excerpts the repair prompts carried, the request count, and the
//   frontier / memory figures the API reports.
#include <catch.hpp>

#include <thread>

#include "e2e_llm_util.h"
#include "e2e_util.h"
#include "ksearch/core/verdict.h"

using namespace ksearch;
using namespace ksearch::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("repairs through the daemon: fixed compile error, fixed wrong result, two failed repairs stop",
          "[e2e][daemon][llm][repair]") {
  // Plain entries go to fresh proposals in order; an entry with `match` goes
  // to the repair prompt that quotes the failed source.
  std::vector<json> script = {
      Reply(Patch("accumulate the row sum from a named zero", "    float sum = 0.f;", "    float sum = zero_f;")),
      Reply(Patch("accumulate the row sum in double", "    float sum = zero_f;", "    double sum = 0.0;"),
            "zero_f;"),
      // (A change of a constant alone would be duplicate{machine_code}: the
      // machine-code hash ignores immediates.)
      Reply(Patch("guard the normalization against a zero sum", "    float inv = 1.f / sum;",
                  "    float inv = 1.f / (sum + 1.f);")),
      Reply(Patch("normalize with a double reciprocal", "    float inv = 1.f / (sum + 1.f);",
                  "    double inv = 1.0 / sum;"),
            "(sum + 1.f);"),
      Reply(Patch("start the max from a named constant", "    float mx = -INFINITY;", "    float mx = -INFINITE;")),
      Reply(Patch("use the float infinity", "    float mx = -INFINITE;", "    float mx = -INFINITY_F;"),
            "-INFINITE;"),
      Reply(Patch("use the limits constant", "    float mx = -INFINITY_F;", "    float mx = -FLT_INFINITY;"),
            "-INFINITY_F;"),
  };
  // Anything else: a patch that matches nothing (cheap, never evaluated).
  FakeLlmProcess fake("repair", script, Patch("no-op", "this line is not in the kernel", "x"));
  REQUIRE(fake.Start());
  DaemonProcess d("llm-repair", "proposals_per_slot: 1\nendpoints:\n" +
                                    fake.EndpointYaml("fake", "    timeout_s: 30\n    max_retries: 0\n"));
  REQUIRE(d.Start());
  const std::string id = "e2e-repair";
  auto started = d.StartCampaign("campaign_id: " + id +
                                 "\ntask: softmax\nbackend: host\narch: x86_64\n"
                                 "axes: [loop_unrolling, instruction_selection]\n"
                                 "proposers:\n  - {name: fake, weight: 1}\nislands: 1\n"
                                 "budgets: {attempts: 40, wall_seconds: 1200}\n"
                                 "repair: {max_per_lineage: 2, min_success_rate: 0.15}\n"
                                 "noise_threshold: 0.45\nseed: 5\n");  // wide: no re-measurements in the way
  INFO(started.raw);
  REQUIRE(started.status == 201);
  // Wait for eight finished LLM attempts (the scripted sequence), then stop
  // the campaign and let what is in flight finish.
  auto llm_finished = [&] {
    auto r = d.Call("GET", "/v1/campaigns/" + id + "/attempts?limit=200");
    int n = 0;
    if (r.status == 200)
      for (const auto& row : r.body["attempts"])
        n += row.value("proposer", "") == "fake" && !row.value("verdict", "").empty();
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + 600s;
  while (llm_finished() < 8 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(200ms);
  REQUIRE(llm_finished() >= 8);
  auto stop = d.Call("POST", "/v1/campaigns/" + id + "/stop");  // 409 when it already finished
  CHECK((stop.status == 200 || stop.status == 409));
  auto status = WaitFor(
      d, id, [](const json& s) { return s.value("state", "") != "running" && s.value("in_flight", 1) == 0; }, 300s);
  INFO(status.dump(2));
  CHECK(status.value("in_flight", 1) == 0);
  auto frontier = d.Call("GET", "/v1/campaigns/" + id + "/frontier");
  auto exported = d.Call("GET", "/v1/campaigns/" + id + "/export");
  CHECK(d.Stop() == 0);
  CHECK(fake.Stop() == 0);

  LogView log = LogView::Read(d.db());
  auto st = log.Started();
  auto fin = log.Finished();
  CHECK(st.size() == fin.size());
  // The LLM attempts in the order they started; the seed's own evaluations
  // (proposer "seed") come first.
  std::vector<std::string> L;
  std::string seed;
  for (const auto* e : log.Of(event_kind::kAttemptStarted)) {
    if (e->payload.value("proposer", "") == "fake") L.push_back(e->attempt_id);
    else if (seed.empty()) seed = fin[e->attempt_id].value("candidate", "");
  }
  std::string trace;
  for (const auto& aid : L) trace += aid + " " + st[aid].dump() + "\n  -> " + fin[aid].value("verdict", "") + " " +
                                     fin[aid].value("detail", "").substr(0, 160) + "\n";
  INFO(trace);
  REQUIRE(L.size() >= 8);
  REQUIRE(!seed.empty());
  auto a = [&](int n) { return L[n - 2]; };  // numbered as in the scenario: a2..a9

  // The prompts: one call per LLM attempt, the repair ones with the excerpt.
  auto prompt = [&](int n) {
    auto calls = log.Of(event_kind::kLlmCall, a(n));
    REQUIRE(calls.size() == 1);
    CHECK(calls[0]->payload.value("error", "x") == "");
    return log.Prompt(calls[0]->payload);
  };
  std::string p2 = prompt(2), p3 = prompt(3), p5 = prompt(5), p7 = prompt(7), p8 = prompt(8);
  CHECK_FALSE(Has(p2, "failed with"));
  CHECK(Has(p3, "failed with compile_error"));
  CHECK(Has(p3, "Failure evidence"));
  CHECK(Has(p3, "zero_f"));                      // the compiler's diagnostic...
  CHECK(Has(p3, "was not declared"));
  CHECK(Has(p3, "|     float sum = zero_f;"));   // ...on the candidate's own numbered line
  CHECK(Has(p5, "failed with incorrect"));
  CHECK(Has(p5, "FAIL shape="));                 // the failing validation records,
  CHECK(Has(p5, "rel_error_norm="));             // with their error figures
  CHECK(Has(p5, "max_abs_error="));
  CHECK(Has(p5, "first failing at "));          // and the element itself, got against want
  CHECK(Has(p5, ", want "));
  CHECK(Has(p7, "|     float mx = -INFINITE;"));
  CHECK(Has(p8, "|     float mx = -INFINITY_F;"));

  // Every request the server saw is one llm_call in the log, none lost.
  CHECK(fake.Requests().size() == log.Of(event_kind::kLlmCall).size());
  CHECK(log.Of(event_kind::kLlmCall).size() >= 8);

  // Frontier and memory as the API reports them.
  REQUIRE(frontier.status == 200);
  INFO(frontier.body.dump(1));
  int seed_pairs = 0;
  for (const auto& f : frontier.body["frontier"])
    if (f.value("candidate", "") == seed) seed_pairs += f.value("attempts", 0);
  CHECK(seed_pairs >= 4);  // the fresh attempts on the seed's pairs (a2, a4, a6, a9)
  REQUIRE(exported.status == 200);
  std::map<std::string, int> dead;
  for (const auto& de : exported.body["memory"]["dead_ends"])
    dead[de.value("failure_class", "")] += de.value("count", 0);
  INFO(exported.body["memory"].dump(1));
  CHECK(dead["compile_error"] >= 2);
  CheckLogIntact(d);
}
