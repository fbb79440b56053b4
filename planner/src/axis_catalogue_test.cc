#include <catch.hpp>

#include <cstdlib>

#include "ksearch/planner/axis_catalogue.h"

using ksearch::planner::AxisCatalogue;

TEST_CASE("shipped configs/axes.yaml loads and is consistent", "[planner]") {
  const char* dir = std::getenv("KSEARCH_SOURCE_DIR");
  if (dir == nullptr) dir = KSEARCH_SOURCE_DIR_DEFAULT;  // run outside ctest
  auto c = AxisCatalogue::Load(std::string(dir) + "/configs/axes.yaml");
  REQUIRE(c.ok());
  CHECK(c->axes().size() >= 12);
  const auto* t = c->Find("parameter_tuning");
  REQUIRE(t != nullptr);
  CHECK(t->tuner_only);
  // tensor cores do not apply on the host backend, vectorized access does.
  auto host = c->Restrict({}, {}, "x86_64");
  REQUIRE(host.ok());
  CHECK(host->Find("tensor_core_instructions") == nullptr);
  CHECK(host->Find("vectorized_access") != nullptr);
  auto hopper = c->Restrict({}, {"precision"}, "sm_90");
  REQUIRE(hopper.ok());
  CHECK(hopper->Find("async_copy_pipelining") != nullptr);
  CHECK(hopper->Find("precision") == nullptr);
  // Neighbours outside the restriction are dropped.
  for (const auto& a : hopper->axes())
    for (const auto& n : a.neighbours) CHECK(hopper->Find(n) != nullptr);
}

TEST_CASE("axis catalogue errors name file, line and key", "[planner]") {
  const std::string head = "axes:\n  - name: a_one\n    description: d\n    archs: ['*']\n";
  SECTION("unknown neighbour") {
    auto r = AxisCatalogue::Parse(head + "    neighbours: [nope]\n", "axes.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          "axes.yaml:5: axes[0].neighbours: unknown axis 'nope'");
  }
  SECTION("unknown bottleneck class") {
    auto r = AxisCatalogue::Parse(head + "    bottlenecks: [memroy]\n", "axes.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("axes.yaml:5: axes[0].bottlenecks: unknown class 'memroy'") == 0);
  }
  SECTION("unknown key") {
    auto r = AxisCatalogue::Parse(head + "    skils: [x]\n", "axes.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("axes.yaml:5: axes[0].skils: unknown key") == 0);
  }
  SECTION("duplicate name") {
    auto r = AxisCatalogue::Parse(head + "  - name: a_one\n    description: e\n    archs: ['*']\n",
                                  "axes.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("duplicate axis 'a_one'") != std::string::npos);
    CHECK(r.status().message().find("axes.yaml:2:") == 0);
  }
  SECTION("missing description") {
    auto r = AxisCatalogue::Parse("axes:\n  - name: a_one\n    archs: ['*']\n", "axes.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("axes[0].description: required key is missing") !=
          std::string::npos);
  }
  SECTION("restrict to an unknown axis") {
    auto c = AxisCatalogue::Parse(head, "axes.yaml");
    REQUIRE(c.ok());
    auto r = c->Restrict({"b_two"}, {}, "sm_90");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "axes: unknown axis 'b_two'");
  }
}
