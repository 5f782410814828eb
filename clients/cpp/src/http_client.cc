#include "http_client.h"

#include <cctype>
#include <cstdio>

#include "rest_json.h"

namespace tfinterop {
namespace {

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

}  // namespace

Status HttpError(const HttpReply& reply) {
  std::string message = reply.body;
  if (const auto parsed = ParseJson(reply.body); parsed.ok()) {
    if (const JsonValue* e = parsed.value().Find("error");
        e != nullptr && e->kind == JsonValue::Kind::kString) {
      message = e->text;
    }
  }
  return Status(CodeForHttpStatus(static_cast<int>(reply.status)), message)
      .set_http_status(static_cast<int>(reply.status));
}

std::string EscapePathSegment(const std::string& s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

HttpClient::CurlPtr HttpClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      CurlPtr handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  return CurlPtr(curl_easy_init());
}

void HttpClient::Release(CurlPtr handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(handle));
}

StatusOr<HttpReply> HttpClient::Exchange(const std::string& url, const std::string* post_body) {
  CurlPtr curl = Acquire();
  if (curl == nullptr) return Internal("curl_easy_init failed");
  CURL* c = curl.get();
  curl_easy_reset(c);
  HttpReply reply;
  // No "Expect: 100-continue" round trip before a JSON body.
  HeaderList headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  if (headers != nullptr) {
    if (curl_slist* more = curl_slist_append(headers.get(), "Expect:")) {
      headers.release();
      headers.reset(more);
    }
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(deadline_.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  if (post_body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
  }
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  Release(std::move(curl));
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status(Code::kDeadlineExceeded, url + ": " + curl_easy_strerror(rc));
  }
  if (rc != CURLE_OK) return Status(Code::kUnavailable, url + ": " + curl_easy_strerror(rc));
  return reply;
}

}  // namespace tfinterop
