#include "runner.h"

#include <google/protobuf/stubs/common.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>

#include "grpc_transport.h"
#include "inproc_transport.h"
#include "op_library.h"
#include "rest_transport.h"
#include "results.h"
#include "v2_grpc_transport.h"
#include "v2_rest_transport.h"

namespace tfinterop {

namespace fs = std::filesystem;

nlohmann::json BaseRuntime() {
  return {{"language", "c++" + std::to_string(__cplusplus / 100 % 100) + " (g++ " +
                           std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                           std::to_string(__GNUC_PATCHLEVEL__) + ")"},
          {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)}};
}

const std::vector<std::string>& Modes() {
  static const std::vector<std::string> modes = {"inproc", "grpc", "rest", "v2grpc", "v2rest"};
  return modes;
}

const std::vector<Api>& ApisOf(const std::string& mode) {
  if (mode == "inproc") return InprocApis();
  if (mode == "grpc") return GrpcApis();
  if (mode == "rest") return RestApis();
  if (mode == "v2grpc") return V2GrpcApis();
  if (mode == "v2rest") return V2RestApis();
  throw UsageError("unknown mode '" + mode + "' (inproc, grpc, rest, v2grpc or v2rest)");
}

std::vector<fs::path> OpLibrariesFor(const TransportConfig& config, const CaseSet& cases) {
  std::vector<fs::path> libraries = cases.op_libraries;
  libraries.insert(libraries.end(), config.op_libraries.begin(), config.op_libraries.end());
  return libraries;
}

void LoadOpLibrariesOfRun(const TransportConfig& config, const std::vector<CaseSet>& sets) {
  if (config.mode != "inproc") return;
  std::vector<fs::path> libraries;
  for (const CaseSet& set : sets) {
    const auto of_set = OpLibrariesFor(config, set);
    libraries.insert(libraries.end(), of_set.begin(), of_set.end());
  }
  if (libraries.empty()) return;
  const auto api = LoadTfApi(DefaultTfDir());
  if (!api.ok()) throw ToolError(api.status().message());
  // Outcomes are kept per library; each transport asks again for its own.
  LoadOpLibraries(*api.value(), libraries);
}

std::unique_ptr<Transport> MakeTransport(const TransportConfig& config, const CaseSet& cases) {
  if (config.mode == "inproc") {
    return std::make_unique<InprocTransport>(config.model_config.value_or(cases.config_path),
                                             DefaultTfDir(), OpLibrariesFor(config, cases));
  }
  if (config.mode == "grpc") return MakeGrpcTransport(config.target, config.deadline);
  if (config.mode == "rest") return MakeRestTransport(config.rest_url, config.deadline);
  if (config.mode == "v2grpc") return MakeV2GrpcTransport(config.target, config.deadline);
  if (config.mode == "v2rest") return MakeV2RestTransport(config.rest_url, config.deadline);
  throw UsageError("unknown mode '" + config.mode + "' (inproc, grpc, rest, v2grpc or v2rest)");
}

fs::path RunCaseSet(Transport& transport, const CaseSet& cases, const fs::path& out_root) {
  const std::string mode = transport.mode();
  const Protocol protocol = transport.protocol();
  // Parse every request this protocol sends first: a case set we cannot read
  // writes nothing. (A case without a v2 form has no request in v2 modes.)
  std::vector<std::unique_ptr<google::protobuf::Message>> requests;
  for (const Case& c : cases.cases) {
    requests.push_back(nullptr);
    if (protocol == Protocol::kOpenInference && !c.v2) continue;
    auto request = NewRequest(c.api, protocol);
    if (request == nullptr) {
      throw ToolError("case " + c.id + ": a " + ApiName(c.api) +
                      " case cannot have an Open Inference Protocol form");
    }
    if (!request->ParseFromString(c.RequestBytes(protocol))) {
      throw ToolError("case " + c.id + ": the request does not parse as " + request->GetTypeName());
    }
    requests.back() = std::move(request);
  }
  ResultWriter writer(out_root, mode, cases.model);
  nlohmann::json latencies = nlohmann::json::object();
  // Each response is written before the next request, so one caller and one
  // response per API serve the whole set (transport.h, Caller): a response
  // is refilled as a fresh one would be, keeping its buffers.
  const std::unique_ptr<Caller> caller = transport.NewCaller();
  std::map<Api, std::unique_ptr<google::protobuf::Message>> responses;
  for (size_t i = 0; i < cases.cases.size(); ++i) {
    const Case& c = cases.cases[i];
    if (!c.AppliesTo(mode)) {
      const bool listed =
          std::find(c.transports.begin(), c.transports.end(), mode) != c.transports.end();
      writer.WriteSkipped(c.id, listed ? "case has no v2 (Open Inference Protocol) form for " + mode
                                       : "case does not apply to " + mode);
      latencies[c.id] = {{"status", "skipped"}};
      continue;
    }
    auto& response = responses[c.api];
    if (response == nullptr) response = NewResponse(c.api, protocol);
    CallOptions options;
    options.rest_format = c.rest_format;
    const auto start = std::chrono::steady_clock::now();
    const Status status = caller->Call(c.api, *requests[i], response.get(), options);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (status.ok()) {
      writer.WriteResponse(c.id, SerializeDeterministic(*response));
    } else {
      writer.WriteError(c.id, status);
    }
    const char* outcome = status.ok() ? "ok" : "error";
    latencies[c.id] = {{"status", outcome}, {"latency_us", std::round(us * 10) / 10}};
    std::cerr << "[" << i + 1 << "/" << cases.cases.size() << "] " << mode << "/" << cases.model
              << " " << c.id << ": " << outcome
              << (status.ok() ? "" : " (" + std::string(CodeName(status.code())) + ")") << "\n";
  }
  nlohmann::json runtime = BaseRuntime();
  runtime.update(transport.Runtime());
  return writer.Commit({{"client", kClientName},
                        {"mode", mode},
                        {"model", cases.model},
                        {"runtime", runtime},
                        {"cases", latencies}});
}

}  // namespace tfinterop
