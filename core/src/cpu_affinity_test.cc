#include <catch.hpp>

#include <fstream>
#include <string>
#include <thread>

#include "ksearch/core/cpu_affinity.h"
#include "ksearch/core/process.h"

using namespace ksearch;

TEST_CASE("CPU lists parse and print in the kernel's format", "[core][cpu]") {
  auto l = ParseCpuList("0-3, 8,10-11,2");
  REQUIRE(l.ok());
  CHECK(*l == std::vector<int>{0, 1, 2, 3, 8, 10, 11});
  CHECK(FormatCpuList(*l) == "0-3,8,10-11");
  CHECK(FormatCpuList({5}) == "5");
  CHECK(FormatCpuList({}).empty());
  for (const char* bad : {"", "a", "3-1", "1,", "-2", "1-", "99999"}) {
    INFO(bad);
    auto r = ParseCpuList(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("CPU list '" + std::string(bad) + "'") == 0);
  }
}

namespace {
// The Cpus_allowed_list line of a child started by `launcher`.
std::string ChildCpus(PosixProcessLauncher& launcher) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status"};
  ProcessResult r = launcher.Run(spec);
  REQUIRE(r.Succeeded());
  std::string out = r.stdout_data;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}
}  // namespace

TEST_CASE("a pinned thread runs where it was pinned and its children where the launcher says",
          "[core][cpu][process]") {
  auto allowed = AllowedCpus();
  REQUIRE(allowed.ok());
  REQUIRE_FALSE(allowed->empty());
  // In a thread of its own: the test process keeps its CPUs.
  std::thread t([&] {
    const int mine = allowed->back();
    REQUIRE(PinCallingThread({mine}).ok());
    auto now = AllowedCpus();
    REQUIRE(now.ok());
    CHECK(*now == std::vector<int>{mine});

    PosixProcessLauncher inherit;  // no child CPUs set: the child inherits the pinned thread's
    CHECK(ChildCpus(inherit) == std::to_string(mine));

    PosixProcessLauncher apart;
    std::vector<int> rest(allowed->begin(), allowed->end() - 1);
    if (rest.empty()) rest = {mine};  // a one-CPU machine: the child can only go where it is
    apart.SetChildCpus(rest);
    CHECK(ChildCpus(apart) == FormatCpuList(rest));
  });
  t.join();
  auto after = AllowedCpus();
  REQUIRE(after.ok());
  CHECK(*after == *allowed);

  auto refused = PinCallingThread({100000});
  CHECK_FALSE(refused.ok());
}
