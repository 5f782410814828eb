// Keeps TensorFlow's own logging (start-up notices, absl and XLA lines that
// ignore TF_CPP_MIN_LOG_LEVEL) off the terminal unless the user asks for it
// with --verbose or TFINTEROP_VERBOSE. fd 2, which TensorFlow's C++ code
// writes to directly, is sent through a pipe to a forked child that drops
// TensorFlow's log records and passes every other byte unchanged. A child
// rather than a thread, so the last lines before a crash (a TensorFlow CHECK
// failure, an abort) still get out after this process dies.
#ifndef TFINTEROP_QUIET_STDERR_H_
#define TFINTEROP_QUIET_STDERR_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tfinterop {

// --verbose among `args`, or TFINTEROP_VERBOSE set to anything but "" or "0".
bool VerboseRequested(const std::vector<std::string>& args);

// The line filter. Drop says whether a line (without its newline) belongs to a
// TensorFlow log record: absl's shape ("I0000 00:00:1700000000.1 1 f.cc:1]"),
// TensorFlow's older one ("2026-01-02 10:02:30.163804: I tensorflow/..."),
// the notices printed without either, and the indented lines that continue a
// dropped record. FATAL records (F...) are kept: they explain a crash.
class TfLogLines {
 public:
  bool Drop(std::string_view line);

 private:
  bool in_record_ = false;
};

// Copies fd `in` to fd `out` until EOF, dropping TensorFlow's log lines. After
// a failed write it keeps reading, so the writer never blocks on a full pipe.
void FilterStream(int in, int out);

class StderrFilter {
 public:
  // Sets TF_CPP_MIN_LOG_LEVEL=2 unless the user set it, then forks the filter
  // and points fd 2 at it. Call before any thread starts and before
  // TensorFlow is loaded. nullopt (fd 2 untouched) if the pipe or fork fails.
  static std::optional<StderrFilter> Start();

  // Points fd 2 back at the real stderr, which closes the pipe, and waits for
  // the child to pass on what is left. Call before exiting.
  void Finish();

 private:
  StderrFilter(pid_t child, int saved_stderr) : child_(child), saved_stderr_(saved_stderr) {}
  pid_t child_;
  int saved_stderr_;
};

}  // namespace tfinterop

#endif  // TFINTEROP_QUIET_STDERR_H_
