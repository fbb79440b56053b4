// EndpointConfig: one LLM endpoint as configured in YAML, and its loader.
//
// A config never holds a key: it names where the key lives (an environment
// variable or a file). A literal `api_key` field is rejected by the loader with
// an error naming the file, line and key, and the key is never echoed.
// Thread-safety: plain values; the loader functions are pure (they only read
// the named file).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/core/status.h"

namespace YAML {
class Node;
}

namespace ksearch::llm {

enum class Protocol {
  kOpenAi,     // POST {base_url}/chat/completions, Authorization: Bearer
  kAnthropic,  // POST {base_url}/v1/messages, x-api-key + anthropic-version
};
std::string_view ProtocolName(Protocol p);

struct SamplingOptions {
  double temperature = 0.7;  // [0, 2]; a request's own temperature wins
  double top_p = -1;         // (0, 1]; < 0: not sent
  int max_tokens = 4096;     // default when a request asks for 0
};

struct EndpointConfig {
  // --- Identity and wire.
  std::string name;        // unique among endpoints; used in records
  Protocol protocol = Protocol::kOpenAi;
  std::string base_url;    // e.g. https://api.openai.com/v1, https://api.anthropic.com
  std::string model;
  std::string api_key_env;   // name of the variable holding the key, or
  std::string api_key_file;  // path of a file holding the key; neither: no auth
  std::string anthropic_version = "2023-06-01";
  SamplingOptions sampling;
  bool stream = false;     // SSE streaming responses

  // --- Limits. 0 means unlimited for the per-minute rates.
  int max_concurrency = 4;           // requests in flight; more wait in a queue
  double requests_per_minute = 0;
  double tokens_per_minute = 0;      // input estimate + max_tokens per request
  // --- Prices, USD per million tokens.
  double price_input_per_mtok = 0;
  double price_output_per_mtok = 0;

  // --- Failure policy (seconds; fractions allowed so tests run at ms scale).
  double timeout_s = 300;        // one HTTP attempt
  double deadline_s = 0;         // the whole call with retries; 0: no extra limit
  double connect_timeout_s = 10;
  int max_retries = 4;           // retries after the first attempt
  double backoff_initial_s = 1;  // full jitter: uniform(0, min(max, initial*2^n))
  double backoff_max_s = 60;     // also caps an honoured Retry-After
  int breaker_failures = 5;      // consecutive failed attempts that open the breaker
  double breaker_cooldown_s = 30;  // open -> half-open (one probe) after this

  // Where this endpoint was defined ("file:line"), for messages. Not a YAML key.
  std::string origin;
};

// Checks ranges and required fields; the error names the endpoint and field.
Status ValidateEndpoint(const EndpointConfig& c);

// Parses a YAML sequence of endpoint maps. `file` is used in error messages,
// formatted "file:line:col: endpoints[i].key: problem". All errors are
// collected (one per line in the message). Unknown keys are rejected.
Result<std::vector<EndpointConfig>> ParseEndpoints(const YAML::Node& list,
                                                   std::string_view file);
// Parses YAML text that is either a sequence of endpoints or a map with an
// `endpoints:` sequence (other top-level keys are ignored: daemon.yaml).
Result<std::vector<EndpointConfig>> ParseEndpointsYaml(std::string_view text,
                                                       std::string_view file);
// Reads and parses a file as ParseEndpointsYaml does.
Result<std::vector<EndpointConfig>> LoadEndpointsFile(const std::string& path);

}  // namespace ksearch::llm
