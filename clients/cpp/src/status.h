// Canonical status codes (gRPC numbering, which TF_Code shares) and the error
// value every transport returns, plus the HTTP mapping TF Serving's REST API uses.
#ifndef TFINTEROP_STATUS_H_
#define TFINTEROP_STATUS_H_

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace tfinterop {

enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "INVALID_ARGUMENT" etc.; "UNKNOWN" for a number outside the canonical set.
std::string_view CodeName(Code code);
// The code for a number (TF_Code or grpc::StatusCode); UNKNOWN outside 0..16.
Code CodeFromInt(int value);
// TF Serving's http_server.cc ToHTTPStatusCode.
int HttpStatusForCode(Code code);
// The inverse a REST client applies (UNKNOWN for an unmapped status).
Code CodeForHttpStatus(int http_status);

// An outcome with a canonical code; http_status is set for REST errors only.
class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::optional<int>& http_status() const { return http_status_; }
  Status& set_http_status(int status) {
    http_status_ = status;
    return *this;
  }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::optional<int> http_status_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }

// A value or the status explaining its absence.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT(runtime/explicit)
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(runtime/explicit)
    if (status_.ok()) status_ = Internal("StatusOr built from an OK status without a value");
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

// The client itself cannot do its job (bad case set, unwritable output): exit 1.
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A command-line mistake: exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tfinterop

#define TFI_RETURN_IF_ERROR(expr)     \
  do {                                \
    ::tfinterop::Status _st = (expr); \
    if (!_st.ok()) return _st;        \
  } while (0)

#endif  // TFINTEROP_STATUS_H_
