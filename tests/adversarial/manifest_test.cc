// The manifest itself: it parses, covers every HACKS.md row, has the required
// numbers of cheats and legitimate kernels, and the expectation rule is exact.
#include "manifest.h"

#include <catch.hpp>
#include <set>

namespace ksearch::adversarial {

TEST_CASE("cases.yaml covers every HACKS.md row with enough cheats and legit kernels",
          "[adversarial]") {
  const std::string root = KSEARCH_TEST_SOURCE_DIR;
  auto cases = LoadManifest(root + "/tests/adversarial/cases.yaml", root);
  INFO(cases.status().ToString());
  REQUIRE(cases.ok());
  std::set<int> rows;
  int cheats = 0, legit = 0, host_cheats = 0;
  for (const auto& c : *cases) {
    rows.insert(c.hacks.begin(), c.hacks.end());
    (c.legit() ? legit : cheats)++;
    if (!c.legit() && c.backend == "host") ++host_cheats;
  }
  CHECK(rows.size() == 17);
  CHECK(*rows.begin() == 1);
  CHECK(*rows.rbegin() == 17);
  CHECK(cheats >= 25);
  CHECK(legit >= 10);
  CHECK(host_cheats >= 20);
}

TEST_CASE("manifest errors name the file, line and field", "[adversarial]") {
  char tmpl[] = "/tmp/ks_manifest_XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string path = std::string(tmpl) + "/cases.yaml";
  FILE* f = fopen(path.c_str(), "w");
  fputs("cases:\n  - {id: a, file: nope.cc, task: t, backend: gpu, hacks: [18], expect: pass, stage: x, colour: red}\n", f);
  fclose(f);
  auto r = LoadManifest(path, tmpl);
  REQUIRE_FALSE(r.ok());
  const std::string& m = r.status().message();
  CHECK(m.find(path + ":2: colour: unknown field") != std::string::npos);
  CHECK(m.find(path + ":2: file: cannot read") != std::string::npos);
  CHECK(m.find(path + ":2: backend: expected host or cuda") != std::string::npos);
  CHECK(m.find(path + ":2: hacks: row 18 is not in HACKS.md") != std::string::npos);
  CHECK(m.find(path + ":2: stage: expected build or run") != std::string::npos);
  CHECK(m.find("a legitimate kernel (expect: pass) has no hacks rows") != std::string::npos);
}

TEST_CASE("expectations match exact verdicts or any passing verdict", "[adversarial]") {
  Verdict v{VerdictKind::kIncorrect, "unwritten", "detail"};
  CHECK(MeetsExpectation("incorrect{unwritten}", v));
  CHECK(MeetsExpectation("incorrect{mismatch} | incorrect{unwritten}", v));
  CHECK_FALSE(MeetsExpectation("incorrect{mismatch}", v));
  CHECK_FALSE(MeetsExpectation("pass", v));
  CHECK_FALSE(MeetsExpectation("incorrect", v));
  CHECK(MeetsExpectation("pass", Verdict{VerdictKind::kSlower, "", ""}));
  CHECK(MeetsExpectation("pass", Verdict{VerdictKind::kImproved, "", ""}));
  CHECK_FALSE(MeetsExpectation("pass", Verdict{VerdictKind::kHackSuspected, "impossible_speed", ""}));
}

}  // namespace ksearch::adversarial
