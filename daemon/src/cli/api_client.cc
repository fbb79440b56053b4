#include "cli/api_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ostream>

#include "api/auth.h"
#include "config/daemon_config.h"

namespace ksearch::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<ApiTarget> ResolveApiTarget(const Args& args) {
  ApiTarget t;
  std::string token_file;
  if (args.Has("url")) {
    std::string url = args.Get("url");
    const std::string prefix = "http://";
    if (url.rfind(prefix, 0) == 0) url = url.substr(prefix.size());
    while (!url.empty() && url.back() == '/') url.pop_back();
    auto colon = url.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("--url must be http://HOST:PORT");
    t.host = url.substr(0, colon);
    int port = std::atoi(url.substr(colon + 1).c_str());
    if (port <= 0 || port > 65535) return Status::InvalidArgument("--url has a bad port");
    t.port = static_cast<uint16_t>(port);
  }
  if (!args.Has("url") || !args.Has("token-file")) {
    auto config = daemon::LoadDaemonConfig(args.Get("daemon-config", "configs/daemon.yaml"));
    if (!config.ok()) return config.status().WithContext("finding the daemon (use --url and --token-file)");
    if (!args.Has("url")) {
      t.host = config->listen_address;
      t.port = config->listen_port;
    }
    token_file = config->token_file;
  }
  if (args.Has("token-file")) token_file = args.Get("token-file");
  auto token = daemon::ReadToken(token_file);
  if (!token.ok()) return token.status();
  t.token = *token;
  return t;
}

Result<ApiReply> CallApi(const ApiTarget& target, const std::string& method, const std::string& path,
                         const std::string& body, int timeout_ms) {
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    auto results = resolver.resolve(target.host, std::to_string(target.port));
    stream.connect(results);
    http::request<http::string_body> req{http::string_to_verb(method), path, 11};
    req.set(http::field::host, target.host);
    req.set(http::field::authorization, "Bearer " + target.token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    http::read(stream, buffer, parser);
    ApiReply reply;
    reply.status = static_cast<int>(parser.get().result_int());
    reply.raw = parser.get().body();
    reply.body = nlohmann::json::parse(reply.raw, nullptr, /*allow_exceptions=*/false);
    if (reply.body.is_discarded()) reply.body = nullptr;
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return reply;
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot reach ksearchd at " + target.host + ":" + std::to_string(target.port) +
                               ": " + e.what());
  }
}

int ReportApiError(const ApiReply& reply, Io io) {
  std::string msg = reply.body.is_object() ? reply.body.value("error", reply.raw) : reply.raw;
  io.err << "ksearch: " << msg << " (HTTP " << reply.status << ")\n";
  return 1;
}

}  // namespace ksearch::cli
