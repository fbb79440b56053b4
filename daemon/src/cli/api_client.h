// The command line's side of the control API: where the daemon listens, its
// token, and one blocking HTTP call.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "ksearch/core/status.h"

namespace ksearch::cli {

struct ApiTarget {
  std::string host = "127.0.0.1";
  uint16_t port = 7431;
  std::string token;
};

// --url http://HOST:PORT and --token-file PATH win; otherwise both come from
// the daemon configuration (--daemon-config, default configs/daemon.yaml).
Result<ApiTarget> ResolveApiTarget(const Args& args);

struct ApiReply {
  int status = 0;
  nlohmann::json body;   // parsed JSON, or null when the body is not JSON
  std::string raw;
};

// Errors are connection failures ("cannot reach ksearchd at ...: ..."); HTTP
// error statuses come back as replies.
Result<ApiReply> CallApi(const ApiTarget& target, const std::string& method, const std::string& path,
                         const std::string& body = "", int timeout_ms = 30000);

// Prints {"error": ...} replies as "ksearch: <message> (HTTP n)" and returns 1.
int ReportApiError(const ApiReply& reply, Io io);

}  // namespace ksearch::cli
