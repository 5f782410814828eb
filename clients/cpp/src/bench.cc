#include "bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "grpc_service.pb.h"
#include "inproc_transport.h"
#include "predict.h"
#include "results.h"
#include "tensorflow_serving/apis/predict.pb.h"

namespace tfinterop {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double Round1(double v) { return std::round(v * 10) / 10; }
double Round2(double v) { return std::round(v * 100) / 100; }

// docs/CONTRACT.md's nearest rank: the ceil(q/100 * n)-th smallest (1-based;
// the smallest when that is 0), in integers so no rounding moves the rank.
double Percentile(const std::vector<double>& sorted, int q) {
  if (sorted.empty()) return 0;
  const size_t rank = (static_cast<size_t>(q) * sorted.size() + 99) / 100;
  return sorted[std::max<size_t>(rank, 1) - 1];
}

int64_t BatchOf(const google::protobuf::Message& request, Api api, Protocol protocol) {
  if (api != Api::kPredict) return 1;
  if (protocol == Protocol::kOpenInference) {
    for (const auto& input : static_cast<const inference::ModelInferRequest&>(request).inputs()) {
      if (input.shape_size() > 0) return input.shape(0);
    }
    return 1;
  }
  const auto& req = static_cast<const tensorflow::serving::PredictRequest&>(request);
  for (const auto& [alias, tensor] : req.inputs()) {
    if (tensor.tensor_shape().dim_size() > 0) return tensor.tensor_shape().dim(0).size();
  }
  return 1;
}

// A bare TF_SessionRun of the case's inputs: tensors converted once, then the
// session run `n` times on one thread. Loads TensorFlow here if the transport
// did not (grpc/rest/v2), which also proves both runtimes share the process.
// In v2 modes it runs the case's PredictRequest: the same tensors.
nlohmann::json Reference(const BenchConfig& config, const CaseSet& cases, const Case& c, int n) {
  if (c.api != Api::kPredict) return {{"error", "the reference runs predict cases only"}};
  tensorflow::serving::PredictRequest req;
  if (!req.ParseFromString(c.request_bytes)) return {{"error", "the request does not parse"}};
  try {
    // An in-process run whatever the mode, so it needs the model's op libraries too.
    InprocTransport inproc(config.transport.model_config.value_or(cases.config_path),
                           DefaultTfDir(), OpLibrariesFor(config.transport, cases));
    const auto servable = inproc.ServableFor(req.model_spec());
    if (!servable.ok()) return {{"error", servable.status().ToString()}};
    auto plan = PlanPredict(*servable.value(), req);
    if (!plan.ok()) return {{"error", plan.status().ToString()}};
    const auto call =
        servable.value()->Prepare(*plan->signature, std::move(plan->inputs), plan->outputs);
    if (!call.ok()) return {{"error", call.status().ToString()}};
    for (int i = 0; i < config.warmup; ++i) {
      if (const auto out = call.value().Run(); !out.ok()) {
        return {{"error", out.status().ToString()}};
      }
    }
    std::vector<double> samples;
    samples.reserve(static_cast<size_t>(n));
    const auto begin = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto start = Clock::now();
      const auto out = call.value().Run();
      samples.push_back(Micros(Clock::now() - start));
      if (!out.ok()) return {{"error", out.status().ToString()}};
    }
    nlohmann::json ref = SummarizeLatencies(std::move(samples), Micros(Clock::now() - begin));
    ref["what"] = "bare TF_SessionRun, prepared tensors, 1 thread, same process";
    ref["requests"] = n;
    return ref;
  } catch (const ToolError& e) {
    return {{"error", e.what()}};
  }
}

}  // namespace

