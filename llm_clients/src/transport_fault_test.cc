// Fail-at-N through an HttpTransportWrapper (STYLE.md section 4), and the
// YAML-to-clients factory the daemon uses.
#include <boost/asio/post.hpp>
#include <catch.hpp>

#include "ksearch/llm_clients/client_factory.h"
#include "test_util.h"

using namespace ksearch;
using namespace ksearch::llm;
using namespace ksearch::llm::testing;
using fakes::FakeLlmServer;
using fakes::FakeResponse;

namespace {

// Fails the Nth Start (1-based) with a connection error, or every Start from
// the Nth on when `persistent`; forwards the rest to the real transport.
class FailAtNTransport : public HttpTransportWrapper {
 public:
  FailAtNTransport(boost::asio::io_context& io, HttpTransport& inner, int n, bool persistent)
      : HttpTransportWrapper(inner), io_(io), n_(n), persistent_(persistent) {}

  uint64_t Start(HttpRequest req, DataCallback on_data, HttpCallback done) override {
    ++starts_;
    if (starts_ == n_ || (persistent_ && starts_ > n_)) {
      ++injected_;
      HttpResult r;
      r.error = TransportError::kConnect;
      r.error_message = "injected connection failure";
      boost::asio::post(io_, [done = std::move(done), r]() mutable { done(std::move(r)); });
      return (1ULL << 62) + starts_;  // never collides with the inner ids
    }
    return inner_.Start(std::move(req), std::move(on_data), std::move(done));
  }
  int injected() const { return injected_; }

 private:
  boost::asio::io_context& io_;
  const int n_;
  const bool persistent_;
  int starts_ = 0;
  int injected_ = 0;
};

}  // namespace

TEST_CASE("fail-at-N: every call completes exactly once, one-off and persistent faults", "[llm][fault]") {
  FakeLlmServer server;
  server.SetResponder([](const fakes::RecordedRequest&) { return FakeResponse::Completion("fine"); });
  const bool persistent = GENERATE(false, true);
  // Fail the Nth transport start, N = 1, 2, ... until a run finishes without
  // reaching the Nth start (the scenario completed cleanly).
  int n = 1;
  for (;; ++n) {
    REQUIRE(n < 40);
    INFO("fail at " << n << (persistent ? " persistent" : " one-off"));
    boost::asio::io_context io;
    auto real = NewCurlTransport(io);
    FailAtNTransport faulty(io, *real, n, persistent);
    EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
    cfg.max_retries = 2;
    cfg.max_concurrency = 2;
    MoneyBudget budget(10);
    auto client = HttpLlmClient::New(io, cfg, faulty, &budget, 1);
    REQUIRE(client.ok());
    std::vector<CompletionOutcome> out;
    for (int i = 0; i < 5; ++i) {
      (*client)->Complete(SimpleRequest("p" + std::to_string(i)), [&](CompletionOutcome o) { out.push_back(o); });
    }
    io.run();
    REQUIRE(out.size() == 5);
    int ok = 0;
    for (const auto& o : out) {
      if (o.ok) {
        ++ok;
      } else {
        CHECK(o.error.kind == LlmErrorKind::kConnection);
        CHECK(o.error.message.find("injected") != std::string::npos);
      }
    }
    if (!persistent) CHECK(ok == 5);  // one fault, two retries: all recover
    if (persistent && n == 1) CHECK(ok == 0);
    CHECK(real->InFlight() == 0);
    CHECK((*client)->Stats().in_flight == 0);
    CHECK(budget.reserved() == Approx(0).margin(1e-12));
    if (faulty.injected() == 0) {
      CHECK(ok == 5);
      break;
    }
  }
  CHECK(n == 6);  // five clean calls start the transport five times
}

TEST_CASE("BuildClients makes one client per configured endpoint", "[llm][config]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Completion("from openai"));
  server.Enqueue(FakeResponse::Completion("from anthropic"));
  setenv("KSEARCH_TEST_FACTORY_KEY", "k-123", 1);
  std::string yaml = "endpoints:\n"
                     "  - {name: oa, protocol: openai, base_url: '" + server.BaseUrl() + "/v1', model: m1}\n"
                     "  - {name: an, protocol: anthropic, base_url: '" + server.BaseUrl() +
                     "', model: m2, api_key_env: KSEARCH_TEST_FACTORY_KEY, stream: true}\n";
  auto eps = ParseEndpointsYaml(yaml, "inline.yaml");
  REQUIRE(eps.ok());
  boost::asio::io_context io;
  auto set = BuildClients(io, *eps, nullptr);
  REQUIRE(set.ok());
  REQUIRE(set->clients.size() == 2);
  REQUIRE(set->Find("an") != nullptr);
  CHECK(set->Find("nope") == nullptr);
  std::vector<std::string> texts;
  set->Find("oa")->Complete(SimpleRequest("x"), [&](CompletionOutcome o) { texts.push_back(o.response.text); });
  io.run();
  set->Find("an")->Complete(SimpleRequest("y"), [&](CompletionOutcome o) { texts.push_back(o.response.text); });
  io.restart();
  io.run();
  CHECK(texts == std::vector<std::string>{"from openai", "from anthropic"});
  auto reqs = server.Requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].target == "/v1/chat/completions");
  CHECK(reqs[1].target == "/v1/messages");
  CHECK(reqs[1].Header("x-api-key") == "k-123");

  setenv("KSEARCH_TEST_FACTORY_KEY", "", 1);
  auto bad = BuildClients(io, *eps, nullptr);
  REQUIRE(!bad.ok());
  CHECK(bad.error().message().find("endpoint an") != std::string::npos);
}
