// HttpTransport: asynchronous HTTP POSTs, the one network seam of llm_clients.
//
// CurlTransport (curl_transport.h) is the real implementation; tests wrap or
// replace it to inject faults (STYLE.md section 4).
// Threading: every method is called on the io_context thread the transport was
// built with; callbacks run on that thread. `on_data` runs while the transport
// is reading and must not call back into the transport; `done` runs exactly
// once per Start(), never inside Start() or Cancel() (it is posted).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksearch::llm {

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // POSTed as is
  std::chrono::milliseconds timeout{0};          // whole exchange; 0: none
  std::chrono::milliseconds connect_timeout{0};  // 0: transport default
};

enum class TransportError {
  kNone,       // an HTTP response arrived completely (any status)
  kConnect,    // could not connect / resolve
  kTimeout,    // request timeout elapsed
  kClosed,     // connection reset or closed before the response was complete
  kCancelled,  // Cancel() / CancelAll()
  kOther,
};
std::string_view TransportErrorName(TransportError e);

struct HttpResult {
  TransportError error = TransportError::kNone;
  std::string error_message;  // transport's words; never includes request headers
  int status = 0;             // 0 when no status line arrived
  // Response headers, names lower-cased, in arrival order (last response only).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when the caller consumed data through on_data

  // First header with this lower-case name, or empty.
  std::string Header(std::string_view lower_name) const;
};

using DataCallback = std::function<void(std::string_view chunk)>;
using HttpCallback = std::function<void(HttpResult)>;

class HttpTransport {
 public:
  HttpTransport() = default;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;
  virtual ~HttpTransport() = default;

  // Starts a POST. With `on_data` set, body bytes are delivered as they arrive
  // (only for 2xx responses; error bodies still land in HttpResult::body).
  // Returns an id for Cancel().
  virtual uint64_t Start(HttpRequest request, DataCallback on_data,
                         HttpCallback done) = 0;
  // `done` gets kCancelled. Unknown or finished ids are ignored.
  virtual void Cancel(uint64_t id) = 0;
  virtual void CancelAll() = 0;
  virtual size_t InFlight() const = 0;
};

// Forwards every call to `inner`, so a test overrides only the call it breaks
// (leveldb EnvWrapper). `inner` must outlive the wrapper.
class HttpTransportWrapper : public HttpTransport {
 public:
  explicit HttpTransportWrapper(HttpTransport& inner) : inner_(inner) {}
  uint64_t Start(HttpRequest request, DataCallback on_data, HttpCallback done) override {
    return inner_.Start(std::move(request), std::move(on_data), std::move(done));
  }
  void Cancel(uint64_t id) override { inner_.Cancel(id); }
  void CancelAll() override { inner_.CancelAll(); }
  size_t InFlight() const override { return inner_.InFlight(); }

 protected:
  HttpTransport& inner_;
};

}  // namespace ksearch::llm
