// A planted API key must appear on the wire and nowhere else: not in errors,
// log lines, request/response records or cassettes.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "ksearch/llm_clients/cassette.h"
#include "test_util.h"

using namespace ksearch;
using namespace ksearch::llm;
using namespace ksearch::llm::testing;
using fakes::FakeLlmServer;
using fakes::FakeResponse;

namespace {
const std::string kKey = "sk-PLANTED-7f3a9c2e-do-not-leak";

std::string Dump(const CompletionOutcome& o) {
  const CompletionResponse& r = o.ok ? o.response : o.error.partial;
  return o.error.message + "|" + r.text + "|" + r.request_body + "|" + r.response_body + "|" + r.model;
}
}  // namespace

TEST_CASE("a planted key never leaves the wire", "[llm][secrets]") {
  FakeLlmServer server;
  // Faults whose messages echo request data, including an endpoint that
  // echoes the key back in its error body.
  server.Enqueue(FakeResponse::Error(401));
  server.Enqueue(FakeResponse::Raw(400, R"({"error":{"message":"invalid key )" + kKey + R"("}})",
                                   "application/json"));
  server.Enqueue(FakeResponse::Raw(200, "not json " + kKey, "application/json"));
  server.Enqueue(FakeResponse::Completion("echo " + kKey));
  server.Enqueue(FakeResponse::Error(503));
  server.Enqueue(FakeResponse::Error(503));

  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  const std::string key_file = "/tmp/llmh_key_" + std::to_string(::getpid());
  std::ofstream(key_file) << kKey << "\n";
  EndpointConfig cfg = FakeEndpoint(server, protocol);
  cfg.api_key_file = key_file;
  cfg.max_retries = 1;

  std::ostringstream log_text;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
  Harness h(cfg);
  auto logger = spdlog::get("ksearch.llm");
  REQUIRE(logger);
  logger->sinks().push_back(sink);
  auto old_level = logger->level();
  logger->set_level(spdlog::level::trace);

  const std::string cassette = "/tmp/llmh_cassette_" + std::to_string(::getpid()) + ".jsonl";
  std::remove(cassette.c_str());
  std::string all;
  {
    auto rec = RecordingClient::New(*h.client, cfg.model, cassette);
    REQUIRE(rec.ok());
    for (int i = 0; i < 5; ++i) {
      std::vector<CompletionOutcome> out;
      (*rec)->Complete(SimpleRequest("p" + std::to_string(i)), [&](CompletionOutcome o) { out.push_back(o); });
      h.io.restart();
      h.io.run();
      REQUIRE(out.size() == 1);
      all += Dump(out[0]) + "\n";
    }
  }
  logger->set_level(old_level);
  logger->sinks().pop_back();
  std::ifstream in(cassette);
  std::stringstream cas;
  cas << in.rdbuf();

  // The key really was sent (so the test could fail)...
  auto reqs = server.Requests();
  REQUIRE(reqs.size() == 6);
  std::string auth = protocol == Protocol::kOpenAi ? reqs[0].Header("authorization") : reqs[0].Header("x-api-key");
  CHECK(auth.find(kKey) != std::string::npos);
  // ...the fault paths produced output to search...
  CHECK(all.find("[REDACTED]") != std::string::npos);
  CHECK(log_text.str().find("llm.call.failed") != std::string::npos);
  CHECK(cas.str().find("[REDACTED]") != std::string::npos);
  // ...and it is nowhere in it.
  CHECK(all.find(kKey) == std::string::npos);
  CHECK(log_text.str().find(kKey) == std::string::npos);
  CHECK(cas.str().find(kKey) == std::string::npos);
  std::remove(cassette.c_str());
  std::remove(key_file.c_str());
}

TEST_CASE("key loading errors name the source, never the key", "[llm][secrets]") {
  FakeLlmServer server;
  boost::asio::io_context io;
  auto transport = NewCurlTransport(io);
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  SECTION("unset env var") {
    cfg.api_key_env = "KSEARCH_TEST_SURELY_UNSET_VAR";
    auto c = HttpLlmClient::New(io, cfg, *transport, nullptr);
    REQUIRE(!c.ok());
    CHECK(c.error().message().find("KSEARCH_TEST_SURELY_UNSET_VAR") != std::string::npos);
    CHECK(c.error().message().find("fake-openai") != std::string::npos);
  }
  SECTION("an endpoint read from a file is named by its file and line") {
    cfg.api_key_env = "KSEARCH_TEST_SURELY_UNSET_VAR";
    cfg.origin = "/etc/ksearch/daemon.yaml:41";
    auto c = HttpLlmClient::New(io, cfg, *transport, nullptr);
    REQUIRE(!c.ok());
    CHECK(c.error().message().rfind("/etc/ksearch/daemon.yaml:41: endpoint fake-openai: environment variable "
                                    "KSEARCH_TEST_SURELY_UNSET_VAR (api_key_env) is not set",
                                    0) == 0);
  }
  SECTION("missing key file") {
    cfg.api_key_file = "/nonexistent/key.txt";
    auto c = HttpLlmClient::New(io, cfg, *transport, nullptr);
    REQUIRE(!c.ok());
    CHECK(c.error().message().find("/nonexistent/key.txt") != std::string::npos);
  }
}
