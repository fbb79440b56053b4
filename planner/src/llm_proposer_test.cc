#include <catch.hpp>

#include <deque>
#include <nlohmann/json.hpp>

#include "ksearch/planner/llm_proposer.h"

using namespace ksearch;
using namespace ksearch::planner;

namespace {

// In-test fake: answers each Complete() with the next scripted outcome, later
// (RunPending), as an io_context-driven client would.
class FakeLlm : public llm::LlmClient {
 public:
  const std::string& name() const override { return name_; }
  void Complete(llm::CompletionRequest req, llm::CompletionCallback done) override {
    requests.push_back(req);
    pending_.push_back(std::move(done));
  }
  void CancelAll() override {}
  double PriceUsd(int64_t in, int64_t out) const override { return (in + out) * 1e-6; }

  void ScriptText(std::string text) {
    llm::CompletionOutcome o;
    o.ok = true;
    o.response.text = std::move(text);
    o.response.endpoint = name_;
    o.response.input_tokens = 1000;
    o.response.output_tokens = 200;
    o.response.cost_usd = 0.0012;
    script_.push_back(o);
  }
  void ScriptError(llm::LlmErrorKind k, std::string msg) {
    llm::CompletionOutcome o;
    o.error.kind = k;
    o.error.message = std::move(msg);
    o.error.partial.endpoint = name_;
    script_.push_back(o);
  }
  // Delivers queued answers until nothing is pending.
  void RunPending() {
    while (!pending_.empty()) {
      auto cb = std::move(pending_.front());
      pending_.pop_front();
      REQUIRE(!script_.empty());
      auto o = script_.front();
      script_.pop_front();
      cb(o);
    }
  }
  std::vector<llm::CompletionRequest> requests;

 private:
  std::string name_ = "fake";
  std::deque<llm::CompletionCallback> pending_;
  std::deque<llm::CompletionOutcome> script_;
};

const std::string kSrc = "int f(int x) {\n  return x * 2;\n}\n";
const std::string kGoodReply =
    "Summary: triple it\n<<<<<<< SEARCH\n  return x * 2;\n=======\n  return x * 3;\n>>>>>>> REPLACE\n";

Proposal RunOnce(FakeLlm& fake) {
  LlmProposer prop(fake);
  ProposalRequest req;
  req.attempt_id = "a1";
  req.axis = "instruction_selection";
  req.parent_source = kSrc;
  req.packet.task = "t";
  req.packet.axis = "instruction_selection";
  req.packet.source = kSrc;
  Proposal out;
  int calls = 0;
  prop.Propose(req, [&](Proposal p) { out = std::move(p); ++calls; });
  fake.RunPending();
  REQUIRE(calls == 1);  // exactly one completion per proposal
  return out;
}

}  // namespace

TEST_CASE("a good reply becomes a candidate with accounting", "[planner][llm]") {
  FakeLlm fake;
  fake.ScriptText(kGoodReply);
  Proposal p = RunOnce(fake);
  REQUIRE(p.ok());
  CHECK(p.source == "int f(int x) {\n  return x * 3;\n}\n");
  CHECK(p.change_summary == "triple it");
  REQUIRE(p.llm_calls.size() == 1);
  CHECK(p.llm_calls[0].input_tokens == 1000);
  CHECK(p.cost_usd() == Approx(0.0012));
  CHECK(p.llm_calls[0].prompt_text.find("return x * 2;") != std::string::npos);
  CHECK(p.llm_calls[0].reply_text == kGoodReply);
  CHECK(fake.requests.size() == 1);
}

