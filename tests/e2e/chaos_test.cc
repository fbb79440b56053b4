#include <catch.hpp>

#include <random>

#include "e2e_util.h"

using namespace ksearch;
using namespace ksearch::e2e;
using namespace std::chrono_literals;

// The daemon is killed with SIGKILL at random moments (at least 20 times) and
// restarted each time. At the end: every attempt has exactly one terminal
// verdict, none is lost or duplicated, the hash chain verifies, and the
// campaign finishes.
TEST_CASE("chaos: 20 SIGKILLs during a campaign lose and duplicate nothing", "[e2e][daemon][fault][chaos]") {
  DaemonProcess d("chaos");
  REQUIRE(d.Start());
  // Interrupted attempts count against the attempt budget, so it leaves room
  // for the 20 kills plus real progress.
  REQUIRE(d.StartCampaign(TunerCampaign("e2e-chaos", 40)).status == 201);
  std::mt19937 rng(20261122);
  int kills = 0;
  for (; kills < 20; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 2700));
    d.Kill();
    REQUIRE(d.Start());
  }
  auto status = WaitFor(d, "e2e-chaos", [](const nlohmann::json& s) { return s.value("state", "") == "finished"; },
                        900s);
  INFO(status.dump(2));
  CHECK(kills == 20);
  CHECK(status.value("state", "") == "finished");
  CHECK(d.Stop() == 0);

  LogAudit audit = CheckLogIntact(d);
  CHECK(audit.started > 0);
  // Work got done between the kills: more than the seed reached a verdict
  // other than interrupted.
  int completed = 0;
  for (const auto& [verdict, n] : audit.verdicts)
    if (verdict != "interrupted") completed += n;
  CHECK(completed >= 2);
  CHECK(audit.verdicts["interrupted"] >= 1);
}
