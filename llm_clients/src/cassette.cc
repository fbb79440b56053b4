// RecordingClient and ReplayClient: JSONL cassettes (format in cassette.h).
#include "ksearch/llm_clients/cassette.h"

#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "ksearch/core/sha256.h"

namespace ksearch::llm {

using nlohmann::json;

namespace {

json MessagesJson(const CompletionRequest& r) {
  json m = json::array();
  for (const auto& x : r.messages) m.push_back({{"role", x.role}, {"content", x.content}});
  return m;
}

LlmErrorKind KindFromName(std::string_view n) {
  for (int k = 0; k <= static_cast<int>(LlmErrorKind::kReplayMiss); ++k) {
    if (LlmErrorKindName(static_cast<LlmErrorKind>(k)) == n) return static_cast<LlmErrorKind>(k);
  }
  return LlmErrorKind::kMalformed;
}

json AccountingJson(const CompletionResponse& r) {
  return {{"text", r.text},
          {"finish_reason", r.finish_reason},
          {"model", r.model},
          {"input_tokens", r.input_tokens},
          {"output_tokens", r.output_tokens},
          {"cost_usd", r.cost_usd},
          {"latency_ms", r.latency_ms},
          {"retries", r.retries}};
}

CompletionResponse AccountingFromJson(const json& j) {
  CompletionResponse r;
  r.text = j.value("text", "");
  r.finish_reason = j.value("finish_reason", "");
  r.model = j.value("model", "");
  r.input_tokens = j.value("input_tokens", int64_t{0});
  r.output_tokens = j.value("output_tokens", int64_t{0});
  r.cost_usd = j.value("cost_usd", 0.0);
  r.latency_ms = j.value("latency_ms", 0.0);
  r.retries = j.value("retries", 0);
  return r;
}

}  // namespace

std::string CassetteKey(std::string_view model, const CompletionRequest& r) {
  json norm = {{"model", model}, {"system", r.system}, {"messages", MessagesJson(r)}};
  return Sha256Hex(norm.dump());
}

// ---------------------------------------------------------------- recording

Result<std::unique_ptr<RecordingClient>> RecordingClient::New(LlmClient& inner, std::string model,
                                                              const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) return Status::IoError(path + ": cannot open cassette for appending");
  return std::unique_ptr<RecordingClient>(new RecordingClient(inner, std::move(model), f));
}

RecordingClient::RecordingClient(LlmClient& inner, std::string model, std::FILE* f)
    : inner_(inner), model_(std::move(model)), file_(f) {}

RecordingClient::~RecordingClient() { std::fclose(file_); }

void RecordingClient::Complete(CompletionRequest request, CompletionCallback done) {
  json line = {{"key", CassetteKey(model_, request)},
               {"attempt_id", request.attempt_id},
               {"endpoint", inner_.name()},
               {"model", model_},
               {"request",
                {{"system", request.system},
                 {"messages", MessagesJson(request)},
                 {"max_tokens", request.max_tokens},
                 {"temperature", request.temperature}}}};
  // `this` outlives the call: the owner destroys the recorder only after the
  // inner client's calls have completed or been cancelled (documented).
  inner_.Complete(std::move(request), [this, line = std::move(line), done = std::move(done)](
                                          CompletionOutcome o) mutable {
    line["ok"] = o.ok;
    line["response"] = AccountingJson(o.ok ? o.response : o.error.partial);
    if (!o.ok) {
      line["error"] = {{"kind", LlmErrorKindName(o.error.kind)},
                       {"http_status", o.error.http_status},
                       {"message", o.error.message}};
    }
    std::string text = line.dump() + "\n";
    std::fwrite(text.data(), 1, text.size(), file_);
    std::fflush(file_);
    done(std::move(o));
  });
}

// ------------------------------------------------------------------ replay

struct ReplayClient::Entry {
  std::string key;
  bool served = false;
  CompletionOutcome outcome;
};

ReplayClient::ReplayClient(boost::asio::io_context& io, std::string name, std::string model)
    : io_(io), name_(std::move(name)), model_(std::move(model)) {}

Result<std::unique_ptr<ReplayClient>> ReplayClient::Load(boost::asio::io_context& io, const std::string& path,
                                                         ReplayMode mode, std::string name, std::string model) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open cassette");
  std::unique_ptr<ReplayClient> c(new ReplayClient(io, std::move(name), std::move(model)));
  c->mode_ = mode;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    const std::string where = path + ":" + std::to_string(lineno) + ": ";
    if (j.is_discarded() || !j.is_object()) return Status::Corruption(where + "not a JSON object");
    if (!j.contains("key") || !j["key"].is_string() || !j.contains("ok") || !j["ok"].is_boolean() ||
        !j.contains("response") || !j["response"].is_object()) {
      return Status::Corruption(where + "a cassette line needs key (string), ok (bool) and response (object)");
    }
    auto e = std::make_shared<Entry>();
    e->key = j["key"].get<std::string>();
    if (c->model_.empty()) c->model_ = j.value("model", "");
    e->outcome.ok = j["ok"].get<bool>();
    CompletionResponse acc = AccountingFromJson(j["response"]);
    acc.endpoint = c->name_;
    acc.cost_usd = 0;  // a replay spends nothing; the recorded cost stays in the cassette
    if (e->outcome.ok) {
      e->outcome.response = acc;
    } else {
      const json& err = j.contains("error") && j["error"].is_object() ? j["error"] : json::object();
      e->outcome.error.kind = KindFromName(err.value("kind", "malformed"));
      e->outcome.error.http_status = err.value("http_status", 0);
      e->outcome.error.message = err.value("message", "") + " (replayed)";
      e->outcome.error.partial = acc;
    }
    c->order_.push_back(e);
    c->by_key_[e->key].push_back(e);
  }
  return c;
}

void ReplayClient::Complete(CompletionRequest request, CompletionCallback done) {
  std::shared_ptr<Entry> hit;
  if (mode_ == ReplayMode::kInOrder) {
    while (!order_.empty() && order_.front()->served) order_.pop_front();
    if (!order_.empty()) hit = order_.front();
  } else {
    auto it = by_key_.find(CassetteKey(model_, request));
    if (it != by_key_.end()) {
      while (!it->second.empty() && it->second.front()->served) it->second.pop_front();
      if (!it->second.empty()) hit = it->second.front();
    }
  }
  CompletionOutcome o;
  if (hit) {
    hit->served = true;
    o = hit->outcome;
  } else {
    o.ok = false;
    o.error.kind = LlmErrorKind::kReplayMiss;
    o.error.message = "replay " + name_ + ": the cassette has no " +
                      (mode_ == ReplayMode::kInOrder ? std::string("more entries")
                                                     : "entry for this request (key " +
                                                           CassetteKey(model_, request).substr(0, 12) + ")");
    o.error.partial.endpoint = name_;
  }
  boost::asio::post(io_, [done = std::move(done), o = std::move(o)]() mutable { done(std::move(o)); });
}

size_t ReplayClient::remaining() const {
  size_t n = 0;
  for (const auto& e : order_) n += e->served ? 0 : 1;
  return n;
}

}  // namespace ksearch::llm
