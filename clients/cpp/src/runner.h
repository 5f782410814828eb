// `run`: replay case sets through one transport and write typed results.
#ifndef TFINTEROP_RUNNER_H_
#define TFINTEROP_RUNNER_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cases.h"
#include "transport.h"

namespace tfinterop {

struct TransportConfig {
  std::string mode;                                   // inproc | grpc | rest | v2grpc | v2rest
  std::optional<std::filesystem::path> model_config;  // overrides the manifest's (inproc)
  // --op-library: loaded besides each case set's model.op_libraries (inproc).
  std::vector<std::filesystem::path> op_libraries;
  std::string target = "127.0.0.1:8500";
  std::string rest_url = "http://127.0.0.1:8501";
  std::chrono::milliseconds deadline{30000};
};

// The transport `config` names, for `cases` (whose manifest supplies the
// model config in-process). ToolError when it cannot be built.
std::unique_ptr<Transport> MakeTransport(const TransportConfig& config, const CaseSet& cases);

// The custom-op libraries an in-process run of `cases` needs: the manifest's
// model.op_libraries, then the command line's.
std::vector<std::filesystem::path> OpLibrariesFor(const TransportConfig& config,
                                                  const CaseSet& cases);

// inproc: loads TensorFlow and every op library of `sets` and `config`, each
// once per process, before any model (a failure is recorded, not thrown: each
// case of the sets that need the library answers it). Nothing for grpc/rest.
// ToolError when TensorFlow itself cannot load.
void LoadOpLibrariesOfRun(const TransportConfig& config, const std::vector<CaseSet>& sets);

// Runs every case of `cases`; returns the committed result folder. Only
// ToolError escapes (unwritable output); case outcomes are data.
std::filesystem::path RunCaseSet(Transport& transport, const CaseSet& cases,
                                 const std::filesystem::path& out_root);

// The language/library block shared by run.json and info.
nlohmann::json BaseRuntime();

// inproc, grpc, rest, v2grpc, v2rest: the modes MakeTransport builds.
const std::vector<std::string>& Modes();
// The APIs the transport of `mode` sends (the table each transport keeps).
const std::vector<Api>& ApisOf(const std::string& mode);

}  // namespace tfinterop

#endif  // TFINTEROP_RUNNER_H_
