// Building the configured endpoints' clients in one step, for the daemon.
//
//   boost::asio::io_context& io = ...;          // the daemon's loop
//   auto endpoints = llm::LoadEndpointsFile("configs/daemon.yaml");
//   llm::MoneyBudget budget(campaign.budget_usd);
//   auto set = llm::BuildClients(io, *endpoints, &budget);
//   set->Find("claude")->Complete(request, done);   // on the io thread
//
// Ownership: LlmClientSet owns one CurlTransport shared by all its clients
// (declared first, so destroyed after them). `io` and `budget` must outlive
// the set. Destroying the set cancels every pending call (callbacks are
// posted with kCancelled; run the io_context to deliver them).
// Threading: as LlmClient (the io_context thread).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ksearch/core/status.h"
#include "ksearch/llm_clients/endpoint_config.h"
#include "ksearch/llm_clients/http_llm_client.h"
#include "ksearch/llm_clients/http_transport.h"

namespace ksearch::llm {

struct LlmClientSet {
  std::unique_ptr<HttpTransport> transport;
  std::vector<std::unique_ptr<HttpLlmClient>> clients;

  // The client named `name`, or nullptr.
  HttpLlmClient* Find(std::string_view name) const;
  void CancelAll();
};

// Reads every endpoint's key now; the first failure is returned (it names the
// endpoint and the variable or file, never a key).
Result<LlmClientSet> BuildClients(boost::asio::io_context& io,
                                  const std::vector<EndpointConfig>& endpoints,
                                  MoneyBudget* budget);

}  // namespace ksearch::llm
