#include "quiet_stderr.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "test_util.h"

namespace tfinterop {
namespace {

// Lines TensorFlow 2.21 (the wheel's C API) and TF Java's 2.18 print, verbatim.
constexpr char kTfLog[] =
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796119211.562237   16860 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.\n"
    "I0000 00:00:1796119211.687258   16860 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.\n"
    "E0000 00:00:1796119211.687618   16860 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
    "W0000 00:00:1796119216.676173   16918 local_rendezvous.cc:412] Local rendezvous is aborting "
    "with status: INVALID_ARGUMENT: Input to reshape is a tensor with 756 values\n"
    "\t [[{{function_node __inference___call___6234}}{{node mnist_1/flatten_1/Reshape}}]]\n"
    "2026-12-01 10:02:30.163804: I tensorflow/cc/saved_model/reader.cc:83] Reading SavedModel "
    "from: /m/1\n"
    "2026-12-01 10:02:30.169476: W tensorflow/core/framework/op_def_util.cc:371] NodeDef "
    "mentions attribute use_inter_op_parallelism which is not in the op definition\n"
    "oneDNN custom operations are on. You may see slightly different numerical results.\n";

// FilterStream over a pipe: what comes out for `input`.
std::string Filtered(const std::string& input) {
  int in[2], out[2];
  EXPECT_EQ(pipe(in), 0);
  EXPECT_EQ(pipe(out), 0);
  std::thread writer([&] {
    EXPECT_EQ(write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    close(in[1]);
  });
  std::string result;
  std::thread reader([&] {
    char buffer[4096];
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) result.append(buffer, n);
  });
  FilterStream(in[0], out[1]);
  close(out[1]);
  writer.join();
  reader.join();
  close(in[0]);
  close(out[0]);
  return result;
}

TEST(QuietStderrTest, TensorFlowLogRecordsAreDropped) { EXPECT_EQ(Filtered(kTfLog), ""); }

TEST(QuietStderrTest, EverythingElsePassesUnchanged) {
  for (const std::string line : {
           "[1/42] inproc/mnist v1-test-0000: ok\n",
           "tfinterop-cpp: error: case x: sha256 mismatch\n",
           "F0000 00:00:1796119211.1 1 tensor.cc:1] Check failed: x\n",
           "\tindented text\n",
           "last words without a newline",
           "line\r\n",
           "the model said I0000 00:00:00 in a message\n",
           "\n\n",
       }) {
    EXPECT_EQ(Filtered(line), line);
  }
  EXPECT_EQ(Filtered("I0000 00:00:1796119211.1 1 a.cc:1] loading\nterminate called\n\tframe\n"),
            "terminate called\n\tframe\n");
}

TEST(QuietStderrTest, VerboseIsTheFlagOrTheEnvironment) {
  unsetenv("TFINTEROP_VERBOSE");
  EXPECT_FALSE(VerboseRequested({"run", "--mode", "inproc"}));
  EXPECT_TRUE(VerboseRequested({"run", "--verbose"}));
  setenv("TFINTEROP_VERBOSE", "0", 1);
  EXPECT_FALSE(VerboseRequested({}));
  setenv("TFINTEROP_VERBOSE", "1", 1);
  EXPECT_TRUE(VerboseRequested({}));
  unsetenv("TFINTEROP_VERBOSE");
}

TEST(QuietStderrTest, StartFiltersFd2OfTheWholeProcess) {
  testing::TempDir dir;
  const auto log = dir.path() / "stderr.txt";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    close(fd);
    auto filter = StderrFilter::Start();
    if (!filter) _exit(3);
    // Straight to fd 2, as TensorFlow's C++ logging writes.
    const std::string text = std::string(kTfLog) + "client line one\n";
    if (write(STDERR_FILENO, text.data(), text.size()) < 0) _exit(4);
    std::cerr << "client line two" << std::endl;
    filter->Finish();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::ifstream in(log);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), "client line one\nclient line two\n");
}

}  // namespace
}  // namespace tfinterop
