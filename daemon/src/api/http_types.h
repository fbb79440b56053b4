// Plain request/response values for the control API, free of Beast so that
// route handlers and their tests compile quickly.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ksearch::daemon {

struct ApiRequest {
  std::string method;   // "GET", "POST"
  std::string target;   // raw target: "/v1/campaigns?limit=5"
  std::string path;     // "/v1/campaigns" (decoded; for messages)
  // The path's non-empty segments, each decoded on its own: {"v1", "campaigns"}.
  // Routes match these, so an encoded '/' ("%2F") stays inside its segment.
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;  // decoded query parameters
  std::string authorization;                 // the Authorization header, verbatim
  std::string content_type;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;

  static ApiResponse Json(int status, const std::string& json_body);
  // {"error": message} with the given status.
  static ApiResponse Error(int status, const std::string& message);
};

// Splits "/a/b?x=1&y=%20z" into the decoded path, its segments (split on the
// raw '/', then each decoded) and the decoded query ('+' is a space there,
// not in the path). Returns false on a malformed percent-escape.
bool ParseTarget(const std::string& target, std::string& path, std::vector<std::string>& segments,
                 std::map<std::string, std::string>& query);

// Percent-encodes every byte except RFC 3986's unreserved characters
// (A-Z a-z 0-9 - . _ ~), so a value can be placed in one path segment or one
// query value and ParseTarget gives it back unchanged.
std::string PercentEncode(std::string_view value);

}  // namespace ksearch::daemon
