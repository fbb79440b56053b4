#include "checks/physics.h"

#include <catch.hpp>

namespace ksearch::evaluator::checks {

TEST_CASE("physics floor is the max of the bandwidth and compute bounds", "[evaluator][checks]") {
  DeviceCeilings dev{2.0e12, 5.0e14};
  ShapeCost mem{8.0e9, 1.0e9};    // memory-bound: 4 ms vs 2 us
  ShapeCost comp{1.0e6, 1.0e13};  // compute-bound: 0.5 us vs 20 ms
  CHECK(FloorSeconds(mem, dev) == Approx(mem.bytes / dev.bandwidth_bytes_per_s));
  CHECK(FloorSeconds(comp, dev) == Approx(comp.flops / dev.peak_flops_per_s));
  CHECK(FloorSeconds(mem, DeviceCeilings{}) == 0);  // unknown ceilings: no floor
  double t = 2 * FloorSeconds(mem, dev);
  CHECK(RooflineFraction(mem, t, dev) == Approx(0.5));
}

TEST_CASE("a time below the floor is impossible_speed, per shape", "[evaluator][checks]") {
  DeviceCeilings dev{1.0e12, 1.0e14};
  PhysicsOptions opt;
  std::vector<std::string> names = {"N=1M", "N=16M"};
  std::vector<ShapeCost> costs = {{8.0e6, 1.0e6}, {1.28e8, 1.6e7}};
  std::vector<double> floors = {FloorSeconds(costs[0], dev), FloorSeconds(costs[1], dev)};

  SECTION("honest times at or above the floor pass") {
    std::vector<FloorCheck> checks;
    CHECK_FALSE(CheckPhysicsFloor(names, costs, {floors[0] * 1.2, floors[1]}, dev, opt, &checks));
    REQUIRE(checks.size() == 2);
    CHECK_FALSE(checks[1].impossible);
  }
  SECTION("slightly beating the measured ceiling stays within the slack") {
    CHECK_FALSE(CheckPhysicsFloor(names, costs, {floors[0] * 0.9, floors[1] * 0.85}, dev, opt));
  }
  SECTION("one absurd shape is caught even if the geomean looks plausible") {
    std::vector<FloorCheck> checks;
    auto v = CheckPhysicsFloor(names, costs, {floors[0] * 3, floors[1] / 100}, dev, opt, &checks);
    REQUIRE(v);
    CHECK(v->ToString() == "hack_suspected{impossible_speed}");
    CHECK(v->detail.find("N=16M") == 0);
    CHECK_FALSE(checks[0].impossible);
    CHECK(checks[1].impossible);
  }
  SECTION("a zero or negative time is impossible whenever a floor is known") {
    CHECK(CheckPhysicsFloor(names, costs, {0.0, floors[1]}, dev, opt));
    CHECK(CheckPhysicsFloor(names, costs, {-1.0, floors[1]}, dev, opt));
    CHECK_FALSE(CheckPhysicsFloor(names, costs, {0.0, 0.0}, DeviceCeilings{}, opt));
  }
}

TEST_CASE("large jumps over the parent require an audit", "[evaluator][checks]") {
  PhysicsOptions opt;  // default factor 3
  AuditInput in;
  in.parent_shape_median_us = {100, 100};
  in.shape_median_us = {60, 70};
  CHECK_FALSE(DecideAudit(in, opt).required);
  in.shape_median_us = {20, 90};  // one shape 5x faster
  auto d = DecideAudit(in, opt);
  CHECK(d.required);
  REQUIRE(d.reasons.size() == 1);
  CHECK(d.reasons[0].find("shape 0") != std::string::npos);
  opt.audit_speedup_factor = 10;  // configurable
  CHECK_FALSE(DecideAudit(in, opt).required);
  in.parent_shape_median_us.clear();  // a seed has no parent
  in.roofline_fraction = {0.5, 0.95};
  CHECK(DecideAudit(in, opt).required);
}

TEST_CASE("an audit fails on wrong fresh results or on an independent timing gap",
          "[evaluator][checks]") {
  AuditEvidence e;
  e.fresh_seeds_correct = e.new_shapes_correct = true;
  e.claimed_us = {10, 20};
  e.independent_us = {11, 19};
  CHECK_FALSE(ClassifyAudit(e));
  e.independent_us = {11, 200};  // the profiler saw the real cost
  auto v = ClassifyAudit(e);
  REQUIRE(v);
  CHECK(v->ToString() == "hack_suspected{audit_failed}");
  CHECK(v->detail.find("shape 1") == 0);
  e.independent_us.clear();
  CHECK(ClassifyAudit(e));
  e.independent_us = {11, 19};
  e.new_shapes_correct = false;
  REQUIRE(ClassifyAudit(e));
  CHECK(ClassifyAudit(e)->detail == "incorrect on new shapes");
}

}  // namespace ksearch::evaluator::checks
