// YAML loader for endpoint configs. yaml-cpp stays inside this file.
// Errors: "file:line:col: endpoints[i].key: problem", all collected.
#include "ksearch/llm_clients/endpoint_config.h"

#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "ksearch/core/file_text.h"

namespace ksearch::llm {
namespace {

class Reader {
 public:
  Reader(std::string_view file, std::vector<std::string>* errors) : file_(file), errors_(errors) {}

  void Error(const YAML::Node& n, const std::string& path, const std::string& msg) {
    std::ostringstream os;
    os << file_;
    if (n.IsDefined() && n.Mark().line >= 0) os << ":" << n.Mark().line + 1 << ":" << n.Mark().column + 1;
    os << ": " << path << ": " << msg;
    errors_->push_back(os.str());
  }

  std::string Scalar(const YAML::Node& n) {
    return n.IsScalar() ? n.Scalar() : std::string("<") + (n.IsMap() ? "map" : "sequence") + ">";
  }

  void Str(const YAML::Node& n, const std::string& path, std::string* out) {
    if (!n.IsScalar()) return Error(n, path, "expected a string");
    *out = n.Scalar();
  }
  void Num(const YAML::Node& n, const std::string& path, double lo, double hi, double* out) {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !(v >= lo && v <= hi)) {
      std::ostringstream os;
      os << "expected a number in [" << lo << ", " << hi << "], got \"" << Scalar(n) << "\"";
      return Error(n, path, os.str());
    }
    *out = v;
  }
  void Int(const YAML::Node& n, const std::string& path, int lo, int hi, int* out) {
    int v = 0;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, v) || v < lo || v > hi) {
      std::ostringstream os;
      os << "expected an integer in [" << lo << ", " << hi << "], got \"" << Scalar(n) << "\"";
      return Error(n, path, os.str());
    }
    *out = v;
  }
  void Bool(const YAML::Node& n, const std::string& path, bool* out) {
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      return Error(n, path, "expected true or false, got \"" + Scalar(n) + "\"");
    }
    *out = v;
  }

  std::string file() const { return std::string(file_); }

 private:
  std::string_view file_;
  std::vector<std::string>* errors_;
};

void ParseSampling(Reader& r, const YAML::Node& n, const std::string& path, SamplingOptions* s) {
  if (!n.IsMap()) return r.Error(n, path, "expected a map");
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    std::string p = path + "." + key;
    if (key == "temperature") r.Num(kv.second, p, 0, 2, &s->temperature);
    else if (key == "top_p") r.Num(kv.second, p, 0.0001, 1, &s->top_p);
    else if (key == "max_tokens") r.Int(kv.second, p, 1, 1 << 22, &s->max_tokens);
    else r.Error(kv.first, p, "unknown key (expected temperature, top_p, max_tokens)");
  }
}

void ParseOne(Reader& r, const YAML::Node& n, const std::string& path, EndpointConfig* c) {
  if (!n.IsMap()) return r.Error(n, path, "expected a map");
  c->origin = r.file() + ":" + std::to_string(n.Mark().line + 1);
  std::set<std::string> seen;
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    const std::string p = path + "." + key;
    seen.insert(key);
    if (key == "name") r.Str(v, p, &c->name);
    else if (key == "protocol") {
      std::string s;
      r.Str(v, p, &s);
      if (s == "openai") c->protocol = Protocol::kOpenAi;
      else if (s == "anthropic") c->protocol = Protocol::kAnthropic;
      else if (v.IsScalar()) r.Error(v, p, "expected openai or anthropic, got \"" + s + "\"");
    } else if (key == "base_url") r.Str(v, p, &c->base_url);
    else if (key == "model") r.Str(v, p, &c->model);
    else if (key == "api_key_env") r.Str(v, p, &c->api_key_env);
    else if (key == "api_key_file") r.Str(v, p, &c->api_key_file);
    else if (key == "api_key" || key == "key" || key == "apikey" || key == "token") {
      // Never echo the value: it is a secret placed where it must not be.
      r.Error(kv.first, p, "API keys must not appear in config files; use api_key_env or api_key_file");
    } else if (key == "anthropic_version") r.Str(v, p, &c->anthropic_version);
    else if (key == "sampling") ParseSampling(r, v, p, &c->sampling);
    else if (key == "stream") r.Bool(v, p, &c->stream);
    else if (key == "max_concurrency") r.Int(v, p, 1, 4096, &c->max_concurrency);
    else if (key == "requests_per_minute") r.Num(v, p, 0, 1e9, &c->requests_per_minute);
    else if (key == "tokens_per_minute") r.Num(v, p, 0, 1e12, &c->tokens_per_minute);
    else if (key == "price_input_per_mtok") r.Num(v, p, 0, 1e6, &c->price_input_per_mtok);
    else if (key == "price_output_per_mtok") r.Num(v, p, 0, 1e6, &c->price_output_per_mtok);
    else if (key == "timeout_s") r.Num(v, p, 0.001, 86400, &c->timeout_s);
    else if (key == "deadline_s") r.Num(v, p, 0, 7 * 86400, &c->deadline_s);
    else if (key == "connect_timeout_s") r.Num(v, p, 0.001, 3600, &c->connect_timeout_s);
    else if (key == "max_retries") r.Int(v, p, 0, 100, &c->max_retries);
    else if (key == "backoff_initial_s") r.Num(v, p, 0, 3600, &c->backoff_initial_s);
    else if (key == "backoff_max_s") r.Num(v, p, 0, 86400, &c->backoff_max_s);
    else if (key == "breaker_failures") r.Int(v, p, 0, 1000000, &c->breaker_failures);
    else if (key == "breaker_cooldown_s") r.Num(v, p, 0, 86400, &c->breaker_cooldown_s);
    else r.Error(kv.first, p, "unknown key");
  }
  for (const char* req : {"name", "protocol", "base_url", "model"}) {
    if (!seen.count(req)) r.Error(n, path + "." + req, "required key is missing");
  }
  if (seen.count("api_key_env") && seen.count("api_key_file")) {
    r.Error(n, path, "set api_key_env or api_key_file, not both");
  }
}

