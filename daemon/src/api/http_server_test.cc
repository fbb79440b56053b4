#include <catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "api/http_server.h"

using namespace ksearch::daemon;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Runs a server on an ephemeral loopback port in a background thread.
struct ServerFixture {
  asio::io_context io;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  int handled = 0;

  explicit ServerFixture(size_t max_body = 1024, int max_sessions = 64, int read_timeout_ms = 2000) {
    HttpServerOptions o;
    o.port = 0;
    o.max_body_bytes = max_body;
    o.max_header_bytes = 2048;
    o.read_timeout_ms = read_timeout_ms;
    o.max_sessions = max_sessions;
    server = std::make_unique<HttpServer>(io, o, [this](const ApiRequest& r) {
      ++handled;
      return ApiResponse::Json(200, "{\"path\":\"" + r.path + "\",\"len\":" + std::to_string(r.body.size()) + "}");
    });
    REQUIRE(server->Start().ok());
    thread = std::thread([this] { io.run(); });
  }
  ~ServerFixture() {
    asio::post(io, [this] { server->Stop(); });
    io.stop();
    thread.join();
  }

  // Sends raw bytes, returns everything the server answers until it closes.
  std::string Exchange(const std::string& bytes) {
    asio::io_context client;
    tcp::socket s(client);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
    boost::system::error_code ec;
    asio::write(s, asio::buffer(bytes), ec);
    s.shutdown(tcp::socket::shutdown_send, ec);
    std::string out;
    char buf[4096];
    while (true) {
      size_t n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }
};

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

}  // namespace

TEST_CASE("a well-formed request reaches the handler", "[daemon][http]") {
  ServerFixture f;
  auto r = f.Exchange("POST /v1/x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
  CHECK(StatusOf(r) == 200);
  CHECK(r.find("\"path\":\"/v1/x\"") != std::string::npos);
  CHECK(r.find("\"len\":3") != std::string::npos);
}

TEST_CASE("oversized and malformed requests get 4xx and never reach the handler", "[daemon][http][fault]") {
  ServerFixture f(/*max_body=*/1024);
  std::string big(4096, 'x');
  CHECK(StatusOf(f.Exchange("POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n" + big)) == 413);
  std::string huge_header = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(8000, 'h') + "\r\n\r\n";
  CHECK(StatusOf(f.Exchange(huge_header)) == 431);
  CHECK(StatusOf(f.Exchange("this is not http\r\n\r\n")) == 400);
  CHECK(StatusOf(f.Exchange("GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n")) == 400);
  CHECK(f.handled == 0);
}

TEST_CASE("fuzzed request bytes never crash the server", "[daemon][http][fault]") {
  ServerFixture f;
  std::mt19937 rng(20261122);
  const std::vector<std::string> seeds = {
      "GET /v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n",
      "POST /v1/campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\":\"b\"}",
      "GET /metrics?x=%41 HTTP/1.0\r\n\r\n"};
  // Bounded: 300 mutated requests, each a fresh connection.
  for (int i = 0; i < 300; ++i) {
    std::string msg = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !msg.empty(); ++e) {
      size_t pos = rng() % msg.size();
      switch (rng() % 4) {
        case 0: msg[pos] = static_cast<char>(rng() % 256); break;
        case 1: msg.erase(pos, 1 + rng() % 5); break;
        case 2: msg.insert(pos, std::string(1 + rng() % 40, static_cast<char>(rng() % 256))); break;
        case 3: msg = msg.substr(0, pos); break;
      }
    }
    std::string reply = f.Exchange(msg);
    int status = StatusOf(reply);
    // Either a proper HTTP answer or a closed connection; never a hang or crash.
    CHECK((status == 0 || (status >= 200 && status < 500)));
  }
  // The server still serves after the storm.
  CHECK(StatusOf(f.Exchange("GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")) == 200);
}

TEST_CASE("at max_sessions the oldest idle connection makes room; busy ones are not cut", "[daemon][http][fault]") {
  // Hundreds of idle connections used to take every descriptor of the daemon
  // (evaluations then failed with memfd_create: EMFILE); capped, they held
  // other clients off for the read timeout. Idle sessions here outlive the
  // test (60 s read timeout) unless evicted.
  ServerFixture f(1024, /*max_sessions=*/4, /*read_timeout_ms=*/60000);
  asio::io_context client;
  auto connect = [&] {
    auto s = std::make_unique<tcp::socket>(client);
    s->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.server->port()));
    return s;
  };
  const std::string request = "GET /v1/x HTTP/1.1\r\nHost: a\r\n\r\n";
  auto wait_for_sessions = [&](int n) {  // the server has accepted them all
    for (int i = 0; i < 1000 && f.server->open_sessions() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(f.server->open_sessions() == n);
  };
  SECTION("idle connections: the oldest is closed, the new client is answered") {
    std::vector<std::unique_ptr<tcp::socket>> idle;
    for (int i = 0; i < 4; ++i) idle.push_back(connect());
    wait_for_sessions(4);
    CHECK(StatusOf(f.Exchange(request)) == 200);
    // The first idle connection was closed by the server: its read ends.
    char byte;
    boost::system::error_code ec;
    idle.front()->read_some(asio::buffer(&byte, 1), ec);
    CHECK(ec == asio::error::eof);
  }
  SECTION("connections mid-request are not cut: the new client waits for one to end") {
    std::vector<std::unique_ptr<tcp::socket>> busy;
    for (int i = 0; i < 4; ++i) {
      busy.push_back(connect());
      asio::write(*busy.back(), asio::buffer(std::string("GET /v1/slow HTTP/1.1\r\nHo")));  // half a header
    }
    wait_for_sessions(4);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the half headers read
    auto fifth = std::async(std::launch::async, [&] { return f.Exchange(request); });
    // Not answered while four requests are half sent (a lower bound on the
    // wait, not a timing assertion: a slow machine only makes "not yet" likelier).
    CHECK(fifth.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
    asio::write(*busy.front(), asio::buffer(std::string("st: a\r\nConnection: close\r\n\r\n")));
    REQUIRE(fifth.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    CHECK(StatusOf(fifth.get()) == 200);
  }
}
