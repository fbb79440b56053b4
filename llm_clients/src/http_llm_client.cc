// HttpLlmClient::Impl: queue, rate limits, breaker, retries and accounting
// around one WireProtocol over one HttpTransport. See http_llm_client.h.
// Threading: everything runs on the io_context thread; async handlers hold a
// weak_ptr to Impl so they are no-ops once the client is gone.
// Invariant: every Call ends in Finish() exactly once, which removes it from
// calls_ and posts its callback; in_flight_ counts calls with in_transport.
#include "ksearch/llm_clients/http_llm_client.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "classify.h"
#include "failure_policy.h"
#include "llm_log.h"
#include "secrets.h"
#include "wire_protocol.h"

namespace ksearch::llm {

namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {
constexpr size_t kMaxRecordedStream = 4u << 20;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::chrono::milliseconds Ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, seconds) * 1000.0 + 0.5));
}

size_t PromptBytes(const CompletionRequest& r) {
  size_t n = r.system.size();
  for (const auto& m : r.messages) n += m.content.size() + m.role.size();
  return n;
}
}  // namespace

class HttpLlmClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  struct Call {
    uint64_t id = 0;
    CompletionRequest req;
    CompletionCallback done;
    std::string body;
    int attempts = 0;
    SteadyTime created;
    std::optional<SteadyTime> first_sent;
    std::optional<SteadyTime> deadline;
    double reserved_usd = 0;
    std::vector<MoneyBudget*> budgets;  // where reserved_usd is held (client's, request's)
    double tpm_estimate = 0;
    uint64_t transport_id = 0;
    bool in_transport = false;
    bool probe = false;
    std::unique_ptr<asio::steady_timer> backoff;
    std::unique_ptr<asio::steady_timer> deadline_timer;
    std::unique_ptr<StreamDecoder> stream;
    SseParser sse;
    Status stream_status;
    std::string stream_raw;
    int64_t input_tokens = 0;   // billed, summed over attempts
    int64_t output_tokens = 0;
    std::string model;
    std::string last_body;
  };

  Impl(asio::io_context& io, EndpointConfig cfg, HttpTransport& transport, MoneyBudget* budget,
       std::string key, uint64_t seed)
      : io_(io),
        cfg_(std::move(cfg)),
        transport_(transport),
        budget_(budget),
        protocol_(NewProtocol(cfg_.protocol)),
        url_(protocol_->Url(cfg_)),
        headers_(protocol_->Headers(cfg_, key)),
        redact_(key),
        rng_(seed),
        rpm_(cfg_.requests_per_minute, steady_clock::now()),
        tpm_(cfg_.tokens_per_minute, steady_clock::now()),
        breaker_(cfg_.breaker_failures, Seconds(cfg_.breaker_cooldown_s)),
        pump_timer_(io),
        log_(LlmLogger()) {}

  const EndpointConfig& cfg() const { return cfg_; }

  double Price(int64_t in, int64_t out) const {
    return (in * cfg_.price_input_per_mtok + out * cfg_.price_output_per_mtok) / 1e6;
  }

  void Complete(CompletionRequest req, CompletionCallback done) {
    ++stats_.calls;
    auto call = std::make_shared<Call>();
    call->id = next_id_++;
    call->created = steady_clock::now();
    call->done = std::move(done);
    call->req = std::move(req);
    call->model = cfg_.model;
    if (call->req.messages.empty()) {
      return Fail(call, LlmErrorKind::kMalformed, 0, "request has no messages");
    }
    call->body = protocol_->Body(cfg_, call->req);
    const int max_tokens = EffectiveMaxTokens(cfg_, call->req);
    const size_t bytes = PromptBytes(call->req);
    // Upper bound for the budget: a token is at least one byte.
    const int64_t in_bound = static_cast<int64_t>(bytes + 8 * call->req.messages.size() + 16);
    call->reserved_usd = Price(in_bound, max_tokens);
    call->tpm_estimate = static_cast<double>(bytes) / 4.0 + max_tokens;
    for (MoneyBudget* b : {budget_, call->req.budget}) {
      if (b == nullptr || std::find(call->budgets.begin(), call->budgets.end(), b) != call->budgets.end()) continue;
      if (b->TryReserve(call->reserved_usd)) {
        call->budgets.push_back(b);
        continue;
      }
      for (MoneyBudget* held : call->budgets) held->Settle(call->reserved_usd, 0);
      call->budgets.clear();
      call->reserved_usd = 0;
      return Fail(call, LlmErrorKind::kBudget, 0,
                  std::string(b == budget_ ? "" : "request ") + "money budget would be exceeded (limit " +
                      std::to_string(b->limit()) + " USD, spent " + std::to_string(b->spent()) +
                      ", this call may cost up to " + std::to_string(Price(in_bound, max_tokens)) + ")");
    }
    calls_[call->id] = call;
    if (cfg_.deadline_s > 0) {
      call->deadline = call->created + std::chrono::duration_cast<steady_clock::duration>(Seconds(cfg_.deadline_s));
      call->deadline_timer = std::make_unique<asio::steady_timer>(io_, *call->deadline);
      call->deadline_timer->async_wait([w = weak_from_this(), id = call->id](const boost::system::error_code& ec) {
        auto self = w.lock();
        if (ec || !self) return;
        self->OnDeadline(id);
      });
    }
    queue_.push_back(call->id);
    Pump();
  }

  void CancelAll() {
    std::vector<std::shared_ptr<Call>> all;
    for (auto& [id, c] : calls_) all.push_back(c);
    const bool was_pumping = pumping_;
    pumping_ = true;  // no new attempts while everything is being cancelled
    for (auto& c : all) Fail(c, LlmErrorKind::kCancelled, 0, "cancelled");
    pumping_ = was_pumping;
    pump_timer_.cancel();
  }

  ClientStats Stats() const {
    ClientStats s = stats_;
    s.in_flight = in_flight_;
    s.queued = static_cast<int64_t>(queue_.size());
    s.breaker = std::string(CircuitBreaker::Name(breaker_.state()));
    return s;
  }

 private:
  void Pump() {
    if (pumping_) return;  // Finish() inside the loop calls Pump() again
    pumping_ = true;
    while (!queue_.empty() && in_flight_ < cfg_.max_concurrency) {
      auto it = calls_.find(queue_.front());
      if (it == calls_.end()) {
        queue_.pop_front();
        continue;
      }
      std::shared_ptr<Call> call = it->second;
      const SteadyTime now = steady_clock::now();
      CircuitBreaker::Admit admit = breaker_.Allow(now);
      if (admit == CircuitBreaker::Admit::kNo) {
        queue_.pop_front();
        Fail(call, LlmErrorKind::kCircuitOpen, 0,
             "circuit breaker open after " + std::to_string(cfg_.breaker_failures) +
                 " consecutive failures; not calling the endpoint" +
                 (last_failure_.empty() ? "" : " (last failure: " + last_failure_ + ")"));
        continue;
      }
      Seconds wait = std::max(rpm_.WaitFor(1, now), tpm_.WaitFor(call->tpm_estimate, now));
      if (wait.count() > 0) {
        if (admit == CircuitBreaker::Admit::kProbe) breaker_.ReleaseProbe();
        pump_timer_.expires_after(std::chrono::duration_cast<steady_clock::duration>(wait) +
                                  std::chrono::milliseconds(1));
        pump_timer_.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
          if (auto self = w.lock(); self && !ec) self->Pump();
        });
        break;
      }
      rpm_.TryTake(1, now);
      tpm_.TryTake(call->tpm_estimate, now);
      queue_.pop_front();
      call->probe = admit == CircuitBreaker::Admit::kProbe;
      StartAttempt(call, now);
    }
    pumping_ = false;
  }

  void StartAttempt(const std::shared_ptr<Call>& call, SteadyTime now) {
    ++call->attempts;
    ++stats_.attempts;
    if (call->attempts > 1) ++stats_.retries;
    if (!call->first_sent) call->first_sent = now;
    HttpRequest hr;
    hr.url = url_;
    hr.headers = headers_;
    hr.body = call->body;
    double timeout = cfg_.timeout_s;
    if (call->deadline) timeout = std::min(timeout, Seconds(*call->deadline - now).count());
    hr.timeout = std::max(std::chrono::milliseconds(1), Ms(timeout));
    hr.connect_timeout = Ms(cfg_.connect_timeout_s);
    DataCallback on_data;
    if (cfg_.stream) {
      call->stream = protocol_->NewStream();
      call->sse = SseParser();
      call->stream_status = Status::Ok();
      call->stream_raw.clear();
      on_data = [w = weak_from_this(), id = call->id](std::string_view chunk) {
        if (auto self = w.lock()) self->OnData(id, chunk);
      };
    }
    call->in_transport = true;
    ++in_flight_;
    call->transport_id = transport_.Start(
        std::move(hr), std::move(on_data), [w = weak_from_this(), id = call->id](HttpResult r) {
          if (auto self = w.lock()) self->OnAttemptDone(id, std::move(r));
        });
  }

  // Runs inside the transport's read path: parse only, never call transport_.
  void OnData(uint64_t id, std::string_view chunk) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    Call& c = *it->second;
    if (c.stream_raw.size() < kMaxRecordedStream) c.stream_raw.append(chunk);
    for (const auto& ev : c.sse.Feed(chunk)) {
      if (!c.stream_status.ok()) break;
      c.stream_status = c.stream->OnEvent(ev);
    }
  }

  void OnAttemptDone(uint64_t id, HttpResult r) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;  // already finished (deadline, cancel)
    std::shared_ptr<Call> call = it->second;
    call->in_transport = false;
    --in_flight_;
    if (r.error == TransportError::kCancelled) {
      if (call->probe) breaker_.ReleaseProbe();
      return Fail(call, LlmErrorKind::kCancelled, 0, "cancelled by the transport");
    }
    const SteadyTime now = steady_clock::now();
    AttemptResult a = ClassifyAttempt(r, *protocol_, call->stream.get(), call->stream_status, UnixNow());
    call->last_body = cfg_.stream && r.status >= 200 && r.status < 300 ? call->stream_raw : r.body;
    call->input_tokens += a.decoded.input_tokens;
    call->output_tokens += a.decoded.output_tokens;
    if (!a.decoded.model.empty()) call->model = a.decoded.model;
    if (a.endpoint_failure) {
      bool was_open = breaker_.state() == CircuitBreaker::State::kOpen;
      breaker_.RecordFailure(now);
      last_failure_ = redact_(a.message.substr(0, 200));
      if (!was_open && breaker_.state() == CircuitBreaker::State::kOpen) {
        log_->warn("llm.breaker.open endpoint={} last_failure=\"{}\"", cfg_.name, last_failure_);
      }
    } else {
      breaker_.RecordSuccess();
    }
    if (a.ok) return Succeed(call, a);
    if (a.retryable && call->attempts <= cfg_.max_retries) {
      Seconds delay = a.retry_after
                          ? std::min(*a.retry_after, Seconds(cfg_.backoff_max_s))
                          : FullJitterBackoff(call->attempts, cfg_.backoff_initial_s, cfg_.backoff_max_s, rng_);
      if (call->deadline && now + std::chrono::duration_cast<steady_clock::duration>(delay) >= *call->deadline) {
        return Fail(call, a.kind, a.http_status, a.message + " (no retry: the deadline comes first)", &a);
      }
      log_->warn("llm.retry endpoint={} attempt_id={} attempt={} kind={} status={} delay_ms={:.0f} reason=\"{}\"",
                 cfg_.name, call->req.attempt_id, call->attempts, LlmErrorKindName(a.kind), a.http_status,
                 delay.count() * 1000, redact_(a.message.substr(0, 200)));
      stats_.last_backoff_s = delay.count();
      call->backoff = std::make_unique<asio::steady_timer>(io_, std::chrono::duration_cast<steady_clock::duration>(delay));
      call->backoff->async_wait([w = weak_from_this(), id](const boost::system::error_code& ec) {
        auto self = w.lock();
        if (ec || !self || !self->calls_.count(id)) return;
        self->queue_.push_front(id);  // a retry goes ahead of new calls
        self->Pump();
      });
      Pump();
      return;
    }
    std::string msg = a.message;
    if (a.retryable) msg += " (gave up after " + std::to_string(call->attempts) + " attempts)";
    Fail(call, a.kind, a.http_status, msg, &a);
  }

  void OnDeadline(uint64_t id) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    std::shared_ptr<Call> call = it->second;
    Fail(call, LlmErrorKind::kTimeout, 0,
         "deadline of " + std::to_string(cfg_.deadline_s) + " s exceeded after " +
             std::to_string(call->attempts) + " attempt(s)");
  }

  void Succeed(const std::shared_ptr<Call>& call, const AttemptResult& a) {
    CompletionOutcome o;
    o.ok = true;
    o.response.text = a.decoded.text;
    o.response.finish_reason = a.decoded.finish_reason;
    Finish(call, std::move(o));
  }

  void Fail(const std::shared_ptr<Call>& call, LlmErrorKind kind, int status, const std::string& msg,
            const AttemptResult* a = nullptr) {
    CompletionOutcome o;
    o.ok = false;
    o.error.kind = kind;
    o.error.http_status = status;
    o.error.message = redact_("endpoint " + cfg_.name + ": " + msg);
    if (a != nullptr) {
      o.error.partial.text = a->decoded.text;
      o.error.partial.finish_reason = a->decoded.finish_reason;
    }
    Finish(call, std::move(o));
  }

  // Ends a call: releases its slot, timers and budget, posts the callback.
  // `call` is taken by value: callers may pass a reference to the calls_
  // entry, which the erase below destroys (found by ASan, deadline path).
  void Finish(std::shared_ptr<Call> call, CompletionOutcome o) {
    const bool live = calls_.erase(call->id) > 0;
    if (live) {
      auto q = std::find(queue_.begin(), queue_.end(), call->id);
      if (q != queue_.end()) queue_.erase(q);
    }
    if (call->in_transport) {
      call->in_transport = false;
      --in_flight_;
      if (call->probe) breaker_.ReleaseProbe();
      transport_.Cancel(call->transport_id);
    }
    if (call->backoff) call->backoff->cancel();
    if (call->deadline_timer) call->deadline_timer->cancel();
    const SteadyTime now = steady_clock::now();
    CompletionResponse& acc = o.ok ? o.response : o.error.partial;
    acc.endpoint = cfg_.name;
    acc.model = call->model;
    acc.input_tokens = call->input_tokens;
    acc.output_tokens = call->output_tokens;
    acc.cost_usd = Price(call->input_tokens, call->output_tokens);
    acc.latency_ms = call->first_sent ? std::chrono::duration<double, std::milli>(now - *call->first_sent).count() : 0;
    acc.retries = std::max(0, call->attempts - 1);
    acc.text = redact_(acc.text);  // an endpoint could echo the key back
    acc.request_body = redact_(call->body);
    acc.response_body = redact_(call->last_body);
    for (MoneyBudget* b : call->budgets) b->Settle(call->reserved_usd, acc.cost_usd);
    call->budgets.clear();
    tpm_.Refund(call->tpm_estimate - static_cast<double>(call->input_tokens + call->output_tokens), now);
    stats_.cost_usd += acc.cost_usd;
    if (o.ok) {
      ++stats_.succeeded;
      log_->debug("llm.call.ok endpoint={} attempt_id={} in={} out={} cost_usd={:.6f} latency_ms={:.1f} retries={}",
                  cfg_.name, call->req.attempt_id, acc.input_tokens, acc.output_tokens, acc.cost_usd,
                  acc.latency_ms, acc.retries);
    } else {
      ++stats_.failed;
      auto level = o.error.kind == LlmErrorKind::kCancelled ? spdlog::level::debug : spdlog::level::warn;
      log_->log(level, "llm.call.failed endpoint={} attempt_id={} kind={} status={} retries={} message=\"{}\"",
                cfg_.name, call->req.attempt_id, LlmErrorKindName(o.error.kind), o.error.http_status,
                acc.retries, o.error.message);
    }
    asio::post(io_, [done = std::move(call->done), o = std::move(o)]() mutable { done(std::move(o)); });
    call->done = nullptr;
    Pump();
  }

  asio::io_context& io_;
  const EndpointConfig cfg_;
  HttpTransport& transport_;
  MoneyBudget* const budget_;
  const std::unique_ptr<WireProtocol> protocol_;
  const std::string url_;
  const std::vector<std::pair<std::string, std::string>> headers_;  // holds the key
  const Redactor redact_;
  // Only touched on the io_context thread.
  std::mt19937_64 rng_;
  TokenBucket rpm_;
  TokenBucket tpm_;
  CircuitBreaker breaker_;
  asio::steady_timer pump_timer_;
  std::map<uint64_t, std::shared_ptr<Call>> calls_;  // every unfinished call
  std::deque<uint64_t> queue_;                        // waiting to start an attempt
  int in_flight_ = 0;
  bool pumping_ = false;
  uint64_t next_id_ = 1;
  std::string last_failure_;  // redacted
  ClientStats stats_;
  std::shared_ptr<spdlog::logger> log_;
};

