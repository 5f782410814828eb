#include "cli.h"

#include <curl/curl.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>

#include "bench.h"
#include "cases.h"
#include "results.h"
#include "runner.h"
#include "status.h"
#include "tensor_codec.h"
#include "tf_api.h"

namespace tfinterop {
namespace {

// docs/CONTRACT.md "Command line": the same flags and defaults in every client.
constexpr char kUsage[] =
    "usage: tfinterop-cpp run   --mode MODE[,MODE...] --cases DIR [--cases DIR ...] --out DIR\n"
    "                           [--model-config FILE] [--op-library PATH ...]\n"
    "                           [--target HOST:PORT] [--rest URL] [--deadline-ms N] [--verbose]\n"
    "       tfinterop-cpp bench --mode MODE --cases DIR --case ID --requests N\n"
    "                           --concurrency C [--warmup N] [--model-config FILE]\n"
    "                           [--op-library PATH ...] [--target HOST:PORT] [--rest URL]\n"
    "                           [--deadline-ms N] [--verbose]\n"
    "       tfinterop-cpp info\n"
    "MODE: inproc, grpc, rest, or the Open Inference Protocol (KServe v2) on the same\n"
    "      --target and --rest: v2grpc, v2rest; run takes a list of distinct modes,\n"
    "      run one after another in one process (bench takes one)\n"
    "defaults: --target 127.0.0.1:8500, --rest http://127.0.0.1:8501, --deadline-ms 30000,\n"
    "          --warmup 10, --model-config the manifest's config, no --op-library (inproc:\n"
    "          loaded besides the manifests' model.op_libraries)\n"
    "--verbose (or TFINTEROP_VERBOSE=1) lets TensorFlow's own log lines through\n";

// Every dtype the suite's cases and the client registry name, in TensorFlow's order.
constexpr tensorflow::DataType kSuiteDtypes[] = {
    tensorflow::DT_FLOAT,     tensorflow::DT_DOUBLE, tensorflow::DT_HALF,
    tensorflow::DT_BFLOAT16,  tensorflow::DT_INT8,   tensorflow::DT_INT16,
    tensorflow::DT_INT32,     tensorflow::DT_INT64,  tensorflow::DT_UINT8,
    tensorflow::DT_UINT16,    tensorflow::DT_UINT32, tensorflow::DT_UINT64,
    tensorflow::DT_BOOL,      tensorflow::DT_STRING, tensorflow::DT_COMPLEX64,
    tensorflow::DT_COMPLEX128};

// --flag VALUE or --flag=VALUE; every flag takes a value; --cases and
// --op-library repeat.
std::multimap<std::string, std::string> ParseFlags(const std::vector<std::string>& args,
                                                   const std::vector<std::string>& allowed) {
  std::multimap<std::string, std::string> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + name + "'");
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    name = name.substr(2);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw UsageError("unknown flag --" + name);
    }
    if (!value) {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
      value = args[++i];
    }
    if (name != "cases" && name != "op-library" && flags.count(name)) {
      throw UsageError("--" + name + " given twice");
    }
    flags.emplace(name, *value);
  }
  return flags;
}

std::string Required(const std::multimap<std::string, std::string>& flags,
                     const std::string& name) {
  const auto it = flags.find(name);
  if (it == flags.end()) throw UsageError("--" + name + " is required");
  return it->second;
}

int PositiveInt(const std::multimap<std::string, std::string>& flags, const std::string& name,
                std::optional<int> fallback, int minimum = 1) {
  const auto it = flags.find(name);
  if (it == flags.end()) {
    if (!fallback) throw UsageError("--" + name + " is required");
    return *fallback;
  }
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size() || value < minimum) {
    throw UsageError("--" + name + " wants an integer >= " + std::to_string(minimum) + ", not '" +
                     it->second + "'");
  }
  return value;
}

void CheckMode(const std::string& mode) {
  if (std::find(Modes().begin(), Modes().end(), mode) == Modes().end()) {
    throw UsageError("--mode must be inproc, grpc, rest, v2grpc or v2rest, not '" + mode + "'");
  }
}

