// API key loading and redaction. Internal to llm_clients.
// Thread-safety: Redactor is immutable after construction.
#pragma once

#include <string>
#include <string_view>

#include "ksearch/core/status.h"
#include "ksearch/llm_clients/endpoint_config.h"

namespace ksearch::llm {

// Reads the key named by the config (env var or file; trailing whitespace
// trimmed). Empty string when the config names neither (self-hosted, no auth).
// Errors name the endpoint and the variable or path, never any key material.
Result<std::string> ReadApiKey(const EndpointConfig& c);

// Replaces every occurrence of the secret with "[REDACTED]".
class Redactor {
 public:
  explicit Redactor(std::string secret) : secret_(std::move(secret)) {}
  std::string operator()(std::string_view text) const;

 private:
  const std::string secret_;  // empty: nothing to redact
};

}  // namespace ksearch::llm
