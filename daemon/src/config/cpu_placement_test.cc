#include <catch.hpp>

#include "config/cpu_placement.h"

using namespace ksearch::daemon;

TEST_CASE("workers.daemon_cpus: unset leaves every thread to the kernel", "[daemon][config]") {
  auto p = PlanCpuPlacement("", {0, 1, 2, 3});
  REQUIRE(p.ok());
  CHECK(p->daemon.empty());
  CHECK(p->children.empty());
}

TEST_CASE("workers.daemon_cpus: auto sets the highest CPU apart when there are at least 4", "[daemon][config]") {
  auto many = PlanCpuPlacement("auto", {0, 1, 2, 3, 8, 9});
  REQUIRE(many.ok());
  CHECK(many->daemon == std::vector<int>{9});
  CHECK(many->children == std::vector<int>{0, 1, 2, 3, 8});
  auto few = PlanCpuPlacement("auto", {0, 1, 2});  // too few: not pinned, not an error
  REQUIRE(few.ok());
  CHECK(few->daemon.empty());
  CHECK(few->children.empty());
}

TEST_CASE("workers.daemon_cpus: a list must be allowed and leave CPUs for the children",
          "[daemon][config][fault]") {
  auto two = PlanCpuPlacement("2-3", {0, 1, 2, 3});
  REQUIRE(two.ok());
  CHECK(two->daemon == std::vector<int>{2, 3});
  CHECK(two->children == std::vector<int>{0, 1});

  auto outside = PlanCpuPlacement("5", {0, 1, 2, 3});
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.status().message() == "workers.daemon_cpus: CPU 5 is not one this daemon may use (0-3)");

  auto all = PlanCpuPlacement("0-1", {0, 1});
  REQUIRE_FALSE(all.ok());
  CHECK(all.status().message().find("leaves no CPU for compilers and evaluations") != std::string::npos);

  auto bad = PlanCpuPlacement("1,x", {0, 1});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("workers.daemon_cpus") != std::string::npos);
  CHECK(bad.status().message().find("'x'") != std::string::npos);
}
