#include "ksearch/core/status.h"

#include <cstdio>
#include <cstdlib>

namespace ksearch {

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kInvalidArgument: return "invalid_argument";
    case Status::Code::kNotFound: return "not_found";
    case Status::Code::kUnavailable: return "unavailable";
    case Status::Code::kRateLimited: return "rate_limited";
    case Status::Code::kDeadlineExceeded: return "deadline_exceeded";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kCancelled: return "cancelled";
    case Status::Code::kInternal: return "internal";
    case Status::Code::kIoError: return "io_error";
    case Status::Code::kFailedPrecondition: return "failed_precondition";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code()));
  out += ": ";
  out += message();
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message();
  return Status(code(), std::move(msg));
}

void AbortOnBadResultAccess(const Status& s) {
  std::fprintf(stderr, "ksearch: value() of an error Result: %s\n", s.ToString().c_str());
  std::abort();
}

void CheckFailed(const char* file, int line, const char* expr) {
  std::fprintf(stderr, "ksearch: check failed at %s:%d: %s\n", file, line, expr);
  std::abort();
}

}  // namespace ksearch
