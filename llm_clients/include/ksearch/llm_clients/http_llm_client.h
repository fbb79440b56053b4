// HttpLlmClient: an LlmClient for one configured endpoint (OpenAI-compatible or
// Anthropic), over an HttpTransport, with the failure policy:
//
//   Complete ─► budget reserve ─► queue ─► breaker ─► rate buckets (req/min,
//   tokens/min) and max_concurrency ─► HTTP attempt ─► classify
//        retryable (429/500/502/503/504/529, connection, timeout, truncated
//        stream): backoff = Retry-After if given (capped by backoff_max_s),
//        else full jitter uniform(0, min(max, initial*2^n)); back to the queue
//        not retryable (other 4xx, malformed, empty, max tokens): done
//   deadline_s bounds the whole call; CancelAll ends every call with kCancelled.
//
// Circuit breaker (per client): closed ─(breaker_failures consecutive failed
// attempts: 5xx/connection/timeout)─► open ─(cooldown)─► half-open: one probe;
// success ─► closed, failure ─► open. While open calls fail with kCircuitOpen.
//
// Threading: as LlmClient (io_context thread). Ownership: `io`, `transport` and
// `budget` (optional) must outlive the client. The API key is read in New().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ksearch/core/status.h"
#include "ksearch/llm_clients/endpoint_config.h"
#include "ksearch/llm_clients/http_transport.h"
#include "ksearch/llm_clients/llm_client.h"
#include "ksearch/llm_clients/money_budget.h"

namespace boost::asio {
class io_context;
}

namespace ksearch::llm {

struct ClientStats {
  int64_t calls = 0;       // Complete() calls
  int64_t succeeded = 0;
  int64_t failed = 0;      // includes cancelled, budget, circuit open
  int64_t attempts = 0;    // HTTP attempts started
  int64_t retries = 0;
  int64_t in_flight = 0;   // HTTP attempts now running
  int64_t queued = 0;      // calls waiting for a slot or rate tokens
  double cost_usd = 0;
  double last_backoff_s = -1;  // the most recent retry delay; -1: none yet
  std::string breaker;     // "closed" | "open" | "half_open"
};

class HttpLlmClient final : public LlmClient {
 public:
  // Reads the API key (env var or file); errors name the endpoint and the
  // variable or path, never the key. `rng_seed` seeds the backoff jitter.
  static Result<std::unique_ptr<HttpLlmClient>> New(
      boost::asio::io_context& io, const EndpointConfig& config,
      HttpTransport& transport, MoneyBudget* budget, uint64_t rng_seed = 0);
  ~HttpLlmClient() override;  // CancelAll()

  const std::string& name() const override;
  void Complete(CompletionRequest request, CompletionCallback done) override;
  void CancelAll() override;
  double PriceUsd(int64_t input_tokens, int64_t output_tokens) const override;

  const EndpointConfig& config() const;
  // A snapshot; call on the io_context thread like everything else.
  ClientStats Stats() const;

  class Impl;  // public only so the .cc files can name it

 private:
  explicit HttpLlmClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with pending async handlers (weakly)
};

}  // namespace ksearch::llm
