#include "quiet_stderr.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <regex>
#include <thread>

namespace tfinterop {
namespace {

const std::regex& TfLogLine() {
  static const std::regex pattern(
      R"(^(?:[IWE]\d{4} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?: [IWE] |)"
      R"(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR|)"
      R"(To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags|)"
      R"(oneDNN custom operations are on))");
  return pattern;
}

// Writes all of data unless the descriptor fails; false then.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool VerboseRequested(const std::vector<std::string>& args) {
  const char* env = std::getenv("TFINTEROP_VERBOSE");
  if (env != nullptr && *env != '\0' && std::strcmp(env, "0") != 0) return true;
  return std::find(args.begin(), args.end(), "--verbose") != args.end();
}

bool TfLogLines::Drop(std::string_view line) {
  if (in_record_ && !line.empty() && (line[0] == ' ' || line[0] == '\t')) return true;
  in_record_ = std::regex_search(line.begin(), line.end(), TfLogLine());
  return in_record_;
}

void FilterStream(int in, int out) {
  TfLogLines lines;
  std::string pending;
  bool writable = true;
  auto emit = [&](std::string_view line) {  // line with its newline, if any
    std::string_view text = line;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (writable && !lines.Drop(text)) writable = WriteAll(out, line.data(), line.size());
  };
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      emit(std::string_view(pending).substr(start, nl + 1 - start));
    }
    pending.erase(0, start);
  }
  if (!pending.empty()) emit(pending);
}

std::optional<StderrFilter> StderrFilter::Start() {
  setenv("TF_CPP_MIN_LOG_LEVEL", "2", /*overwrite=*/0);
  const int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (saved < 0) return std::nullopt;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    close(saved);
    return std::nullopt;
  }
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    close(saved);
    return std::nullopt;
  }
  if (child == 0) {
    // The parent's death closes the pipe; signals meant for the process
    // group must not stop the child before it has passed the rest on.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) signal(sig, SIG_IGN);
    close(fds[1]);
    FilterStream(fds[0], STDERR_FILENO);
    _exit(0);
  }
  close(fds[0]);
  const bool redirected = dup2(fds[1], STDERR_FILENO) == STDERR_FILENO;
  close(fds[1]);
  StderrFilter filter(child, saved);
  if (!redirected) {
    filter.Finish();
    return std::nullopt;
  }
  return filter;
}

void StderrFilter::Finish() {
  std::cerr.flush();
  std::fflush(stderr);
  dup2(saved_stderr_, STDERR_FILENO);
  close(saved_stderr_);
  // Something else holding the pipe open (a grandchild) must not hang the exit.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (waitpid(child_, nullptr, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace tfinterop
