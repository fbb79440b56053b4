// CurlTransport: libcurl multi_socket driven by Asio.
//
// libcurl tells us which sockets it wants watched (SocketCallback) and when
// to call it back for timeouts (TimerCallback); we map that onto one
// posix::stream_descriptor per socket (assigned, never owning: libcurl owns
// and closes its fds, so on CURL_POLL_REMOVE we release()) and one
// steady_timer. Asio's epoll reactor is edge-triggered, so after each curl
// action we poll() the watched fds once and run curl again for those already
// ready rather than wait for an edge that may never come (RecheckAll).
// Invariant: curl_multi_* is never called from inside a curl callback, and
// user callbacks never run inside curl (done is posted; on_data runs in the
// write callback and must not touch the transport).
#include "ksearch/llm_clients/curl_transport.h"

#include <poll.h>

#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <curl/curl.h>

namespace ksearch::llm {
namespace {

namespace asio = boost::asio;
constexpr size_t kMaxBody = 64u << 20;  // a reply larger than this is refused

TransportError MapCurlCode(CURLcode c) {
  switch (c) {
    case CURLE_OK: return TransportError::kNone;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return TransportError::kConnect;
    case CURLE_OPERATION_TIMEDOUT: return TransportError::kTimeout;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING: return TransportError::kClosed;
    default: return TransportError::kOther;
  }
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(asio::io_context& io) : io_(io), timer_(io) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlTransport::SocketCallback);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlTransport::TimerCallback);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }

  ~CurlTransport() override {
    CancelAll();
    *alive_ = false;
    timer_.cancel();
    for (auto& [fd, sock] : sockets_) Forget(*sock);
    sockets_.clear();
    curl_multi_cleanup(multi_);
  }

  uint64_t Start(HttpRequest req, DataCallback on_data, HttpCallback done) override {
    auto t = std::make_unique<Transfer>();
    t->id = next_id_++;
    t->on_data = std::move(on_data);
    t->done = std::move(done);
    CURL* e = curl_easy_init();
    t->easy = e;
    for (const auto& [k, v] : req.headers) t->headers = curl_slist_append(t->headers, (k + ": " + v).c_str());
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req.body.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlTransport::WriteCallback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CurlTransport::HeaderCallback);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (req.timeout.count() > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    if (req.connect_timeout.count() > 0) {
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
    }
    uint64_t id = t->id;
    transfers_[id] = std::move(t);
    CURLMcode mc = curl_multi_add_handle(multi_, e);  // arms the timer; work starts in run()
    if (mc != CURLM_OK) {
      std::unique_ptr<Transfer> failed = std::move(transfers_[id]);
      transfers_.erase(id);
      HttpResult r;
      r.error = TransportError::kOther;
      r.error_message = std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc);
      Finish(std::move(failed), std::move(r));
    }
    return id;
  }

  void Cancel(uint64_t id) override {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);
    HttpResult r;
    r.error = TransportError::kCancelled;
    r.error_message = "cancelled";
    Finish(std::move(t), std::move(r));
  }

  void CancelAll() override {
    while (!transfers_.empty()) Cancel(transfers_.begin()->first);
  }

  size_t InFlight() const override { return transfers_.size(); }

 private:
  struct Transfer {
    uint64_t id = 0;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    DataCallback on_data;
    HttpCallback done;
    HttpResult result;
    bool too_large = false;
    char errbuf[CURL_ERROR_SIZE] = {0};
  };
  struct Socket {
    explicit Socket(asio::io_context& io) : sd(io) {}
    asio::posix::stream_descriptor sd;
    curl_socket_t fd = CURL_SOCKET_BAD;
    int what = 0;          // CURL_POLL_* libcurl wants now
    bool reading = false;  // an async_wait(read) is pending
    bool writing = false;
    bool closed = false;   // libcurl removed it; handlers must not touch curl
    bool posted = false;   // a RecheckAll re-run is queued
    int spins = 0;         // re-runs since the last readiness event
  };
  static constexpr int kMaxSpins = 64;

  static void Forget(Socket& s) {
    s.closed = true;
    boost::system::error_code ec;
    s.sd.cancel(ec);
    s.sd.release();  // never close: libcurl owns the fd
  }

  // Removes the easy handle and posts `done`.
  void Finish(std::unique_ptr<Transfer> t, HttpResult r) {
    curl_multi_remove_handle(multi_, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    r.headers = std::move(t->result.headers);
    if (r.status == 0) r.status = t->result.status;
    if (r.body.empty()) r.body = std::move(t->result.body);
    asio::post(io_, [cb = std::move(t->done), r = std::move(r)]() mutable { cb(std::move(r)); });
  }

  void CheckDone() {
    int pending = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &pending)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* raw = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &raw);
      CURLcode code = m->data.result;  // read before the message is invalidated
      auto it = transfers_.find(raw->id);
      if (it == transfers_.end()) continue;
      std::unique_ptr<Transfer> t = std::move(it->second);
      transfers_.erase(it);
      HttpResult r;
      long status = 0;
      curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
      r.status = static_cast<int>(status);
      r.error = MapCurlCode(code);
      if (r.error != TransportError::kNone) {
        r.error_message = std::string("curl: ") + curl_easy_strerror(code);
        if (t->errbuf[0] != '\0') r.error_message += std::string(" (") + t->errbuf + ")";
        if (t->too_large) r.error_message = "response larger than 64 MiB";
      }
      Finish(std::move(t), std::move(r));
    }
  }

  void Action(curl_socket_t fd, int ev) {
    int running = 0;
    curl_multi_socket_action(multi_, fd, ev, &running);
    CheckDone();
    RecheckAll();
  }

  // The reactor is edge-triggered: an edge that came before a wait was armed
  // is not reported again. So after every curl action, poll() the watched
  // sockets once and run curl for those already ready. `spins` bounds the
  // re-runs for a socket that stays ready without curl consuming it; a real
  // readiness event resets it.
  void RecheckAll() {
    std::vector<pollfd> fds;
    std::vector<std::shared_ptr<Socket>> socks;
    for (auto& [fd, s] : sockets_) {
      short events = 0;
      if (s->what & CURL_POLL_IN) events |= POLLIN;
      if (s->what & CURL_POLL_OUT) events |= POLLOUT;
      if (events == 0 || s->posted || s->spins >= kMaxSpins) continue;
      fds.push_back(pollfd{fd, events, 0});
      socks.push_back(s);
    }
    if (fds.empty() || poll(fds.data(), fds.size(), 0) <= 0) return;
    for (size_t i = 0; i < fds.size(); ++i) {
      int mask = 0;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) mask |= CURL_CSELECT_IN;
      if (fds[i].revents & POLLOUT) mask |= CURL_CSELECT_OUT;
      if (mask == 0) continue;
      auto s = socks[i];
      s->posted = true;
      ++s->spins;
      asio::post(io_, [this, alive = alive_, s, mask] {
        s->posted = false;
        if (!*alive || s->closed) return;
        Action(s->fd, mask);
        if (!s->closed) Arm(s);
      });
    }
  }

  void Arm(const std::shared_ptr<Socket>& s) {
    if ((s->what & CURL_POLL_IN) && !s->reading) {
      s->reading = true;
      s->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                       [this, alive = alive_, s](const boost::system::error_code& ec) {
                         s->reading = false;
                         if (ec || !*alive || s->closed) return;
                         s->spins = 0;
                         Action(s->fd, CURL_CSELECT_IN);
                         if (!s->closed) Arm(s);
                       });
    }
    if ((s->what & CURL_POLL_OUT) && !s->writing) {
      s->writing = true;
      s->sd.async_wait(asio::posix::stream_descriptor::wait_write,
                       [this, alive = alive_, s](const boost::system::error_code& ec) {
                         s->writing = false;
                         if (ec || !*alive || s->closed) return;
                         s->spins = 0;
                         Action(s->fd, CURL_CSELECT_OUT);
                         if (!s->closed) Arm(s);
                       });
    }
  }

  static int SocketCallback(CURL*, curl_socket_t fd, int what, void* userp, void*) {
    auto* self = static_cast<CurlTransport*>(userp);
    auto it = self->sockets_.find(fd);
    if (what == CURL_POLL_REMOVE) {
      if (it != self->sockets_.end()) {
        Forget(*it->second);
        self->sockets_.erase(it);
      }
      return 0;
    }
    std::shared_ptr<Socket> s;
    if (it == self->sockets_.end()) {
      s = std::make_shared<Socket>(self->io_);
      boost::system::error_code ec;
      s->sd.assign(fd, ec);
      if (ec) return -1;
      s->fd = fd;
      self->sockets_[fd] = s;
    } else {
      s = it->second;
    }
    s->what = what;
    self->Arm(s);  // only starts async waits; never calls curl
    return 0;
  }

  static int TimerCallback(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<CurlTransport*>(userp);
    self->timer_.cancel();
    if (timeout_ms < 0) return 0;
    self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer_.async_wait([self, alive = self->alive_](const boost::system::error_code& ec) {
      if (ec || !*alive) return;
      self->Action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  static size_t WriteCallback(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (t->on_data && status >= 200 && status < 300) {
      t->on_data(std::string_view(data, len));
      return len;
    }
    if (t->result.body.size() + len > kMaxBody) {
      t->too_large = true;
      return 0;
    }
    t->result.body.append(data, len);
    return len;
  }

  static size_t HeaderCallback(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    size_t len = size * n;
    std::string line(data, len);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
      t->result.headers.clear();  // a new response (after 1xx or a redirect)
      return len;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) return len;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = line.find_first_not_of(" \t", colon + 1);
    t->result.headers.emplace_back(name, v == std::string::npos ? "" : line.substr(v));
    return len;
  }

  asio::io_context& io_;
  CURLM* multi_ = nullptr;
  asio::steady_timer timer_;
  // All below: only touched on the io_context thread.
  std::map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
  uint64_t next_id_ = 1;
  // Handlers hold a copy; false once the transport is destroyed.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<HttpTransport> NewCurlTransport(asio::io_context& io) {
  return std::make_unique<CurlTransport>(io);
}

}  // namespace ksearch::llm
