// A one-connection-at-a-time HTTP/1.1 server on 127.0.0.1 for transport
// tests: it records each request (method, path, body) and answers the next
// canned reply, optionally after a delay; Connection: close on every reply.
#ifndef TFINTEROP_TESTS_FAKE_HTTP_SERVER_H_
#define TFINTEROP_TESTS_FAKE_HTTP_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tfinterop::testing {

class FakeHttpServer {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::chrono::milliseconds delay{0};
  };
  struct Request {
    std::string method;
    std::string path;
    std::string body;
  };

  FakeHttpServer() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listener_, 8);
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeHttpServer() {
    shutdown(listener_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(listener_);
  }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Push(Reply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    replies_.push_back(std::move(reply));
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      Handle(fd);
      close(fd);
    }
  }

  void Handle(int fd) {
    std::string data;
    char buf[4096];
    size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<size_t>(n));
    }
    size_t length = 0;
    const std::string headers = data.substr(0, header_end);
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (const size_t at = headers.find(name); at != std::string::npos) {
        length = std::strtoul(headers.c_str() + at + std::string(name).size(), nullptr, 10);
      }
    }
    while (data.size() < header_end + 4 + length) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<size_t>(n));
    }
    Request request;
    const size_t space = headers.find(' ');
    request.method = headers.substr(0, space);
    request.path = headers.substr(space + 1, headers.find(' ', space + 1) - space - 1);
    request.body = data.substr(header_end + 4, length);
    Reply reply{500, R"({"error": "no reply queued"})"};
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      if (!replies_.empty()) {
        reply = replies_.front();
        replies_.pop_front();
      }
    }
    std::this_thread::sleep_for(reply.delay);
    const std::string out = "HTTP/1.1 " + std::to_string(reply.status) +
                            " X\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n" +
                            reply.body;
    for (size_t sent = 0; sent < out.size();) {
      // MSG_NOSIGNAL: a client that gave up (a deadline test) must not SIGPIPE us.
      const ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Reply> replies_;
  std::vector<Request> requests_;
};

}  // namespace tfinterop::testing

#endif  // TFINTEROP_TESTS_FAKE_HTTP_SERVER_H_
