// tfinterop-cpp: replays golden TF Serving cases in-process (TF C API), over
// gRPC and over REST. The whole program is in cli.cc and the modules it uses.
#include <curl/curl.h>

#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "quiet_stderr.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // First, while the process has one thread and TensorFlow is not loaded
  // (it is dlopen()ed on first use): its logging goes through the filter.
  std::optional<tfinterop::StderrFilter> quiet;
  if (!tfinterop::VerboseRequested(args)) quiet = tfinterop::StderrFilter::Start();
  // Once, before any thread starts, as libcurl requires.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int status = tfinterop::RunCli(args);
  curl_global_cleanup();
  if (quiet) quiet->Finish();
  return status;
}
