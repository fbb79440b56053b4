#include <catch.hpp>

#include "ksearch/workers/devices.h"

using namespace ksearch;
using namespace ksearch::workers;

TEST_CASE("nvidia-smi csv is parsed; junk lines are skipped", "[workers]") {
  std::string csv =
      "0, GPU-aaaa, NVIDIA H100 80GB HBM3, 81559, 34, 570.86.15\n"
      "No devices were found\n"
      "1, GPU-bbbb, NVIDIA H100 80GB HBM3, 81559, 36, 570.86.15\n";
  auto gpus = ParseNvidiaSmi(csv);
  REQUIRE(gpus.size() == 2);
  CHECK(gpus[1].index == "1");
  CHECK(gpus[1].uuid == "GPU-bbbb");
  CHECK(gpus[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(gpus[0].memory_mib == 81559);
  auto slots = MakeSlots(gpus, 2);
  REQUIRE(slots.size() == 4);
  CHECK(slots[1].name == "gpu1");
  CHECK(slots[1].device == "1");
  CHECK(slots[3].kind == "host");
}

TEST_CASE("the canary takes a drifting or failing GPU out of service", "[workers][fault]") {
  CanaryMonitor monitor(CanaryPolicy{.max_drift = 0.10});
  RunResult ok;
  ok.verdict = {VerdictKind::kNoGain, "", ""};
  ok.time_us = 100;
  CHECK(monitor.Observe("gpu0", ok).empty());
  ok.time_us = 105;
  CHECK(monitor.Observe("gpu0", ok).empty());
  ok.time_us = 125;
  CHECK(monitor.Observe("gpu0", ok).find("drifted 25%") != std::string::npos);
  RunResult crashed;
  crashed.verdict = {VerdictKind::kCrash, "", "illegal address"};
  CHECK(monitor.Observe("gpu1", crashed).find("canary failed: crash") == 0);
}
