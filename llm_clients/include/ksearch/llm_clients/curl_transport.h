// CurlTransport: HttpTransport over libcurl's multi interface, driven by an
// Asio io_context (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION mapped onto
// posix::stream_descriptor waits and one steady_timer). No thread per request:
// every transfer progresses inside io_context::run().
// Threading: see http_transport.h. Ownership: `io` must outlive the transport;
// destroying it cancels every transfer (their `done` callbacks are posted with
// kCancelled, so run the io_context afterwards to deliver them).
#pragma once

#include <memory>

#include "ksearch/llm_clients/http_transport.h"

namespace boost::asio {
class io_context;
}

namespace ksearch::llm {

// Calls curl_global_init once per process (thread-safe).
std::unique_ptr<HttpTransport> NewCurlTransport(boost::asio::io_context& io);

}  // namespace ksearch::llm
