// Beast-based implementation of HttpServer. The only file that includes Beast
// on the server side.
#include "api/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <list>
#include <optional>

namespace ksearch::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

// What sessions need from the server; shared so a session may outlive it.
// The io context runs on one thread (the daemon's io thread), so the session
// list and the sessions' states are read without locks.
struct SessionContext {
  HttpServerOptions options;
  ApiHandler handler;
  // Sessions alive now (HttpServerOptions::max_sessions caps them).
  mutable std::atomic<int> open_sessions{0};
  // Called when a session ends: the server resumes accepting if the cap had
  // stopped it (a no-op once the acceptor is closed). Set once, before the
  // first accept.
  std::function<void()> session_ended;
  // Every session started, oldest first (expired ones pruned as they are
  // met): at the cap the server evicts the oldest idle one.
  mutable std::list<std::weak_ptr<Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const SessionContext> ctx)
      : stream_(std::move(socket)), ctx_(std::move(ctx)), options_(ctx_->options),
        handler_(ctx_->handler) {
    ++ctx_->open_sessions;
  }
  ~Session() {
    --ctx_->open_sessions;
    if (ctx_->session_ended) ctx_->session_ended();
  }

  void Start() {
    auto& list = ctx_->sessions;
    // Ended sessions leave expired entries: dropped once they outnumber the
    // cap, so the list stays within twice the cap plus the live ones.
    if (list.size() >= 2 * static_cast<size_t>(options_.max_sessions))
      list.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
    list.push_back(weak_from_this());
    Read();
  }

  // Waiting for a request of which no byte has arrived (a fresh connection,
  // or a kept-alive one between requests): closing it loses nothing.
  bool Idle() const { return waiting_ && buffer_.size() == 0 && parser_ && !parser_->got_some(); }
  void Evict() {
    if (Idle()) Close();  // the pending read ends, and the session with it
  }

 private:
  void Read() {
    waiting_ = true;
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    stream_.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    waiting_ = false;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      Close();
      return;
    }
    if (ec) {
      int status = 400;
      std::string msg = "malformed HTTP request: " + ec.message();
      if (ec == http::error::body_limit) {
        status = 413;
        msg = "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes";
      } else if (ec == http::error::header_limit) {
        status = 431;
        msg = "request headers exceed " + std::to_string(options_.max_header_bytes) + " bytes";
      }
      Write(ApiResponse::Error(status, msg), /*keep_alive=*/false, 11);
      return;
    }
    auto& req = parser_->get();
    ApiRequest api;
    api.method = std::string(req.method_string());
    api.target = std::string(req.target());
    api.authorization = std::string(req[http::field::authorization]);
    api.content_type = std::string(req[http::field::content_type]);
    api.body = std::move(req.body());
    ApiResponse resp;
    if (!ParseTarget(api.target, api.path, api.segments, api.query)) {
      resp = ApiResponse::Error(400, "malformed request target");
    } else {
      try {
        resp = handler_(api);
      } catch (const std::exception& e) {
        resp = ApiResponse::Error(500, std::string("internal error: ") + e.what());
      }
    }
    Write(resp, req.keep_alive(), req.version());
  }

  void Write(const ApiResponse& resp, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version);
    res->result(static_cast<http::status>(resp.status));
    res->set(http::field::server, "ksearchd");
    res->set(http::field::content_type, resp.content_type);
    for (const auto& [k, v] : resp.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    res->body() = resp.body;
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const SessionContext> ctx_;
  const HttpServerOptions& options_;  // owned by ctx_
  const ApiHandler& handler_;         // owned by ctx_
  bool waiting_ = false;              // a read is pending
};

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, HttpServerOptions options, ApiHandler handler)
      : io_(io), acceptor_(io), retry_timer_(io), options_(options) {
    auto ctx = std::make_shared<SessionContext>();
    ctx->options = std::move(options);
    ctx->handler = std::move(handler);
    ctx_ = std::move(ctx);
  }

  Status Start() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.address, ec);
    if (ec) return Status::InvalidArgument("listen address '" + options_.address + "': " + ec.message());
    tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::Unavailable("cannot listen on " + options_.address + ":" +
                                 std::to_string(options_.port) + ": " + ec.message());
    ctx_->session_ended = [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self || self->accepting_ || !self->acceptor_.is_open()) return;
      // The connection held at the cap gets the place, then accepting resumes.
      if (self->held_) {
        std::make_shared<Session>(std::move(*self->held_), self->ctx_)->Start();
        self->held_.reset();
      }
      self->Accept();
    };
    Accept();
    return Status::Ok();
  }

  int open_sessions() const { return ctx_->open_sessions.load(); }

  uint16_t port() const {
    beast::error_code ec;
    auto ep = acceptor_.local_endpoint(ec);
    return ec ? 0 : ep.port();
  }

  void Stop() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    if (held_) held_->close(ignored);
    held_.reset();
  }

 private:
  // One accept in flight at a time (accepting_). A connection accepted at
  // the session cap evicts the oldest idle session (one that has not sent a
  // byte of its next request) and starts; when every session is mid-request
  // it is held, and accepting stops, until a session ends and gives it the
  // place. A failed accept (EMFILE, ENFILE, ENOBUFS: the machine's limits)
  // waits kAcceptRetry before the next, where an immediate retry spun the io
  // thread at full CPU.
  void Accept() {
    if (!acceptor_.is_open()) return;
    accepting_ = true;
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](
                                                        beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (ec) {
        self->retry_timer_.expires_after(kAcceptRetry);
        self->retry_timer_.async_wait([self](beast::error_code wait_ec) {
          if (!wait_ec) self->Accept();
        });
        return;
      }
      if (self->ctx_->open_sessions.load() >= self->options_.max_sessions && !self->EvictOldestIdle()) {
        self->held_.emplace(std::move(socket));
        self->accepting_ = false;
        return;
      }
      std::make_shared<Session>(std::move(socket), self->ctx_)->Start();
      self->Accept();
    });
  }

  static constexpr std::chrono::milliseconds kAcceptRetry{100};

  // A client that opened connections and sent nothing no longer holds the
  // others off for the read timeout: its oldest connection makes room.
  // False when every session is mid-request.
  bool EvictOldestIdle() {
    auto& list = ctx_->sessions;
    for (auto it = list.begin(); it != list.end();) {
      auto session = it->lock();
      if (!session) {
        it = list.erase(it);
        continue;
      }
      if (session->Idle()) {
        list.erase(it);
        session->Evict();
        return true;
      }
      ++it;
    }
    return false;
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;  // after a failed accept
  HttpServerOptions options_;
  std::shared_ptr<SessionContext> ctx_;  // sessions see it const
  bool accepting_ = false;  // an async_accept is in flight (or a retry is armed)
  std::optional<tcp::socket> held_;  // accepted at the cap with no idle session to evict
};

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, ApiHandler handler)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { impl_->Stop(); }

Status HttpServer::Start() { return impl_->Start(); }
uint16_t HttpServer::port() const { return impl_->port(); }
int HttpServer::open_sessions() const { return impl_->open_sessions(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace ksearch::daemon
