// Repair turns (issue #9): scripted sequences through the planner, and the
// evidence excerpts the repair prompt carries.
#include <catch.hpp>

#include "ksearch/planner/context_packet.h"
#include "ksearch/planner/repair.h"
#include "test_campaign.h"

using namespace ksearch;
using namespace ksearch::planner;
using namespace ksearch::planner::testing;

namespace {

CampaignSpec RepairCampaign() {
  CampaignSpec s = TestSpec();
  s.proposers = {{"llm_a", 1}};
  s.islands = 1;
  return s;
}

}  // namespace

TEST_CASE("compile error fixed on the second turn", "[planner][repair]") {
  auto p = MakePlanner(RepairCampaign());
  Script s(p.get());
  s.StartCampaign();
  s.MeasureSeed(100);
  std::string a = s.Start(Fresh("seed", "vectorize"));
  s.Finish(a, "compile_error", "", 0);
  NextStep n = p->Next(0);
  REQUIRE(n.decision);
  CHECK(n.decision->kind == DecisionKind::kRepair);
  CHECK(n.decision->repair_of == a);
  CHECK(n.decision->parent == "seed");
  CHECK(n.decision->axis == "vectorize");
  CHECK(n.decision->proposer == "llm_a");
  CHECK(n.decision->repair_failure == "compile_error");
  std::string r = s.Start(*n.decision);
  s.Finish(r, "improved", "fixed", 80);
  auto rates = p->RepairRates();
  REQUIRE(rates.size() == 1);
  CHECK(rates[0].axis == "vectorize");
  CHECK(rates[0].failure_class == "compile_error");
  CHECK(rates[0].tried == 1);
  CHECK(rates[0].succeeded == 1);
  // The repaired attempt is never repaired again.
  NextStep after = p->Next(0);
  REQUIRE(after.decision);
  CHECK(after.decision->kind != DecisionKind::kRepair);
  CHECK(p->Snapshot()["attempts"][r]["repair_depth"] == 1);
}

TEST_CASE("a repair that fails twice stops at the lineage bound", "[planner][repair]") {
  auto p = MakePlanner(RepairCampaign());  // max_per_lineage = 2
  Script s(p.get());
  s.StartCampaign();
  s.MeasureSeed(100);
  std::string a = s.Start(Fresh("seed", "unroll"));
  s.Finish(a, "incorrect{mismatch}", "", 0);
  std::string prev = a;
  for (int turn = 1; turn <= 2; ++turn) {
    NextStep n = p->Next(0);
    REQUIRE(n.decision);
    REQUIRE(n.decision->kind == DecisionKind::kRepair);
    CHECK(n.decision->repair_of == prev);
    prev = s.Start(*n.decision);
    s.Finish(prev, "incorrect{mismatch}", "", 0);
  }
  NextStep n = p->Next(0);
  REQUIRE(n.decision);
  CHECK(n.decision->kind == DecisionKind::kProposal);
  CHECK(p->RepairRates()[0].tried == 2);
  CHECK(p->RepairRates()[0].succeeded == 0);
}

TEST_CASE("repairs stop when their observed success rate is poor", "[planner][repair]") {
  CampaignSpec spec = RepairCampaign();
  spec.repair.max_per_lineage = 1;
  auto p = MakePlanner(spec);
  Script s(p.get());
  s.StartCampaign();
  s.MeasureSeed(100);
  // Five crash/repair pairs on 'occupancy', every repair failing.
  for (int i = 0; i < 5; ++i) {
    std::string a = s.Start(Fresh("seed", "occupancy"));
    s.Finish(a, "crash", "", 0);
    Decision r = Fresh("seed", "occupancy");
    r.repair_of = a;
    s.Finish(s.Start(r), "crash", "", 0);
  }
  // (0+1)/(5+2) = 0.14 < min_success_rate 0.15: a new crash is not repaired.
  std::string a = s.Start(Fresh("seed", "occupancy"));
  s.Finish(a, "crash", "", 0);
  NextStep n = p->Next(0);
  REQUIRE(n.decision);
  CHECK(n.decision->kind == DecisionKind::kProposal);
  // The same failure on another axis, with no repair history, is repaired.
  std::string b = s.Start(Fresh("seed", "coalesce"));
  s.Finish(b, "crash", "", 0);
  NextStep m = p->Next(0);
  REQUIRE(m.decision);
  CHECK(m.decision->kind == DecisionKind::kRepair);
  CHECK(m.decision->repair_of == b);
}

