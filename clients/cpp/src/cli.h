// The command line of docs/CONTRACT.md: run, bench, info.
#ifndef TFINTEROP_CLI_H_
#define TFINTEROP_CLI_H_

#include <string>
#include <vector>

#include "bench.h"
#include "runner.h"

namespace tfinterop {

struct RunArgs {
  TransportConfig transport;
  std::vector<std::string> cases;  // --cases, in order
  std::string out;
};

struct BenchArgs {
  BenchConfig config;
  std::string cases;
};

// The flags of `run` and `bench` (without the subcommand), defaults applied;
// UsageError (exit 2) for an unknown, repeated, missing or unparsable flag.
RunArgs ParseRunArgs(const std::vector<std::string>& args);
BenchArgs ParseBenchArgs(const std::vector<std::string>& args);

// Parses `args` (without argv[0]), runs the command, prints its output on
// stdout and one clear line on stderr on failure. Returns the exit status:
// 0 when every case ran, 2 on bad usage, 1 when the client could not run.
int RunCli(const std::vector<std::string>& args);

}  // namespace tfinterop

#endif  // TFINTEROP_CLI_H_