TEST_CASE("an unparsable reply gets exactly one format-fix retry", "[planner][llm]") {
  SECTION("fixed on the retry") {
    FakeLlm fake;
    fake.ScriptText("Multiply by three instead.");
    fake.ScriptText(kGoodReply);
    Proposal p = RunOnce(fake);
    REQUIRE(p.ok());
    REQUIRE(fake.requests.size() == 2);
    const auto& fix = fake.requests[1];
    REQUIRE(fix.messages.size() == 3);
    CHECK(fix.messages[1].role == "assistant");
    CHECK(fix.messages[1].content == "Multiply by three instead.");
    CHECK(fix.messages[2].content.find("Do not redo the work") != std::string::npos);
    CHECK(p.llm_calls.size() == 2);
    CHECK(p.llm_calls[1].format_fix);
  }
  SECTION("still unparsable: parse_error, no third call") {
    FakeLlm fake;
    fake.ScriptText("Multiply by three instead.");
    fake.ScriptText("Really, just multiply by three.");
    fake.ScriptText(kGoodReply);  // must never be asked for
    Proposal p = RunOnce(fake);
    CHECK(p.failure == ProposalFailureKind::kParseError);
    CHECK(fake.requests.size() == 2);
    CHECK(p.ToVerdict().ToString() == "proposal_failed{parse_error}");
    CHECK(p.failure_reason.find("after one format-fix retry") == 0);
  }
}

TEST_CASE("a patch that does not apply is patch_failed with the reason", "[planner][llm]") {
  FakeLlm fake;
  fake.ScriptText("<<<<<<< SEARCH\n  return y * 2;\n=======\n  return y;\n>>>>>>> REPLACE\n");
  Proposal p = RunOnce(fake);
  CHECK(p.failure == ProposalFailureKind::kPatchFailed);
  CHECK(p.failure_reason.find("block 1 of 1 matches nothing") == 0);
  CHECK(fake.requests.size() == 1);  // no format-fix retry for a well-formed patch
}

TEST_CASE("LLM errors are llm_error, on the first or the retry call", "[planner][llm]") {
  SECTION("first call") {
    FakeLlm fake;
    fake.ScriptError(llm::LlmErrorKind::kTimeout, "no answer in 120 s");
    Proposal p = RunOnce(fake);
    CHECK(p.failure == ProposalFailureKind::kLlmError);
    CHECK(p.failure_reason == "timeout: no answer in 120 s");
    REQUIRE(p.llm_calls.size() == 1);
    CHECK(p.llm_calls[0].error == "timeout: no answer in 120 s");
    CHECK(p.llm_calls[0].error_kind == "timeout");  // what callers match on, not the text
  }
  SECTION("retry call") {
    FakeLlm fake;
    fake.ScriptText("prose");
    fake.ScriptError(llm::LlmErrorKind::kHttpStatus, "503 after 4 retries");
    Proposal p = RunOnce(fake);
    CHECK(p.failure == ProposalFailureKind::kLlmError);
    CHECK(p.llm_calls.size() == 2);
  }
}

TEST_CASE("a prompt is recorded as the JSON the log has always held", "[planner][llm]") {
  // PromptRecordText writes json{system, messages}.dump(1) directly; the
  // bytes (and so the blob hashes of recorded prompts) must not change.
  auto reference = [](const llm::CompletionRequest& r) {
    nlohmann::json msgs = nlohmann::json::array();
    for (const auto& m : r.messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
    return nlohmann::json{{"system", r.system}, {"messages", msgs}}.dump(1);
  };
  llm::CompletionRequest r;
  CHECK(PromptRecordText(r) == reference(r));  // no messages: "messages": []
  r.system = "You are \"careful\".\n\tTabs, \\ and \x01 stay escaped; caf\xC3\xA9 stays UTF-8.";
  r.messages = {{"user", "## Current source\n```\n__global__ void k(float* x) { x[0] = 1.f; }\n```\n"}};
  CHECK(PromptRecordText(r) == reference(r));
  r.messages.push_back({"assistant", "Summary: none\n<<<<<<< SEARCH\n=======\n>>>>>>> REPLACE"});
  r.messages.push_back({"user", "Your reply could not be parsed: \"no block\"\r\n"});
  CHECK(PromptRecordText(r) == reference(r));
  // Not UTF-8: recorded with U+FFFD instead of throwing out of the callback.
  r.messages[0].content = "bad byte \xFF here";
  CHECK_THROWS(reference(r));
  CHECK(PromptRecordText(r).find("bad byte \xEF\xBF\xBD here") != std::string::npos);
}
