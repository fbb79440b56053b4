// HttpServer: the control API's HTTP/1.1 listener (Boost.Beast).
//
// Every request is read with hard limits (header and body size, read timeout);
// an oversized or malformed request gets a 4xx with a message and the
// connection is closed — it never reaches the handler. Authentication is the
// handler's job (see auth.h) so /metrics policy stays in one place.
// Threading: runs on `io`; the handler is called on the io thread.
// Ownership: `io` must outlive the server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "ksearch/core/status.h"

namespace boost::asio {
class io_context;
}

namespace ksearch::daemon {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;                   // 0: ephemeral (tests)
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  int read_timeout_ms = 10000;
  // Connections open at once. At the cap the server stops accepting until
  // one closes (clients wait in the listen backlog): each holds a descriptor,
  // and a client that opened hundreds and sent nothing used to exhaust the
  // daemon's, so evaluations failed to start (memfd_create: EMFILE).
  int max_sessions = 64;
};

using ApiHandler = std::function<ApiResponse(const ApiRequest&)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, ApiHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Errors name the address and the cause.
  Status Start();
  uint16_t port() const;   // the bound port (after Start)
  int open_sessions() const;  // connections being served now (safe from any thread)
  void Stop();             // stops accepting; open connections finish their request

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ksearch::daemon