// Every flag of TransportConfig but --mode (run takes a list, bench one).
TransportConfig ParseTransport(const std::multimap<std::string, std::string>& flags) {
  TransportConfig config;
  if (const auto it = flags.find("model-config"); it != flags.end()) {
    config.model_config = it->second;
  }
  for (auto [it, end] = flags.equal_range("op-library"); it != end; ++it) {
    if (it->second.empty()) throw UsageError("--op-library wants a path, not ''");
    config.op_libraries.emplace_back(it->second);
  }
  if (const auto it = flags.find("target"); it != flags.end()) config.target = it->second;
  if (const auto it = flags.find("rest"); it != flags.end()) config.rest_url = it->second;
  config.deadline = std::chrono::milliseconds(PositiveInt(flags, "deadline-ms", 30000));
  return config;
}

const std::vector<std::string> kTransportFlags = {"mode",   "cases", "model-config", "op-library",
                                                  "target", "rest",  "deadline-ms"};

int Run(const std::vector<std::string>& args) {
  const RunArgs run = ParseRunArgs(args);
  // Verify every case set before running anything: a bad one writes nothing.
  std::vector<CaseSet> sets;
  for (const std::string& folder : run.cases) sets.push_back(ReadCaseSet(folder));
  // One mode after another; a ToolError ends the run, the folders already
  // committed (and printed) stay.
  for (const std::string& mode : run.modes) {
    TransportConfig config = run.transport;
    config.mode = mode;
    // TensorFlow and the op libraries load once per process (tf_api.h,
    // op_library.h), here before the first model; nothing for server modes.
    LoadOpLibrariesOfRun(config, sets);
    // A server mode's channel or HTTP client serves every set of the mode and
    // closes with it; in-process, each set brings its own model config.
    std::unique_ptr<Transport> server;
    for (const CaseSet& set : sets) {
      std::unique_ptr<Transport> own;
      Transport* transport = nullptr;
      if (mode == "inproc") {
        own = MakeTransport(config, set);
        transport = own.get();
      } else {
        if (server == nullptr) server = MakeTransport(config, set);
        transport = server.get();
      }
      std::cout << RunCaseSet(*transport, set, run.out).string() << std::endl;
    }
  }
  return 0;
}

int Bench(const std::vector<std::string>& args) {
  const BenchArgs bench = ParseBenchArgs(args);
  const CaseSet set = ReadCaseSet(bench.cases);
  std::cout
      << RunBench(bench.config, set).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << std::endl;
  return 0;
}

int Info(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("info takes no arguments");
  nlohmann::json runtime = BaseRuntime();
  // "language" is a top-level key of info (in run.json it stays in runtime).
  const nlohmann::json language = runtime["language"];
  runtime.erase("language");
  runtime["grpc"] = grpc::Version();
  runtime["curl"] = curl_version_info(CURLVERSION_NOW)->version;
  const std::string tf_dir = DefaultTfDir();
  const auto api = LoadTfApi(tf_dir);
  if (api.ok()) {
    runtime["tensorflow"] = api.value()->TF_Version();
    runtime["library"] = api.value()->library + " (tensorflow wheel, C API via dlopen)";
  } else {
    runtime["tensorflow_error"] = api.status().message();
  }
  // From the transports' own tables and the codec, so info says what the code
  // sends and carries. One codec serves every mode; it carries every suite
  // dtype (complex has no REST JSON form in TF Serving either: a protocol
  // limit, answered UNIMPLEMENTED, not this client's).
  nlohmann::json apis = nlohmann::json::object();
  nlohmann::json unsupported = nlohmann::json::object();
  for (const std::string& mode : Modes()) {
    apis[mode] = nlohmann::json::array();
    for (const Api a : ApisOf(mode)) apis[mode].push_back(ApiName(a));
    unsupported[mode] = nlohmann::json::array();
    for (const auto dtype : kSuiteDtypes) {
      if (!IsServingDtype(dtype)) unsupported[mode].push_back(DtypeName(dtype));
    }
  }
  const nlohmann::json info = {{"client", kClientName},
                               {"language", language},
                               {"modes", Modes()},
                               {"apis", apis},
                               {"unsupported_dtypes", unsupported},
                               {"runtime", runtime}};
  std::cout << info.dump() << std::endl;
  return 0;
}

