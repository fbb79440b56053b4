// Status and Result<T>: errors as values across component boundaries.
//
// Status is a code plus a message; OK carries no allocation. Errors come from
// named factories and callers test predicates (leveldb style). Result<T> mirrors
// the std::expected API so it can become an alias under C++23.
// Thread-safety: values; no shared state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ksearch {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,
    kNotFound,
    kUnavailable,
    kRateLimited,
    kDeadlineExceeded,
    kCorruption,
    kCancelled,
    kInternal,
    kIoError,
    kFailedPrecondition,
  };

  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status RateLimited(std::string msg) { return Status(Code::kRateLimited, std::move(msg)); }
  static Status DeadlineExceeded(std::string msg) { return Status(Code::kDeadlineExceeded, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Cancelled(std::string msg) { return Status(Code::kCancelled, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status FailedPrecondition(std::string msg) { return Status(Code::kFailedPrecondition, std::move(msg)); }

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  // The message without the code prefix; empty when OK.
  const std::string& message() const;
  // "invalid_argument: <message>" or "ok".
  std::string ToString() const;

  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsDeadlineExceeded() const { return code() == Code::kDeadlineExceeded; }
  bool IsCancelled() const { return code() == Code::kCancelled; }
  bool IsCorruption() const { return code() == Code::kCorruption; }

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const;

 private:
  struct Rep {
    Code code;
    std::string message;
  };
  Status(Code code, std::string msg) : rep_(std::make_shared<const Rep>(Rep{code, std::move(msg)})) {}
  std::shared_ptr<const Rep> rep_;  // null means OK
};

std::string_view CodeName(Status::Code code);

// Result<T>: a T or a non-OK Status. Accessing value() of an error aborts.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result constructed from OK status");
  }

  bool has_value() const { return std::holds_alternative<T>(v_); }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & { Check(); return std::get<T>(v_); }
  const T& value() const& { Check(); return std::get<T>(v_); }
  T&& value() && { Check(); return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const { return has_value() ? std::get<T>(v_) : std::move(fallback); }

  // The error; OK status when holding a value.
  Status status() const { return has_value() ? Status::Ok() : std::get<Status>(v_); }
  const Status& error() const { return std::get<Status>(v_); }

 private:
  void Check() const;
  std::variant<T, Status> v_;
};

[[noreturn]] void AbortOnBadResultAccess(const Status& s);

template <typename T>
void Result<T>::Check() const {
  if (!has_value()) AbortOnBadResultAccess(std::get<Status>(v_));
}

// KS_CHECK: a broken invariant; logs to stderr and aborts.
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr);
#define KS_CHECK(cond) \
  do { if (!(cond)) ::ksearch::CheckFailed(__FILE__, __LINE__, #cond); } while (0)

#define KS_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::ksearch::Status ks_status_ = (expr);    \
    if (!ks_status_.ok()) return ks_status_;  \
  } while (0)

}  // namespace ksearch