Result<std::unique_ptr<HttpLlmClient>> HttpLlmClient::New(asio::io_context& io, const EndpointConfig& config,
                                                          HttpTransport& transport, MoneyBudget* budget,
                                                          uint64_t rng_seed) {
  KS_RETURN_IF_ERROR(ValidateEndpoint(config));
  Result<std::string> key = ReadApiKey(config);
  if (!key.ok()) return key.status();
  auto impl = std::make_shared<Impl>(io, config, transport, budget, std::move(key).value(), rng_seed);
  return std::unique_ptr<HttpLlmClient>(new HttpLlmClient(std::move(impl)));
}

HttpLlmClient::HttpLlmClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpLlmClient::~HttpLlmClient() { impl_->CancelAll(); }
const std::string& HttpLlmClient::name() const { return impl_->cfg().name; }
void HttpLlmClient::Complete(CompletionRequest r, CompletionCallback done) { impl_->Complete(std::move(r), std::move(done)); }
void HttpLlmClient::CancelAll() { impl_->CancelAll(); }
double HttpLlmClient::PriceUsd(int64_t in, int64_t out) const { return impl_->Price(in, out); }
const EndpointConfig& HttpLlmClient::config() const { return impl_->cfg(); }
ClientStats HttpLlmClient::Stats() const { return impl_->Stats(); }

}  // namespace ksearch::llm