nlohmann::json SummarizeLatencies(std::vector<double> samples, double wall_us) {
  std::sort(samples.begin(), samples.end());
  const double mean =
      samples.empty() ? 0 : std::accumulate(samples.begin(), samples.end(), 0.0) / samples.size();
  return {{"p50_us", Round1(Percentile(samples, 50))},
          {"p90_us", Round1(Percentile(samples, 90))},
          {"p99_us", Round1(Percentile(samples, 99))},
          {"mean_us", Round1(mean)},
          {"rps", wall_us > 0 ? Round1(samples.size() / (wall_us / 1e6)) : 0.0}};
}

nlohmann::json RunBench(const BenchConfig& config, const CaseSet& cases) {
  const Case* c = cases.Find(config.case_id);
  if (c == nullptr) throw ToolError("no case '" + config.case_id + "' in " + cases.folder.string());
  const Protocol protocol = ProtocolOfMode(config.transport.mode);
  if (protocol == Protocol::kOpenInference && !c->v2) {
    throw ToolError("case " + c->id + " has no v2 (Open Inference Protocol) form for " +
                    config.transport.mode);
  }
  const auto request = NewRequest(c->api, protocol);
  if (request == nullptr || !request->ParseFromString(c->RequestBytes(protocol))) {
    throw ToolError("case " + c->id + ": the request does not parse");
  }
  LoadOpLibrariesOfRun(config.transport, {cases});
  const auto transport = MakeTransport(config.transport, cases);
  CallOptions options;
  options.rest_format = c->rest_format;

  std::atomic<int64_t> errors{0};
  Status first_error;  // of the warmup
  // What the measured failures were (status text -> count), so an error count
  // comes with its cause: UNAVAILABLE (connect refused or reset), DEADLINE_EXCEEDED, ...
  std::mutex failures_mu;
  std::map<std::string, int64_t> failures;
  for (int i = 0; i < config.warmup; ++i) {
    const auto response = NewResponse(c->api, protocol);
    const Status st = transport->Call(c->api, *request, response.get(), options);
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  std::vector<std::vector<double>> per_thread(static_cast<size_t>(config.concurrency));
  std::atomic<int> next{0};
  const auto begin = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < config.concurrency; ++t) {
    threads.emplace_back([&, t] {
      auto& samples = per_thread[static_cast<size_t>(t)];
      const auto response = NewResponse(c->api, protocol);
      while (next.fetch_add(1) < config.requests) {
        const auto start = Clock::now();
        const Status st = transport->Call(c->api, *request, response.get(), options);
        samples.push_back(Micros(Clock::now() - start));
        if (!st.ok()) {
          errors.fetch_add(1);
          std::lock_guard<std::mutex> lock(failures_mu);
          ++failures[st.ToString()];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const double wall = Micros(Clock::now() - begin);
  std::vector<double> all;
  for (auto& s : per_thread) all.insert(all.end(), s.begin(), s.end());

  nlohmann::json out = {{"client", kClientName},
                        {"mode", config.transport.mode},
                        {"case", c->id},
                        {"batch", BatchOf(*request, c->api, protocol)},
                        {"requests", config.requests},
                        {"concurrency", config.concurrency},
                        {"warmup", config.warmup},
                        {"errors", errors.load()}};
  out.update(SummarizeLatencies(all, wall));
  if (!first_error.ok()) out["first_error"] = first_error.ToString();
  if (!failures.empty()) out["failures"] = failures;
  nlohmann::json ref = Reference(config, cases, *c, config.requests);
  // Ratios only mean something when every measured request succeeded.
  if (errors.load() == 0 && ref.contains("mean_us") && ref["mean_us"].get<double>() > 0) {
    // Client (and, for grpc/rest, server) time per request over the bare run.
    out["overhead_ratio_p50"] =
        Round2(out["p50_us"].get<double>() / std::max(ref["p50_us"].get<double>(), 0.1));
    out["overhead_ratio_mean"] =
        Round2(out["mean_us"].get<double>() / ref["mean_us"].get<double>());
  }
  out["reference"] = std::move(ref);
  return out;
}

}  // namespace tfinterop
