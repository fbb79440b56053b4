#include "ksearch/planner/llm_proposer.h"

#include <memory>

#include "ksearch/core/json_text.h"
#include "ksearch/planner/patch.h"

namespace ksearch::planner {

std::string_view ProposalFailureReason(ProposalFailureKind k) {
  switch (k) {
    case ProposalFailureKind::kNone: return "";
    case ProposalFailureKind::kLlmError: return "llm_error";
    case ProposalFailureKind::kParseError: return "parse_error";
    case ProposalFailureKind::kPatchFailed: return "patch_failed";
    case ProposalFailureKind::kPromptTooLarge: return "prompt_too_large";
  }
  return "";
}

double Proposal::cost_usd() const {
  double c = 0;
  for (const auto& r : llm_calls) c += r.cost_usd;
  return c;
}

Verdict Proposal::ToVerdict() const {
  Verdict v;
  v.kind = VerdictKind::kProposalFailed;
  v.reason = std::string(ProposalFailureReason(failure));
  v.detail = failure_reason;
  return v;
}

std::string PromptRecordText(const llm::CompletionRequest& r) {
  // The layout of dump(1): one space per level, keys in std::map order
  // ("messages" < "system", "content" < "role").
  size_t size = r.system.size() + 64;
  for (const auto& m : r.messages) size += m.content.size() + m.role.size() + 48;
  std::string out;
  out.reserve(size + size / 32);
  out += "{\n \"messages\": [";
  for (size_t i = 0; i < r.messages.size(); ++i) {
    out += i == 0 ? "\n  {\n   \"content\": " : ",\n  {\n   \"content\": ";
    AppendJsonString(out, r.messages[i].content);
    out += ",\n   \"role\": ";
    AppendJsonString(out, r.messages[i].role);
    out += "\n  }";
  }
  out += r.messages.empty() ? "]" : "\n ]";
  out += ",\n \"system\": ";
  AppendJsonString(out, r.system);
  out += "\n}";
  return out;
}

std::vector<std::string_view> PromptRecordParts(std::string_view record) {
  // A heading at a line start of a message: "## " right after an escaped
  // newline, i.e. after a backslash that is not itself escaped (an odd run of
  // backslashes) followed by 'n'.
  constexpr std::string_view kHeading = "\\n## ";
  std::vector<std::string_view> parts;
  size_t begin = 0;
  for (size_t at = record.find(kHeading); at != std::string_view::npos; at = record.find(kHeading, at + 1)) {
    size_t backslashes = 0;
    while (backslashes < at && record[at - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 1) continue;  // "\\n## ": an escaped backslash, then "n## "
    const size_t cut = at + 2;           // the part starts with "## "
    parts.push_back(record.substr(begin, cut - begin));
    begin = cut;
  }
  parts.push_back(record.substr(begin));
  return parts;
}

namespace {

// Local copy of the names in llm_client.h, so the planner needs only the
// header (LlmErrorKindName lives in the llm_clients library).
const char* ErrorKindName(llm::LlmErrorKind k) {
  switch (k) {
    case llm::LlmErrorKind::kNone: return "none";
    case llm::LlmErrorKind::kHttpStatus: return "http_status";
    case llm::LlmErrorKind::kTimeout: return "timeout";
    case llm::LlmErrorKind::kConnection: return "connection";
    case llm::LlmErrorKind::kMalformed: return "malformed";
    case llm::LlmErrorKind::kEmpty: return "empty";
    case llm::LlmErrorKind::kMaxTokens: return "max_tokens";
    case llm::LlmErrorKind::kCircuitOpen: return "circuit_open";
    case llm::LlmErrorKind::kCancelled: return "cancelled";
    case llm::LlmErrorKind::kBudget: return "budget";
    case llm::LlmErrorKind::kReplayMiss: return "replay_miss";
  }
  return "unknown";
}

LlmCallRecord Record(const llm::CompletionRequest& req, const llm::CompletionOutcome& o,
                     bool format_fix) {
  const llm::CompletionResponse& r = o.ok ? o.response : o.error.partial;
  LlmCallRecord rec;
  rec.endpoint = r.endpoint;
  rec.model = r.model;
  rec.input_tokens = r.input_tokens;
  rec.output_tokens = r.output_tokens;
  rec.latency_ms = r.latency_ms;
  rec.cost_usd = r.cost_usd;
  rec.retries = r.retries;
  rec.prompt_text = PromptRecordText(req);
  rec.reply_text = o.ok ? o.response.text : "";
  rec.error_kind = o.ok ? "" : ErrorKindName(o.error.kind);
  rec.error = o.ok ? "" : rec.error_kind + ": " + o.error.message;
  rec.format_fix = format_fix;
  return rec;
}

// Per-request state shared by the two possible calls.
struct Call {
  ProposalRequest req;
  ProposalCallback done;
  Proposal result;
  llm::CompletionRequest first;
};

void Finish(const std::shared_ptr<Call>& c, const ParsedReply& parsed) {
  auto applied = ApplyReply(c->req.parent_source, parsed);
  if (!applied.ok()) {
    c->result.failure = ProposalFailureKind::kPatchFailed;
    c->result.failure_reason = applied.status().message();
  } else {
    c->result.source = std::move(*applied);
    c->result.change_summary = parsed.summary.empty()
                                   ? std::string(parsed.is_whole_file ? "whole-file rewrite along "
                                                                      : "change along ") + c->req.axis
                                   : parsed.summary.substr(0, 200);
  }
  c->done(std::move(c->result));
}

bool FailOnLlmError(const std::shared_ptr<Call>& c, const llm::CompletionOutcome& o) {
  if (o.ok) return false;
  c->result.failure = ProposalFailureKind::kLlmError;
  c->result.failure_reason = c->result.llm_calls.back().error;
  c->done(std::move(c->result));
  return true;
}

}  // namespace

void LlmProposer::Propose(ProposalRequest request, ProposalCallback done) {
  auto c = std::make_shared<Call>();
  c->req = std::move(request);
  c->req.known_source_hashes = nullptr;  // not ours to keep past Propose() (proposer.h)
  c->done = std::move(done);
  auto prompt = BuildPrompt(c->req.packet, c->req.prompt_budget_chars);
  if (!prompt.ok()) {
    c->result.failure = ProposalFailureKind::kPromptTooLarge;
    c->result.failure_reason = prompt.status().message();
    return c->done(std::move(c->result));
  }
  c->first.system = prompt->system;
  c->first.messages = {{"user", prompt->user}};
  c->first.max_tokens = c->req.max_tokens;
  c->first.attempt_id = c->req.attempt_id;
  llm::LlmClient* client = &client_;
  client_.Complete(c->first, [c, client](llm::CompletionOutcome o) {
    c->result.llm_calls.push_back(Record(c->first, o, false));
    if (FailOnLlmError(c, o)) return;
    auto parsed = ParseReply(o.response.text);
    if (parsed.ok()) return Finish(c, *parsed);
    // The one bounded retry: ask only to fix the format.
    llm::CompletionRequest fix = c->first;
    fix.messages.push_back({"assistant", o.response.text});
    fix.messages.push_back({"user", FormatFixMessage(parsed.status().message())});
    std::string first_error = parsed.status().message();
    client->Complete(fix, [c, fix, first_error](llm::CompletionOutcome o2) {
      c->result.llm_calls.push_back(Record(fix, o2, true));
      if (FailOnLlmError(c, o2)) return;
      auto parsed2 = ParseReply(o2.response.text);
      if (parsed2.ok()) return Finish(c, *parsed2);
      c->result.failure = ProposalFailureKind::kParseError;
      c->result.failure_reason = "after one format-fix retry: " + parsed2.status().message() +
                                 " (first reply: " + first_error + ")";
      c->done(std::move(c->result));
    });
  });
}

}  // namespace ksearch::planner