// The contract's "one clear line on stderr": whitespace runs, newlines
// included, become one space.
std::string OneLine(const std::string& message) {
  std::string out;
  bool space = false;
  for (const char c : message) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::vector<std::string> ParseModeList(const std::string& value) {
  std::vector<std::string> modes;
  size_t begin = 0;
  while (true) {
    const size_t comma = value.find(',', begin);
    const std::string mode =
        value.substr(begin, comma == std::string::npos ? comma : comma - begin);
    if (mode.empty()) {
      throw UsageError("--mode '" + value + "' has an empty item (want MODE[,MODE...])");
    }
    CheckMode(mode);
    if (std::find(modes.begin(), modes.end(), mode) != modes.end()) {
      throw UsageError("--mode '" + value + "' names " + mode + " twice");
    }
    modes.push_back(mode);
    if (comma == std::string::npos) return modes;
    begin = comma + 1;
  }
}

RunArgs ParseRunArgs(const std::vector<std::string>& args) {
  std::vector<std::string> allowed = kTransportFlags;
  allowed.push_back("out");
  const auto flags = ParseFlags(args, allowed);
  RunArgs run;
  run.modes = ParseModeList(Required(flags, "mode"));
  run.transport = ParseTransport(flags);
  run.out = Required(flags, "out");
  for (auto [it, end] = flags.equal_range("cases"); it != end; ++it)
    run.cases.push_back(it->second);
  if (run.cases.empty()) throw UsageError("--cases is required");
  return run;
}

BenchArgs ParseBenchArgs(const std::vector<std::string>& args) {
  std::vector<std::string> allowed = kTransportFlags;
  for (const char* f : {"case", "requests", "concurrency", "warmup"}) allowed.push_back(f);
  const auto flags = ParseFlags(args, allowed);
  BenchArgs bench;
  bench.config.transport = ParseTransport(flags);
  const std::string mode = Required(flags, "mode");
  if (mode.find(',') != std::string::npos) {
    throw UsageError("bench takes one --mode, not the list '" + mode + "'");
  }
  CheckMode(mode);
  bench.config.transport.mode = mode;
  if (flags.count("cases") != 1) throw UsageError("bench takes exactly one --cases");
  bench.cases = Required(flags, "cases");
  bench.config.case_id = Required(flags, "case");
  bench.config.requests = PositiveInt(flags, "requests", std::nullopt);
  bench.config.concurrency = PositiveInt(flags, "concurrency", std::nullopt);
  bench.config.warmup = PositiveInt(flags, "warmup", 10, 0);
  return bench;
}

int RunCli(const std::vector<std::string>& all_args) {
  // --verbose (any command, no value) acts in main, before TensorFlow loads.
  std::vector<std::string> args;
  std::copy_if(all_args.begin(), all_args.end(), std::back_inserter(args),
               [](const std::string& a) { return a != "--verbose"; });
  try {
    if (args.empty()) {
      std::cerr << kUsage;
      return 2;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "run") return Run(rest);
    if (args[0] == "bench") return Bench(rest);
    if (args[0] == "info") return Info(rest);
    if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
      std::cout << kUsage;
      return 0;
    }
    throw UsageError("unknown command '" + args[0] + "' (want run, bench or info)");
  } catch (const UsageError& e) {
    std::cerr << "tfinterop-cpp: usage error: " << OneLine(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {  // ToolError and anything unforeseen
    std::cerr << "tfinterop-cpp: error: " << OneLine(e.what()) << "\n";
    return 1;
  }
}

}  // namespace tfinterop
