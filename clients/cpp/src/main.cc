// tfinterop-cpp: replays golden TF Serving cases in-process (TF C API), over
// gRPC and over REST. The whole program is in cli.cc and the modules it uses.
#include <curl/curl.h>

#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) {
  // Once, before any thread starts, as libcurl requires.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int status = tfinterop::RunCli(std::vector<std::string>(argv + 1, argv + argc));
  curl_global_cleanup();
  return status;
}
