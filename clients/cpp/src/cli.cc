#include "cli.h"

#include <curl/curl.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>

#include "bench.h"
#include "cases.h"
#include "runner.h"
#include "status.h"
#include "tf_api.h"

namespace tfinterop {
namespace {

constexpr char kUsage[] =
    "usage: tfinterop-cpp run   --mode inproc|grpc|rest --cases DIR [--cases DIR ...] --out DIR\n"
    "                           [--model-config FILE] [--target HOST:PORT] [--rest URL]\n"
    "                           [--deadline-ms N]\n"
    "       tfinterop-cpp bench --mode inproc|grpc|rest --cases DIR --case ID --requests N\n"
    "                           --concurrency C [--warmup N] [--model-config FILE]\n"
    "                           [--target HOST:PORT] [--rest URL] [--deadline-ms N]\n"
    "       tfinterop-cpp info\n"
    "every command takes --verbose: show TensorFlow's own log lines (also TFINTEROP_VERBOSE=1)\n";

// --flag VALUE or --flag=VALUE; every flag takes a value; --cases repeats.
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
    if (name != "cases" && flags.count(name)) throw UsageError("--" + name + " given twice");
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

TransportConfig ParseTransport(const std::multimap<std::string, std::string>& flags) {
  TransportConfig config;
  config.mode = Required(flags, "mode");
  if (config.mode != "inproc" && config.mode != "grpc" && config.mode != "rest") {
    throw UsageError("--mode must be inproc, grpc or rest, not '" + config.mode + "'");
  }
  if (const auto it = flags.find("model-config"); it != flags.end()) {
    config.model_config = it->second;
  }
  if (const auto it = flags.find("target"); it != flags.end()) config.target = it->second;
  if (const auto it = flags.find("rest"); it != flags.end()) config.rest_url = it->second;
  config.deadline = std::chrono::milliseconds(PositiveInt(flags, "deadline-ms", 30000));
  return config;
}

const std::vector<std::string> kTransportFlags = {"mode",   "cases", "model-config",
                                                  "target", "rest",  "deadline-ms"};

int Run(const std::vector<std::string>& args) {
  std::vector<std::string> allowed = kTransportFlags;
  allowed.push_back("out");
  const auto flags = ParseFlags(args, allowed);
  const TransportConfig config = ParseTransport(flags);
  const std::string out = Required(flags, "out");
  std::vector<std::string> folders;
  for (auto [it, end] = flags.equal_range("cases"); it != end; ++it) folders.push_back(it->second);
  if (folders.empty()) throw UsageError("--cases is required");
  // Verify every case set before running anything: a bad one writes nothing.
  std::vector<CaseSet> sets;
  for (const std::string& folder : folders) sets.push_back(ReadCaseSet(folder));
  for (const CaseSet& set : sets) {
    const auto transport = MakeTransport(config, set);
    std::cout << RunCaseSet(*transport, set, out).string() << std::endl;
  }
  return 0;
}

int Bench(const std::vector<std::string>& args) {
  std::vector<std::string> allowed = kTransportFlags;
  for (const char* f : {"case", "requests", "concurrency", "warmup"}) allowed.push_back(f);
  const auto flags = ParseFlags(args, allowed);
  BenchConfig config;
  config.transport = ParseTransport(flags);
  if (flags.count("cases") != 1) throw UsageError("bench takes exactly one --cases");
  config.case_id = Required(flags, "case");
  config.requests = PositiveInt(flags, "requests", std::nullopt);
  config.concurrency = PositiveInt(flags, "concurrency", std::nullopt);
  config.warmup = PositiveInt(flags, "warmup", 10, 0);
  const CaseSet set = ReadCaseSet(Required(flags, "cases"));
  std::cout << RunBench(config, set).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;
  return 0;
}

int Info(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("info takes no arguments");
  nlohmann::json runtime = BaseRuntime();
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
  const nlohmann::json info = {
      {"client", "cpp"},
      {"language", runtime["language"]},
      {"modes", {"inproc", "grpc", "rest"}},
      {"apis",
       {{"inproc", {"predict", "metadata"}},
        {"grpc", {"predict", "classify", "regress", "multi_inference", "metadata"}},
        {"rest", {"predict", "classify", "regress", "metadata"}}}},
      {"runtime", runtime}};
  std::cout << info.dump() << std::endl;
  return 0;
}

}  // namespace

int RunCli(const std::vector<std::string>& all_args) {
  // --verbose (any command, no value) acts in main, before TensorFlow loads.
  std::vector<std::string> args;
  std::copy_if(all_args.begin(), all_args.end(), std::back_inserter(args),
               [](const std::string& a) { return a != "--verbose"; });
  try {
    if (args.empty()) throw UsageError("a command is required (run, bench or info)");
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "run") return Run(rest);
    if (args[0] == "bench") return Bench(rest);
    if (args[0] == "info") return Info(rest);
    if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
      std::cout << kUsage;
      return 0;
    }
    throw UsageError("unknown command '" + args[0] + "'");
  } catch (const UsageError& e) {
    std::cerr << "tfinterop-cpp: usage error: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const ToolError& e) {
    std::cerr << "tfinterop-cpp: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tfinterop-cpp: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tfinterop
