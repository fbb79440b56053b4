// Record/replay of LLM calls as a JSONL cassette.
//
// One line per finished call: {"key", "attempt_id", "endpoint", "model",
// "request": {system, messages, max_tokens, temperature}, "ok", "response":
// {text, finish_reason, input_tokens, output_tokens, cost_usd, latency_ms,
// retries}, "error": {kind, http_status, message}}. The key is the sha256 of the
// normalized request (model + system + messages), so a replay finds the reply
// for the same prompt. Keys never reach the cassette: the wrapped client
// already redacts them and the recorder stores no headers.
// Threading: as LlmClient (io_context thread); the file is appended and flushed
// per call. Ownership: RecordingClient does not own `inner`; `inner` and the
// recorder must outlive every pending call (CancelAll, then run the io_context
// until the callbacks have run, before destroying them).
#pragma once

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "ksearch/core/status.h"
#include "ksearch/llm_clients/llm_client.h"

namespace boost::asio {
class io_context;
}

namespace ksearch::llm {

// sha256 hex of the normalized (model, system, messages).
std::string CassetteKey(std::string_view model, const CompletionRequest& r);

class RecordingClient final : public LlmClient {
 public:
  // Opens `path` for appending. `model` goes into the key.
  static Result<std::unique_ptr<RecordingClient>> New(LlmClient& inner,
                                                      std::string model,
                                                      const std::string& path);
  ~RecordingClient() override;

  const std::string& name() const override { return inner_.name(); }
  void Complete(CompletionRequest request, CompletionCallback done) override;
  void CancelAll() override { inner_.CancelAll(); }
  double PriceUsd(int64_t in, int64_t out) const override { return inner_.PriceUsd(in, out); }

 private:
  RecordingClient(LlmClient& inner, std::string model, std::FILE* f);
  LlmClient& inner_;
  const std::string model_;
  std::FILE* file_;  // owned; appended on the io thread only
};

enum class ReplayMode {
  kByKey,    // the next unserved entry with the request's key
  kInOrder,  // the next unserved entry, whatever the request
};

class ReplayClient final : public LlmClient {
 public:
  // Loads the whole cassette; errors name the file and line. `model` is used
  // in the key; empty: the model of the cassette's first entry.
  static Result<std::unique_ptr<ReplayClient>> Load(boost::asio::io_context& io,
                                                    const std::string& path,
                                                    ReplayMode mode,
                                                    std::string name = "replay",
                                                    std::string model = "");

  const std::string& name() const override { return name_; }
  // Serves the recorded outcome (success or the recorded error) or kReplayMiss.
  void Complete(CompletionRequest request, CompletionCallback done) override;
  void CancelAll() override {}  // replies are posted at once; nothing pending
  double PriceUsd(int64_t, int64_t) const override { return 0; }
  size_t remaining() const;

 private:
  struct Entry;
  ReplayClient(boost::asio::io_context& io, std::string name, std::string model);
  boost::asio::io_context& io_;
  const std::string name_;
  std::string model_;
  ReplayMode mode_ = ReplayMode::kByKey;
  std::deque<std::shared_ptr<Entry>> order_;                       // unserved, file order
  std::map<std::string, std::deque<std::shared_ptr<Entry>>> by_key_;  // unserved
};

}  // namespace ksearch::llm
