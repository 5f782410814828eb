// The command line of docs/CONTRACT.md: run, bench, info.
#ifndef TFINTEROP_CLI_H_
#define TFINTEROP_CLI_H_

#include <string>
#include <vector>

namespace tfinterop {

// Parses `args` (without argv[0]), runs the command, prints its output on
// stdout and one clear line on stderr on failure. Returns the exit status:
// 0 when every case ran, 2 on bad usage, 1 when the client could not run.
int RunCli(const std::vector<std::string>& args);

}  // namespace tfinterop

#endif  // TFINTEROP_CLI_H_
