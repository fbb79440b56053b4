#include <catch.hpp>

#include <set>

#include "ksearch/planner/novelty.h"
#include "ksearch/planner/tuner_proposer.h"

using namespace ksearch::planner;

namespace {
const std::string kSrc =
    "#define BLOCK 256 // ksearch:tune {64,128,256,512,1024}\n"
    "#define UNROLL 1 // ksearch:tune {1,2,4}\n"
    "__global__ void k() {}\n";

Proposal Run(const std::string& src, const std::set<std::string>& known, uint64_t seed) {
  TunerProposer t;
  ProposalRequest req;
  req.parent_source = src;
  req.known_source_hashes = &known;
  req.seed = seed;
  Proposal out;
  bool called = false;
  t.Propose(req, [&](Proposal p) { out = std::move(p); called = true; });
  REQUIRE(called);  // the tuner completes synchronously
  return out;
}
}  // namespace

TEST_CASE("tunables are parsed from marks", "[planner][tuner]") {
  auto t = ParseTunables(kSrc);
  REQUIRE(t.ok());
  REQUIRE(t->size() == 2);
  CHECK((*t)[0].name == "BLOCK");
  CHECK((*t)[0].current == 2);
  CHECK((*t)[1].values == std::vector<std::string>{"1", "2", "4"});
  CHECK(ParseTunables("#define B 100 // ksearch:tune {64,128}\n").status().message() ==
        "line 1: B: current value 100 is not in {64,128}");
  CHECK(ParseTunables("x\nint b = 3; // ksearch:tune {1,2}\n").status().message().find("line 2:") == 0);
}

TEST_CASE("tuner proposes one neighbouring value of one tunable", "[planner][tuner]") {
  Proposal p = Run(kSrc, {}, 3);
  REQUIRE(p.ok());
  auto before = *ParseTunables(kSrc);
  auto after = *ParseTunables(p.source);
  int changed = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i].current == after[i].current) continue;
    ++changed;
    CHECK((after[i].current + 1 == before[i].current || after[i].current == before[i].current + 1));
  }
  CHECK(changed == 1);
  CHECK(p.change_summary.rfind("tune ", 0) == 0);
  CHECK(p.source.find("// ksearch:tune {64,128,256,512,1024}") != std::string::npos);
}

TEST_CASE("tuner never repeats a tried configuration", "[planner][tuner]") {
  // Neighbours of (256, 1): (128,1) (512,1) (256,2) -> exactly 3 distinct proposals.
  std::set<std::string> known = {NormalizedSourceHash(kSrc)};
  for (int i = 0; i < 3; ++i) {
    Proposal p = Run(kSrc, known, static_cast<uint64_t>(i));
    REQUIRE(p.ok());
    std::string h = NormalizedSourceHash(p.source);
    CHECK(known.count(h) == 0);
    known.insert(h);
  }
  Proposal done = Run(kSrc, known, 99);
  CHECK_FALSE(done.ok());
  CHECK(done.failure == ProposalFailureKind::kPatchFailed);
  CHECK(done.failure_reason.find("every neighbouring configuration (3) has been tried") !=
        std::string::npos);
  CHECK(done.ToVerdict().ToString() == "proposal_failed{patch_failed}");
}

TEST_CASE("tuner without marks fails with a reason", "[planner][tuner]") {
  Proposal p = Run("__global__ void k() {}\n", {}, 1);
  CHECK(p.failure == ProposalFailureKind::kPatchFailed);
  CHECK(p.failure_reason == "tuner: the source has no ksearch:tune marks");
}

TEST_CASE("TunerNeighbourHashes lists exactly what the tuner can propose", "[planner][tuner]") {
  std::vector<std::string> listed = TunerNeighbourHashes(kSrc);
  std::set<std::string> neighbours(listed.begin(), listed.end());
  CHECK(listed.size() == 3);  // (128,1) (512,1) (256,2)
  CHECK(neighbours.size() == 3);
  CHECK_FALSE(neighbours.count(NormalizedSourceHash(kSrc)));
  // Every proposal is one of them, and once they are all known the tuner has
  // nothing left: the planner can close the pair from the list alone.
  std::set<std::string> known;
  for (int i = 0; i < 3; ++i) {
    Proposal p = Run(kSrc, known, static_cast<uint64_t>(i));
    REQUIRE(p.ok());
    CHECK(neighbours.count(NormalizedSourceHash(p.source)));
    known.insert(NormalizedSourceHash(p.source));
  }
  CHECK(known == neighbours);
  CHECK_FALSE(Run(kSrc, known, 7).ok());
  CHECK(TunerNeighbourHashes("__global__ void k() {}\n").empty());
  CHECK(TunerNeighbourHashes("#define B 100 // ksearch:tune {64,128}\n").empty());  // does not parse
}
