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
  GpuDiscovery found;
  found.found = gpus;
  auto slots = MakeSlots(found, 2);
  REQUIRE(slots.size() == 4);
  CHECK(slots[1].name == "gpu1");
  CHECK(slots[1].device == "1");
  CHECK(slots[3].kind == "host");
}

TEST_CASE("GPUs named in the config and not listed by nvidia-smi become slots out of service", "[workers][fault]") {
  // `gpus: [3]` on a machine without GPU 3 started a daemon with no GPU slot
  // and said nothing.
  const std::vector<GpuInfo> listed = ParseNvidiaSmi(
      "0, GPU-aaaa, NVIDIA H100 80GB HBM3, 81559, 34, 580.159.04\n"
      "1, GPU-bbbb, NVIDIA H100 80GB HBM3, 81559, 36, 580.159.04\n");
  GpuDiscovery d = SelectGpus(listed, "1,3,GPU-aaaa");
  REQUIRE(d.found.size() == 2);
  CHECK(d.found[0].index == "1");
  CHECK(d.found[1].index == "0");  // by UUID, in the order asked for
  CHECK(d.missing == std::vector<std::string>{"3"});
  CHECK(d.listed == "0, 1");

  auto slots = MakeSlots(d, 1);
  REQUIRE(slots.size() == 4);
  CHECK(slots[0].device == "1");
  CHECK(slots[0].out_of_service.empty());
  CHECK(slots[2].name == "gpu2");
  CHECK(slots[2].device == "3");
  CHECK(slots[2].out_of_service == "GPU 3 not found: nvidia-smi lists 0, 1");
  CHECK(slots[3].kind == "host");
  CHECK(slots[3].out_of_service.empty());

  // Every GPU, asked for with "": none missing.
  GpuDiscovery all = SelectGpus(listed, "");
  CHECK(all.found.size() == 2);
  CHECK(all.missing.empty());

  // No GPU listed, and nvidia-smi's failure carried into the reason.
  GpuDiscovery none = SelectGpus({}, "0");
  none.error = "nvidia-smi failed: exit 9: NVIDIA-SMI has failed";
  auto lone = MakeSlots(none, 0);
  REQUIRE(lone.size() == 1);
  CHECK(lone[0].out_of_service == "GPU 0 not found: nvidia-smi lists no GPU (nvidia-smi failed: exit 9: NVIDIA-SMI has failed)");
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
