// The command line of docs/CONTRACT.md: run, bench, info.
#ifndef TFINTEROP_CLI_H_
#define TFINTEROP_CLI_H_

#include <string>
#include <vector>

#include "bench.h"
#include "runner.h"

namespace tfinterop {

struct RunArgs {
  TransportConfig transport;       // mode left empty: the run sets each of `modes` in turn
  std::vector<std::string> modes;  // --mode's list, in order, distinct
  std::vector<std::string> cases;  // --cases, in order
  std::string out;
};

struct BenchArgs {
  BenchConfig config;
  std::string cases;
};

// `run --mode`'s value: one mode or a comma-separated list of distinct modes,
// in the order given; UsageError for an empty item, a repeated or unknown mode.
std::vector<std::string> ParseModeList(const std::string& value);

// The flags of `run` and `bench` (without the subcommand), defaults applied;
// UsageError (exit 2) for an unknown, repeated, missing or unparsable flag
// (for bench, also a list of modes).
RunArgs ParseRunArgs(const std::vector<std::string>& args);
BenchArgs ParseBenchArgs(const std::vector<std::string>& args);

// Parses `args` (without argv[0]), runs the command, prints its output on
// stdout and one clear line on stderr on failure. Returns the exit status:
// 0 when every case ran, 2 on bad usage, 1 when the client could not run.
int RunCli(const std::vector<std::string>& args);

}  // namespace tfinterop

#endif  // TFINTEROP_CLI_H_
