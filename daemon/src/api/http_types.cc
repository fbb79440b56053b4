#include "api/http_types.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace ksearch::daemon {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; with `plus_is_space` (a query), '+' is a space.
bool Decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return true;
}

}  // namespace

ApiResponse ApiResponse::Json(int status, const std::string& json_body) {
  ApiResponse r;
  r.status = status;
  r.body = json_body;
  return r;
}

ApiResponse ApiResponse::Error(int status, const std::string& message) {
  return Json(status, nlohmann::json{{"error", message}}.dump());
}

std::string PercentEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto b = static_cast<unsigned char>(c);
    const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                            b == '-' || b == '.' || b == '_' || b == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

bool ParseTarget(const std::string& target, std::string& path, std::vector<std::string>& segments,
                 std::map<std::string, std::string>& query) {
  auto q = target.find('?');
  const std::string_view raw = std::string_view(target).substr(0, q);
  if (!Decode(raw, path, false)) return false;
  segments.clear();
  for (size_t i = 0; i < raw.size();) {
    size_t j = std::min(raw.find('/', i), raw.size());
    if (j > i && !Decode(raw.substr(i, j - i), segments.emplace_back(), false)) return false;
    i = j + 1;
  }
  if (q == std::string::npos) return true;
  std::string rest = target.substr(q + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t amp = rest.find('&', start);
    std::string pair = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      std::string k, v;
      if (!Decode(pair.substr(0, eq), k, true)) return false;
      if (eq != std::string::npos && !Decode(pair.substr(eq + 1), v, true)) return false;
      query[k] = v;
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return true;
}

}  // namespace ksearch::daemon
