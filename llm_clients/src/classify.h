// Classifying one HTTP attempt into success or a typed, retry-tagged error.
// Pure; internal to llm_clients.
#pragma once

#include <optional>
#include <string>

#include "failure_policy.h"
#include "ksearch/llm_clients/http_transport.h"
#include "ksearch/llm_clients/llm_client.h"
#include "wire_protocol.h"

namespace ksearch::llm {

struct AttemptResult {
  bool ok = false;
  Decoded decoded;               // what the reply said (also for max tokens/empty)
  LlmErrorKind kind = LlmErrorKind::kNone;
  int http_status = 0;
  std::string message;           // not yet redacted
  bool retryable = false;
  bool endpoint_failure = false;  // counts toward the circuit breaker
  std::optional<Seconds> retry_after;
};

// `stream` is the decoder fed during the attempt (null when not streaming);
// `stream_status` the first error it returned.
AttemptResult ClassifyAttempt(const HttpResult& r, const WireProtocol& protocol,
                              const StreamDecoder* stream, const Status& stream_status,
                              double now_unix_s);

}  // namespace ksearch::llm
