// One HTTP exchange at a time per call over a pool of libcurl handles, shared
// by the two REST transports (TF Serving's /v1 and the Open Inference
// Protocol's /v2), with the HTTP-status-to-code mapping both record.
#ifndef TFINTEROP_HTTP_CLIENT_H_
#define TFINTEROP_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "status.h"

namespace tfinterop {

struct HttpReply {
  long status = 0;
  std::string body;
};

// `{"error": "..."}` (or any body) with a non-200 HTTP status as a canonical
// status: the code from CodeForHttpStatus, the error text (else the body) as
// the message, and http_status recorded.
Status HttpError(const HttpReply& reply);

// Percent-encodes everything but RFC 3986's unreserved characters, for a URL
// path segment (a model name, a version label).
std::string EscapePathSegment(const std::string& s);

class HttpClient {
 public:
  // Every exchange times out after `deadline`.
  explicit HttpClient(std::chrono::milliseconds deadline) : deadline_(deadline) {}

  // GET `url`, or POST `post_body` as application/json when it is given.
  // A reply of any HTTP status is a value; no answer at all is UNAVAILABLE
  // (DEADLINE_EXCEEDED when the deadline passed). Thread-safe.
  StatusOr<HttpReply> Exchange(const std::string& url, const std::string* post_body);

 private:
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

  CurlPtr Acquire();
  void Release(CurlPtr handle);

  std::chrono::milliseconds deadline_;
  std::mutex mu_;
  std::vector<CurlPtr> idle_;
};

}  // namespace tfinterop

#endif  // TFINTEROP_HTTP_CLIENT_H_