Result<std::vector<EndpointConfig>> ParseEndpointsOrThrow(const YAML::Node& list, std::string_view file);

}  // namespace

std::string_view ProtocolName(Protocol p) {
  return p == Protocol::kAnthropic ? "anthropic" : "openai";
}

Status ValidateEndpoint(const EndpointConfig& c) {
  std::string where = "endpoint " + (c.name.empty() ? std::string("<unnamed>") : c.name) + ": ";
  if (c.name.empty()) return Status::InvalidArgument(where + "name is empty");
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(where + "base_url must start with http:// or https://");
  }
  if (c.model.empty()) return Status::InvalidArgument(where + "model is empty");
  if (!c.api_key_env.empty() && !c.api_key_file.empty()) {
    return Status::InvalidArgument(where + "set api_key_env or api_key_file, not both");
  }
  if (c.max_concurrency < 1) return Status::InvalidArgument(where + "max_concurrency must be >= 1");
  if (c.timeout_s <= 0) return Status::InvalidArgument(where + "timeout_s must be > 0");
  if (c.max_retries < 0) return Status::InvalidArgument(where + "max_retries must be >= 0");
  if (c.backoff_max_s < c.backoff_initial_s) {
    return Status::InvalidArgument(where + "backoff_max_s must be >= backoff_initial_s");
  }
  if (c.sampling.max_tokens < 1) return Status::InvalidArgument(where + "sampling.max_tokens must be >= 1");
  return Status::Ok();
}

Result<std::vector<EndpointConfig>> ParseEndpoints(const YAML::Node& list, std::string_view file) {
  try {
    return ParseEndpointsOrThrow(list, file);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(file) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

namespace {
Result<std::vector<EndpointConfig>> ParseEndpointsOrThrow(const YAML::Node& list, std::string_view file) {
  std::vector<std::string> errors;
  Reader r(file, &errors);
  std::vector<EndpointConfig> out;
  if (!list.IsSequence()) {
    r.Error(list, "endpoints", "expected a list of endpoints");
  } else {
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string path = "endpoints[" + std::to_string(i) + "]";
      EndpointConfig c;
      size_t before = errors.size();
      ParseOne(r, list[i], path, &c);
      if (errors.size() == before) {
        Status s = ValidateEndpoint(c);
        if (!s.ok()) r.Error(list[i], path, s.message());
        else if (!names.insert(c.name).second) r.Error(list[i], path + ".name", "duplicate name " + c.name);
      }
      out.push_back(std::move(c));
    }
  }
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return Status::InvalidArgument(msg);
  }
  return out;
}
}  // namespace

Result<std::vector<EndpointConfig>> ParseEndpointsYaml(std::string_view text, std::string_view file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(file) + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  try {
    if (root.IsMap()) {
      if (!root["endpoints"]) {
        return Status::InvalidArgument(std::string(file) + ": endpoints: required key is missing");
      }
      return ParseEndpoints(root["endpoints"], file);
    }
    return ParseEndpoints(root, file);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(file) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<std::vector<EndpointConfig>> LoadEndpointsFile(const std::string& path) {
  auto text = ReadFileText(path, "the endpoint config");
  if (!text.ok()) return text.status();
  return ParseEndpointsYaml(*text, path);
}

}  // namespace ksearch::llm