TEST_CASE("failures a repair cannot help are not repaired", "[planner][repair]") {
  auto p = MakePlanner(RepairCampaign());
  Script s(p.get());
  s.StartCampaign();
  s.MeasureSeed(100);
  for (const char* v : {"proposal_failed{llm_error}", "rejected_static{forbidden_import}",
                        "hack_suspected{impossible_speed}", "duplicate{source}"}) {
    s.Finish(s.Start(Fresh("seed", "coalesce")), v, "", 0);
    NextStep n = p->Next(0);
    REQUIRE(n.decision);
    CHECK(n.decision->kind == DecisionKind::kProposal);
  }
}

TEST_CASE("compiler diagnostics are mapped to the candidate's lines", "[planner][repair]") {
  std::string src = "#include <x.h>\nvoid k() {\n  float5 v;\n  int a = b;\n}\n";
  std::string log =
      "kernel.cu(3): error: identifier \"float5\" is undefined\n"
      "kernel.cu:4:11: error: 'b' was not declared in this scope\n"
      "kernel.cu:4:11: error: 'b' was not declared in this scope\n"
      "kernel.cu:2:1: warning: unused function\n"
      "1 error detected in the compilation\n";
  std::string ex = CompileDiagnosticsExcerpt(log, src, 2000);
  CHECK(ex.find("line 3: error: identifier \"float5\" is undefined\n 2 | void k() {\n>3 |   float5 v;\n 4 |") == 0);
  CHECK(ex.find(">4 |   int a = b;") != std::string::npos);
  CHECK(ex.find("'b' was not declared") == ex.rfind("'b' was not declared"));  // once
  CHECK(ex.find("warning: unused function") > ex.find("'b' was not declared"));  // errors first
  SECTION("within budget, errors kept before warnings") {
    std::string small = CompileDiagnosticsExcerpt(log, src, 150);
    CHECK(small.size() <= 150);
    CHECK(small.find("float5") != std::string::npos);
    CHECK(small.find("warning") == std::string::npos);
  }
}

TEST_CASE("a wrong result is summarized from the validation evidence", "[planner][repair]") {
  nlohmann::json ev = {{"validation", nlohmann::json::array({
      {{"shape", "n=1024"}, {"seed", 7}, {"ok", true}, {"max_abs_error", 0.0}},
      {{"shape", "n=1000"}, {"seed", 9}, {"ok", false}, {"max_abs_error", 0.5},
       {"unwritten_count", 8}, {"worst", {{{"index", 996}, {"got", nullptr}, {"want", 0.25}}}}}})}};
  std::string ex = RepairEvidence("incorrect{unwritten}", "8 elements unwritten", "", "", ev, 1000);
  CHECK(ex.find("Verdict: incorrect{unwritten} (8 elements unwritten)") == 0);
  size_t fail = ex.find("FAIL shape=\"n=1000\" seed=9");
  CHECK(fail != std::string::npos);
  CHECK(fail < ex.find("ok shape=\"n=1024\""));  // failing records first
  CHECK(ex.find("unwritten_count=8") != std::string::npos);
  CHECK(ex.find("at 996: got null, want 0.25") != std::string::npos);
  // As the evaluator names them now (compare.h): which element, and why it is shown.
  ev["validation"][1]["worst"] = {{{"what", "first failing"}, {"index", 3}, {"got", "unwritten"}, {"want", 0.5}},
                                  {{"what", "largest error"}, {"index", 40}, {"got", 1.5}, {"want", 0.25}}};
  ex = RepairEvidence("incorrect{unwritten}", "", "", "", ev, 1000);
  CHECK(ex.find("  first failing at 3: got \"unwritten\", want 0.5\n") != std::string::npos);
  CHECK(ex.find("  largest error at 40: got 1.5, want 0.25\n") != std::string::npos);
}

TEST_CASE("the repair prompt carries the excerpt and asks to keep the intent", "[planner][repair]") {
  ContextPacket p;
  p.task = "softmax";
  p.axis = "vectorized_access";
  p.source = "void k() {\n  float5 v;\n}\n";
  p.repair_failure = "compile_error";
  p.repair_evidence = RepairEvidence("compile_error", "", "k.cu:2:3: error: unknown type 'float5'",
                                     p.source, nullptr, 500);
  auto prompt = BuildPrompt(p, 10000);
  REQUIRE(prompt.ok());
  CHECK(prompt->user.find("failed with compile_error") != std::string::npos);
  CHECK(prompt->user.find("keeping the intent") != std::string::npos);
  CHECK(prompt->user.find(">2 |   float5 v;") != std::string::npos);
}
