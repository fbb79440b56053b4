#include "ksearch/llm_clients/client_factory.h"

#include "ksearch/llm_clients/curl_transport.h"

namespace ksearch::llm {

HttpLlmClient* LlmClientSet::Find(std::string_view name) const {
  for (const auto& c : clients) {
    if (c->name() == name) return c.get();
  }
  return nullptr;
}

void LlmClientSet::CancelAll() {
  for (auto& c : clients) c->CancelAll();
}

Result<LlmClientSet> BuildClients(boost::asio::io_context& io, const std::vector<EndpointConfig>& endpoints,
                                  MoneyBudget* budget) {
  LlmClientSet set;
  set.transport = NewCurlTransport(io);
  uint64_t seed = 0x6b736561726368ULL;  // distinct jitter streams per endpoint
  for (const auto& e : endpoints) {
    auto c = HttpLlmClient::New(io, e, *set.transport, budget, seed++);
    if (!c.ok()) return c.status();
    set.clients.push_back(std::move(c).value());
  }
  return set;
}

}  // namespace ksearch::llm
