// Helpers for llm_clients tests against the loopback fake server.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "ksearch/fakes/fake_llm_server.h"
#include "ksearch/llm_clients/curl_transport.h"
#include "ksearch/llm_clients/http_llm_client.h"

namespace ksearch::llm::testing {

// An endpoint pointing at `server`, with millisecond-scale failure policy.
EndpointConfig FakeEndpoint(const fakes::FakeLlmServer& server, Protocol p, bool stream = false);

CompletionRequest SimpleRequest(const std::string& prompt, const std::string& attempt_id = "a1");

// Owns an io_context, a CurlTransport and one client.
struct Harness {
  explicit Harness(const EndpointConfig& c, MoneyBudget* budget = nullptr);
  // Runs one call to completion; REQUIREs exactly one callback.
  CompletionOutcome Call(CompletionRequest r);
  // Starts a call whose outcome lands in `out` (counted in `count`).
  void Start(CompletionRequest r, std::vector<CompletionOutcome>* out);

  boost::asio::io_context io;
  std::unique_ptr<HttpTransport> transport;
  std::unique_ptr<HttpLlmClient> client;
};

}  // namespace ksearch::llm::testing
