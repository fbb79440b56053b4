// Record a session against the fake server, then replay it offline.
#include <cstdio>
#include <fstream>

#include <catch.hpp>

#include "ksearch/llm_clients/cassette.h"
#include "test_util.h"

using namespace ksearch;
using namespace ksearch::llm;
using namespace ksearch::llm::testing;
using fakes::FakeLlmServer;
using fakes::FakeResponse;

namespace {

CompletionOutcome Run(boost::asio::io_context& io, LlmClient& c, CompletionRequest r) {
  std::vector<CompletionOutcome> out;
  c.Complete(std::move(r), [&](CompletionOutcome o) { out.push_back(std::move(o)); });
  io.restart();
  io.run();
  REQUIRE(out.size() == 1);
  return out[0];
}

}  // namespace

TEST_CASE("a recorded session replays offline, by key and in order", "[llm][replay]") {
  const std::string path = "/tmp/llmh_replay_" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  {
    FakeLlmServer server;
    server.SetResponder([](const fakes::RecordedRequest& r) {
      std::string prompt = r.Json()["messages"].back()["content"];
      if (prompt == "bad") return FakeResponse::Error(400);
      return FakeResponse::Completion("reply to " + prompt);
    });
    Harness h(FakeEndpoint(server, Protocol::kOpenAi));
    auto rec = RecordingClient::New(*h.client, "fake-model-1", path);
    REQUIRE(rec.ok());
    CHECK(Run(h.io, **rec, SimpleRequest("alpha", "at1")).ok);
    CHECK(Run(h.io, **rec, SimpleRequest("beta", "at2")).ok);
    CHECK(!Run(h.io, **rec, SimpleRequest("bad", "at3")).ok);
    CHECK(Run(h.io, **rec, SimpleRequest("alpha", "at4")).ok);
  }  // the server is gone: replay needs no network

  boost::asio::io_context io;
  SECTION("by key") {
    auto replay = ReplayClient::Load(io, path, ReplayMode::kByKey);
    REQUIRE(replay.ok());
    CHECK((*replay)->remaining() == 4);
    CompletionOutcome b = Run(io, **replay, SimpleRequest("beta"));
    REQUIRE(b.ok);
    CHECK(b.response.text == "reply to beta");
    CHECK(b.response.input_tokens > 0);
    CompletionOutcome bad = Run(io, **replay, SimpleRequest("bad"));
    REQUIRE(!bad.ok);
    CHECK(bad.error.kind == LlmErrorKind::kHttpStatus);
    CHECK(bad.error.http_status == 400);
    // Two recorded "alpha" calls serve twice, then miss.
    CHECK(Run(io, **replay, SimpleRequest("alpha")).response.text == "reply to alpha");
    CHECK(Run(io, **replay, SimpleRequest("alpha")).ok);
    CompletionOutcome miss = Run(io, **replay, SimpleRequest("alpha"));
    CHECK(miss.error.kind == LlmErrorKind::kReplayMiss);
    CHECK(Run(io, **replay, SimpleRequest("never asked")).error.kind == LlmErrorKind::kReplayMiss);
    CHECK((*replay)->remaining() == 0);
  }
  SECTION("a different system prompt is a different key") {
    auto replay = ReplayClient::Load(io, path, ReplayMode::kByKey);
    REQUIRE(replay.ok());
    CompletionRequest r = SimpleRequest("alpha");
    r.system = "another system prompt";
    CHECK(Run(io, **replay, r).error.kind == LlmErrorKind::kReplayMiss);
  }
  SECTION("in order") {
    auto replay = ReplayClient::Load(io, path, ReplayMode::kInOrder);
    REQUIRE(replay.ok());
    CHECK(Run(io, **replay, SimpleRequest("x")).response.text == "reply to alpha");
    CHECK(Run(io, **replay, SimpleRequest("y")).response.text == "reply to beta");
    CHECK(!Run(io, **replay, SimpleRequest("z")).ok);
    CHECK(Run(io, **replay, SimpleRequest("w")).ok);
    CHECK(Run(io, **replay, SimpleRequest("v")).error.kind == LlmErrorKind::kReplayMiss);
  }
  std::remove(path.c_str());
}

TEST_CASE("a corrupt cassette line is reported with file and line", "[llm][replay]") {
  const std::string path = "/tmp/llmh_bad_cassette_" + std::to_string(::getpid()) + ".jsonl";
  std::ofstream(path) << R"({"key":"k","ok":true,"response":{"text":"x"}})" << "\n"
                      << "\n"
                      << R"({"key":"k","ok":true})" << "\n";
  boost::asio::io_context io;
  auto replay = ReplayClient::Load(io, path, ReplayMode::kByKey);
  REQUIRE(!replay.ok());
  CHECK(replay.error().message().find(path + ":3:") != std::string::npos);
  std::remove(path.c_str());
}
