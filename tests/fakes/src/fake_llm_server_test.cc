// The fake server speaks real HTTP: exercised through CurlTransport.
#include <boost/asio/io_context.hpp>
#include <catch.hpp>

#include "ksearch/fakes/fake_llm_server.h"
#include "ksearch/llm_clients/curl_transport.h"

using namespace ksearch;
using namespace ksearch::fakes;

namespace {

llm::HttpResult Post(FakeLlmServer& server, const std::string& path, const std::string& body) {
  boost::asio::io_context io;
  auto t = llm::NewCurlTransport(io);
  llm::HttpRequest req;
  req.url = server.BaseUrl() + path;
  req.headers = {{"Content-Type", "application/json"}, {"X-Test", "yes"}};
  req.body = body;
  req.timeout = std::chrono::milliseconds(5000);
  llm::HttpResult out;
  int calls = 0;
  t->Start(req, nullptr, [&](llm::HttpResult r) {
    out = std::move(r);
    ++calls;
  });
  io.run();
  REQUIRE(calls == 1);
  return out;
}

}  // namespace

TEST_CASE("fake server answers scripted responses in order and records requests", "[fakes]") {
  FakeLlmServer server;
  REQUIRE(server.port() != 0);
  server.Enqueue(FakeResponse::Completion("first"));
  server.Enqueue(FakeResponse::Error(503, "7"));

  llm::HttpResult a = Post(server, "/v1/chat/completions", R"({"model":"m","messages":[]})");
  CHECK(a.error == llm::TransportError::kNone);
  CHECK(a.status == 200);
  auto ja = nlohmann::json::parse(a.body);
  CHECK(ja["choices"][0]["message"]["content"] == "first");
  CHECK(ja["model"] == "m");

  llm::HttpResult b = Post(server, "/v1/messages", R"({"model":"m"})");
  CHECK(b.status == 503);
  CHECK(b.Header("retry-after") == "7");
  CHECK(nlohmann::json::parse(b.body)["error"]["type"] == "api_error");

  // Script exhausted: the default responder.
  llm::HttpResult c = Post(server, "/v1/messages", R"({"model":"m"})");
  CHECK(nlohmann::json::parse(c.body)["content"][0]["text"] == "ok");

  auto reqs = server.Requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].target == "/v1/chat/completions");
  CHECK(reqs[0].Header("x-test") == "yes");
  CHECK(reqs[1].IsAnthropic());
  CHECK(reqs[0].Json()["model"] == "m");
}

TEST_CASE("fake server responder sees the prompt", "[fakes]") {
  FakeLlmServer server;
  server.SetResponder([](const RecordedRequest& r) {
    std::string last = r.Json()["messages"].back()["content"];
    return FakeResponse::Completion("echo:" + last);
  });
  auto r = Post(server, "/v1/chat/completions", R"({"messages":[{"role":"user","content":"abc"}]})");
  CHECK(nlohmann::json::parse(r.body)["choices"][0]["message"]["content"] == "echo:abc");
}

TEST_CASE("fake server breaks framing on purpose", "[fakes][fault]") {
  FakeLlmServer server;
  SECTION("close mid-body is a transport error") {
    server.Enqueue(FakeResponse::CloseMidBody());
    auto r = Post(server, "/v1/chat/completions", "{}");
    CHECK(r.error == llm::TransportError::kClosed);
  }
  SECTION("a truncated stream closes cleanly without the final events") {
    server.Enqueue(FakeResponse::TruncatedStream("partial text"));
    auto r = Post(server, "/v1/chat/completions", R"({"stream":true})");
    CHECK(r.error == llm::TransportError::kNone);
    CHECK(r.body.find("partial") == std::string::npos);  // split across chunks
    CHECK(r.body.find("[DONE]") == std::string::npos);
    CHECK(r.body.find("data: ") != std::string::npos);
  }
  SECTION("script entries parse from JSON and reject unknown keys") {
    auto ok = FakeResponse::FromJson({{"kind", "status"}, {"status", 429}, {"retry_after", 2}});
    REQUIRE(ok.ok());
    CHECK(ok->status == 429);
    CHECK(ok->retry_after == "2");
    auto bad = FakeResponse::FromJson({{"kind", "completion"}, {"txt", "x"}});
    REQUIRE(!bad.ok());
    CHECK(bad.error().message().find("txt") != std::string::npos);
  }
}

TEST_CASE("fake server stops with a hung connection open", "[fakes][fault]") {
  auto server = std::make_unique<FakeLlmServer>();
  server->Enqueue(FakeResponse::Hang());
  boost::asio::io_context io;
  auto t = llm::NewCurlTransport(io);
  llm::HttpRequest req;
  req.url = server->BaseUrl() + "/v1/chat/completions";
  req.body = "{}";
  req.timeout = std::chrono::milliseconds(20000);
  llm::HttpResult out;
  t->Start(req, nullptr, [&](llm::HttpResult r) { out = std::move(r); });
  // Run until the server has the request, then stop it: the client sees the close.
  while (server->RequestCount() == 0) io.run_one_for(std::chrono::milliseconds(10));
  server->Stop();
  io.run();
  CHECK(out.error == llm::TransportError::kClosed);
}

TEST_CASE("a scripted entry with match goes only to a request that contains it", "[fakes]") {
  FakeLlmServer server;
  FakeResponse fix = FakeResponse::Completion("the fix");
  fix.match = "failed with compile_error";
  server.Enqueue(fix);
  server.Enqueue(FakeResponse::Completion("fresh one"));
  server.Enqueue(FakeResponse::Completion("fresh two"));

  auto text = [](const llm::HttpResult& r) {
    return nlohmann::json::parse(r.body)["choices"][0]["message"]["content"].get<std::string>();
  };
  // A fresh request skips the entry it does not match; a request that matches
  // takes it before any plain entry; plain entries go in order.
  CHECK(text(Post(server, "/v1/chat/completions", R"({"messages":"propose"})")) == "fresh one");
  CHECK(text(Post(server, "/v1/chat/completions", R"({"messages":"it failed with compile_error{}"})")) ==
        "the fix");
  CHECK(text(Post(server, "/v1/chat/completions", R"({"messages":"failed with compile_error again"})")) ==
        "fresh two");
  CHECK(server.ScriptRemaining() == 0);

  auto parsed = FakeResponse::FromJson({{"kind", "completion"}, {"text", "x"}, {"match", "needle"}});
  REQUIRE(parsed.ok());
  CHECK(parsed->match == "needle");
}
