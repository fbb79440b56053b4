// LlmClient: one configured LLM endpoint behind one asynchronous interface.
//
// Implementations: the OpenAI-compatible and Anthropic clients over libcurl's
// multi interface driven by the daemon's Asio io_context, and ReplayClient,
// which serves a recorded JSONL cassette. The planner's LLM proposer talks only
// to this header.
//
// Threading: Complete() and CancelAll() must be called on the io_context thread
// the client was built with; `done` runs on that thread, exactly once per call,
// also on failure, cancellation and shutdown.
// Secrets: API keys are read from the environment or a file when the client is
// built and never appear in any error, log line, record or cassette.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::llm {

class MoneyBudget;

struct ChatMessage {
  std::string role;     // "user" | "assistant"
  std::string content;
};

struct CompletionRequest {
  std::string system;                 // system prompt
  std::vector<ChatMessage> messages;
  int max_tokens = 4096;              // 0: the endpoint's configured default
  double temperature = -1;            // < 0: the endpoint's configured default
  std::string attempt_id;             // for accounting, records and cassette keys
  // A budget for this call in addition to the client's own (e.g. the
  // campaign's, when clients are shared by campaigns): the call must fit both
  // or is refused with kBudget; it settles in both. Not owned; must outlive
  // the call. Ignored by clients that cost nothing (ReplayClient).
  MoneyBudget* budget = nullptr;
};

// Why a call failed; recorded as proposal_failed{llm_error} with this kind.
enum class LlmErrorKind {
  kNone,
  kHttpStatus,      // non-retryable or retries exhausted on 429/5xx
  kTimeout,         // no answer within the request deadline
  kConnection,      // refused, reset, closed mid-body
  kMalformed,       // body is not the protocol's JSON / SSE
  kEmpty,           // a completion with no text
  kMaxTokens,       // stopped by the token limit before finishing
  kCircuitOpen,     // the endpoint's breaker is open
  kCancelled,       // shutdown or explicit cancel
  kBudget,          // the money budget would be exceeded
  kReplayMiss,      // a cassette has no entry for this request
};
std::string_view LlmErrorKindName(LlmErrorKind k);

struct CompletionResponse {
  std::string text;
  std::string finish_reason;
  std::string endpoint;     // configured endpoint name
  std::string model;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  double latency_ms = 0;    // first byte sent to last byte received, all retries included
  double cost_usd = 0;      // from the endpoint's price table
  int retries = 0;
  // Exact request and response bodies as sent/received (keys redacted), for blobs.
  std::string request_body;
  std::string response_body;
};

struct CompletionError {
  LlmErrorKind kind = LlmErrorKind::kNone;
  int http_status = 0;
  std::string message;      // never contains a key
  // Accounting still applies to failed calls (tokens may have been billed).
  CompletionResponse partial;
};

// Either a response or an error; both carry accounting.
struct CompletionOutcome {
  bool ok = false;
  CompletionResponse response;  // valid when ok
  CompletionError error;        // valid when !ok
};

using CompletionCallback = std::function<void(CompletionOutcome)>;

class LlmClient {
 public:
  LlmClient() = default;
  LlmClient(const LlmClient&) = delete;
  LlmClient& operator=(const LlmClient&) = delete;
  virtual ~LlmClient() = default;

  virtual const std::string& name() const = 0;
  virtual void Complete(CompletionRequest request, CompletionCallback done) = 0;
  // Every pending call completes with kCancelled.
  virtual void CancelAll() = 0;
  // Price of a call with these token counts, USD.
  virtual double PriceUsd(int64_t input_tokens, int64_t output_tokens) const = 0;
};

}  // namespace ksearch::llm
