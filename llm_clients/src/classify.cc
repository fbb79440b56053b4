#include "classify.h"

#include <algorithm>
#include <cctype>

namespace ksearch::llm {
namespace {

bool Blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

// Maps the decoded reply to ok / kMaxTokens / kEmpty.
void FromDecoded(Decoded d, AttemptResult* a) {
  a->decoded = std::move(d);
  if (a->decoded.max_tokens) {
    a->kind = LlmErrorKind::kMaxTokens;
    a->message = "the reply was cut at the token limit (finish_reason " + a->decoded.finish_reason + ")";
  } else if (Blank(a->decoded.text)) {
    a->kind = LlmErrorKind::kEmpty;
    a->message = "the reply has no text (finish_reason " +
                 (a->decoded.finish_reason.empty() ? std::string("none") : a->decoded.finish_reason) + ")";
  } else {
    a->ok = true;
  }
}

}  // namespace

AttemptResult ClassifyAttempt(const HttpResult& r, const WireProtocol& protocol,
                              const StreamDecoder* stream, const Status& stream_status,
                              double now_unix_s) {
  AttemptResult a;
  a.http_status = r.status;
  switch (r.error) {
    case TransportError::kNone:
      break;
    case TransportError::kTimeout:
      a.kind = LlmErrorKind::kTimeout;
      a.message = "request timed out: " + r.error_message;
      a.retryable = a.endpoint_failure = true;
      return a;
    case TransportError::kConnect:
    case TransportError::kClosed:
      a.kind = LlmErrorKind::kConnection;
      a.message = std::string(TransportErrorName(r.error)) + ": " + r.error_message;
      a.retryable = a.endpoint_failure = true;
      return a;
    case TransportError::kCancelled:
      a.kind = LlmErrorKind::kCancelled;
      a.message = "cancelled";
      return a;
    case TransportError::kOther:
      a.kind = LlmErrorKind::kConnection;
      a.message = r.error_message;
      a.endpoint_failure = true;
      return a;
  }
  if (r.status < 200 || r.status >= 300) {
    a.kind = LlmErrorKind::kHttpStatus;
    std::string detail = protocol.ErrorMessage(r.body);
    if (detail.empty()) detail = r.body.substr(0, 300);
    a.message = "HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ": " + detail);
    a.retryable = IsRetryableStatus(r.status);
    a.endpoint_failure = r.status >= 500;
    std::string ra = r.Header("retry-after");
    if (!ra.empty()) a.retry_after = ParseRetryAfter(ra, now_unix_s);
    std::string ra_ms = r.Header("retry-after-ms");
    if (!a.retry_after && !ra_ms.empty()) {
      if (auto s = ParseRetryAfter(ra_ms, now_unix_s)) a.retry_after = Seconds(s->count() / 1000.0);
    }
    return a;
  }
  if (stream == nullptr) {
    Result<Decoded> d = protocol.Decode(r.body);
    if (!d.ok()) {
      a.kind = LlmErrorKind::kMalformed;
      a.message = "malformed response: " + d.error().message() + "; body starts: " + r.body.substr(0, 200);
      return a;
    }
    FromDecoded(std::move(d).value(), &a);
    return a;
  }
  if (!stream_status.ok()) {
    a.kind = LlmErrorKind::kMalformed;
    a.message = "malformed stream: " + stream_status.message();
    a.decoded = stream->decoded();
    return a;
  }
  const Decoded& d = stream->decoded();
  if (!d.error_type.empty()) {
    // In-band error after a 200: Anthropic overloaded_error, api_error, ...
    a.kind = LlmErrorKind::kHttpStatus;
    a.message = "stream error " + d.error_type + ": " + d.error_message;
    a.retryable = d.error_type == "overloaded_error" || d.error_type == "api_error" ||
                  d.error_type == "rate_limit_error" || d.error_type == "server_error";
    a.endpoint_failure = a.retryable && d.error_type != "rate_limit_error";
    a.decoded = d;
    return a;
  }
  if (!stream->finished()) {
    a.kind = LlmErrorKind::kConnection;
    a.message = "stream truncated: the connection ended before the final event ([DONE] / "
                "message_stop) after " + std::to_string(d.text.size()) + " bytes of text";
    a.retryable = a.endpoint_failure = true;
    a.decoded = d;
    return a;
  }
  FromDecoded(d, &a);
  return a;
}

}  // namespace ksearch::llm
