#include "secrets.h"

#include <cstdlib>

#include "ksearch/core/file_text.h"

namespace ksearch::llm {

Result<std::string> ReadApiKey(const EndpointConfig& c) {
  // "daemon.yaml:41: endpoint hosted: ", the file and line of the endpoint
  // when it came from one, so a missing key points at the config to fix.
  const std::string where = (c.origin.empty() ? "" : c.origin + ": ") + "endpoint " + c.name + ": ";
  std::string key;
  if (!c.api_key_env.empty()) {
    const char* v = std::getenv(c.api_key_env.c_str());
    if (v == nullptr || *v == '\0') {
      return Status::InvalidArgument(where + "environment variable " + c.api_key_env + " (api_key_env) is not set");
    }
    key = v;
  } else if (!c.api_key_file.empty()) {
    auto text = ReadFileText(c.api_key_file, "api_key_file");
    if (!text.ok()) return Status::InvalidArgument(where + text.status().message());
    key = std::move(*text);
  } else {
    return std::string();
  }
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' ||
                          key.back() == '\t')) {
    key.pop_back();
  }
  size_t start = key.find_first_not_of(" \t\r\n");
  key = start == std::string::npos ? std::string() : key.substr(start);
  if (key.empty()) {
    return Status::InvalidArgument(where + "the API key source (" +
                                   (c.api_key_env.empty() ? c.api_key_file : c.api_key_env) + ") is empty");
  }
  if (key.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument(where + "the API key contains a line break");
  }
  return key;
}

std::string Redactor::operator()(std::string_view text) const {
  std::string out(text);
  if (secret_.empty()) return out;
  size_t pos = 0;
  while ((pos = out.find(secret_, pos)) != std::string::npos) {
    out.replace(pos, secret_.size(), "[REDACTED]");
    pos += 10;
  }
  return out;
}

}  // namespace ksearch::llm
