// FakeLlmServer: Beast parses requests; responses are written as raw bytes so
// the server can break HTTP framing on purpose (close mid-body, truncate).
// Threading: sessions live on the server's io_context thread; the script,
// responder and request record are guarded by mu_.
#include "ksearch/fakes/fake_llm_server.h"

#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ksearch::fakes {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class FakeLlmServer::Impl {
 public:
  class Session;

  explicit Impl(Options o) : acceptor_(io_), guard_(asio::make_work_guard(io_)) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), o.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() { Stop(); }

  void Stop();

  // Picks the response for a request and records it. Server thread.
  FakeResponse Next(const RecordedRequest& req, uint64_t* seq) {
    Responder responder;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      *seq = requests_.size();
      // The first scripted entry whose `match` occurs in the request body,
      // else the first entry without `match`.
      auto take = [&](bool matched) -> std::optional<FakeResponse> {
        for (auto it = script_.begin(); it != script_.end(); ++it) {
          if (matched ? (it->match.empty() || req.body.find(it->match) == std::string::npos)
                      : !it->match.empty())
            continue;
          FakeResponse r = std::move(*it);
          script_.erase(it);
          return r;
        }
        return std::nullopt;
      };
      if (auto r = take(true)) return *r;
      if (auto r = take(false)) return *r;
      responder = responder_;
    }
    return responder ? responder(req) : FakeResponse::Completion("ok");
  }

  void Accept();

  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::once_flag stopped_;
  uint16_t port_ = 0;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions_;  // io thread

  mutable std::mutex mu_;
  std::deque<FakeResponse> script_;        // guarded by mu_
  Responder responder_;                    // guarded by mu_
  std::vector<RecordedRequest> requests_;  // guarded by mu_
};

class FakeLlmServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* server, tcp::socket sock) : server_(server), sock_(std::move(sock)), timer_(server->io_) {}

  void Read() {
    req_ = {};
    http::async_read(sock_, buf_, req_, [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Handle();
    });
  }

  void Close() {
    boost::system::error_code ec;
    timer_.cancel();
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
    hold_.reset();
  }

 private:
  void Handle() {
    RecordedRequest r;
    r.method = std::string(req_.method_string());
    r.target = std::string(req_.target());
    for (const auto& f : req_) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = req_.body();
    uint64_t seq = 0;
    FakeResponse resp = server_->Next(r, &seq);
    wire_ = RenderResponse(resp, r, seq);
    if (wire_.hang) {
      hold_ = shared_from_this();  // keep the connection open, say nothing
      return;
    }
    if (resp.delay.count() > 0) {
      timer_.expires_after(resp.delay);
      timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->Write();
      });
    } else {
      Write();
    }
  }

  void Write() {
    asio::async_write(sock_, asio::buffer(wire_.bytes),
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        if (ec || self->wire_.close_after) {
                          boost::system::error_code ig;
                          self->sock_.shutdown(tcp::socket::shutdown_send, ig);
                          return self->Close();
                        }
                        self->Read();
                      });
  }

  Impl* server_;
  tcp::socket sock_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  WireBytes wire_;
  std::shared_ptr<Session> hold_;  // set while hanging; cleared by Close
};

void FakeLlmServer::Impl::Stop() {
  std::call_once(stopped_, [this] {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      for (auto& w : sessions_) {
        if (auto s = w.lock()) s->Close();
      }
      sessions_.clear();
      guard_.reset();
      io_.stop();
    });
    if (thread_.joinable()) thread_.join();
  });
}

void FakeLlmServer::Impl::Accept() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->expired() ? sessions_.erase(it) : std::next(it);
  }
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket sock) {
    if (ec) return;  // closed by Stop
    auto s = std::make_shared<Session>(this, std::move(sock));
    sessions_.insert(s);
    s->Read();
    Accept();
  });
}


FakeLlmServer::FakeLlmServer() : FakeLlmServer(Options{}) {}
FakeLlmServer::FakeLlmServer(Options options) : impl_(std::make_unique<Impl>(options)) {}
FakeLlmServer::~FakeLlmServer() { impl_->Stop(); }

uint16_t FakeLlmServer::port() const { return impl_->port_; }
std::string FakeLlmServer::BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port()); }

void FakeLlmServer::Enqueue(FakeResponse r) {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  impl_->script_.push_back(std::move(r));
}

void FakeLlmServer::SetResponder(Responder r) {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  impl_->responder_ = std::move(r);
}

std::vector<RecordedRequest> FakeLlmServer::Requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->requests_;
}

size_t FakeLlmServer::RequestCount() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->requests_.size();
}

size_t FakeLlmServer::ScriptRemaining() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->script_.size();
}

void FakeLlmServer::Stop() { impl_->Stop(); }

}  // namespace ksearch::fakes
