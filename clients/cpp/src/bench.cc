#include "bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
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
// prepared call run again and again on the bench's own thread. In inproc mode
// it runs on the client's own session; otherwise it loads TensorFlow here
// (grpc/rest/v2), which also proves both runtimes share the process. In v2
// modes it runs the case's PredictRequest: the same tensors.
class BareReference {
 public:
  BareReference(const BenchConfig& config, const CaseSet& cases, const Case& c,
                Transport* transport) {
    if (c.api != Api::kPredict) {
      error_ = "the reference runs predict cases only";
      return;
    }
    tensorflow::serving::PredictRequest req;
    if (!req.ParseFromString(c.request_bytes)) {
      error_ = "the request does not parse";
      return;
    }
    try {
      auto* inproc = dynamic_cast<InprocTransport*>(transport);
      if (inproc == nullptr) {
        // An in-process run whatever the mode, so it needs the model's op libraries too.
        own_ = std::make_unique<InprocTransport>(
            config.transport.model_config.value_or(cases.config_path), DefaultTfDir(),
            OpLibrariesFor(config.transport, cases));
        inproc = own_.get();
      }
      const auto servable = inproc->ServableFor(req.model_spec());
      if (!servable.ok()) {
        error_ = servable.status().ToString();
        return;
      }
      auto plan = PlanPredict(*servable.value(), req);
      if (!plan.ok()) {
        error_ = plan.status().ToString();
        return;
      }
      auto call =
          servable.value()->Prepare(*plan->signature, std::move(plan->inputs), plan->outputs);
      if (!call.ok()) {
        error_ = call.status().ToString();
        return;
      }
      call_.emplace(std::move(call).value());
    } catch (const ToolError& e) {
      error_ = e.what();
    }
  }

  bool ok() const { return call_.has_value(); }

  // `n` runs, their latencies appended to `samples`; false (and the error
  // kept) when a run fails.
  bool Measure(int n, std::vector<double>* samples) {
    for (int i = 0; i < n && ok(); ++i) {
      const auto start = Clock::now();
      const auto out = call_->Run();
      samples->push_back(Micros(Clock::now() - start));
      if (!out.ok()) {
        error_ = out.status().ToString();
        call_.reset();
      }
    }
    return ok();
  }

  nlohmann::json Error() const { return {{"error", error_}}; }

 private:
  std::unique_ptr<InprocTransport> own_;  // grpc/rest/v2: the reference's own runtime
  std::optional<SessionCall> call_;
  std::string error_;
};

// Client and reference alternate in this many blocks of requests, so that the
// load of a shared machine, which drifts over seconds, weighs on both alike.
constexpr int kBlocks = 20;

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
  // One caller and one response per thread for the whole run, as `run`'s one
  // loop has: a reused message keeps its buffers, an in-process caller its
  // tensors (transport.h, Caller). The warm-up warms thread 0's.
  std::vector<std::unique_ptr<Caller>> callers;
  std::vector<std::unique_ptr<google::protobuf::Message>> responses;
  for (int t = 0; t < config.concurrency; ++t) {
    callers.push_back(transport->NewCaller());
    responses.push_back(NewResponse(c->api, protocol));
  }
  for (int i = 0; i < config.warmup; ++i) {
    const Status st = callers[0]->Call(c->api, *request, responses[0].get(), options);
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  BareReference reference(config, cases, *c, transport.get());
  if (reference.ok()) {
    std::vector<double> discarded;
    reference.Measure(config.warmup, &discarded);
  }
  std::vector<std::vector<double>> per_thread(static_cast<size_t>(config.concurrency));
  for (auto& samples : per_thread) samples.reserve(static_cast<size_t>(config.requests));
  std::vector<double> ref_samples;
  ref_samples.reserve(static_cast<size_t>(config.requests));
  // The calls of one block, on thread `t`'s samples: shared with the other threads.
  const auto run_block = [&](std::atomic<int>* left, size_t t) {
    auto& samples = per_thread[t];
    Caller* caller = callers[t].get();
    google::protobuf::Message* response = responses[t].get();
    while (left->fetch_sub(1) > 0) {
      const auto start = Clock::now();
      const Status st = caller->Call(c->api, *request, response, options);
      samples.push_back(Micros(Clock::now() - start));
      if (!st.ok()) {
        errors.fetch_add(1);
        std::lock_guard<std::mutex> lock(failures_mu);
        ++failures[st.ToString()];
      }
    }
  };
  double wall = 0;
  double ref_wall = 0;
  const int blocks = std::min(kBlocks, config.requests);
  for (int b = 0; b < blocks; ++b) {
    // Block b's share of the requests: they add up to config.requests.
    const int count = config.requests * (b + 1) / blocks - config.requests * b / blocks;
    std::atomic<int> left{count};
    const auto begin = Clock::now();
    if (config.concurrency == 1) {
      run_block(&left, 0);  // on this thread, as the reference runs
    } else {
      std::vector<std::thread> threads;
      for (int t = 0; t < config.concurrency; ++t) {
        threads.emplace_back(run_block, &left, static_cast<size_t>(t));
      }
      for (auto& th : threads) th.join();
    }
    wall += Micros(Clock::now() - begin);
    const auto ref_begin = Clock::now();
    if (reference.ok()) reference.Measure(count, &ref_samples);
    ref_wall += Micros(Clock::now() - ref_begin);
  }
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
  nlohmann::json ref = reference.Error();
  if (reference.ok()) {
    ref = SummarizeLatencies(std::move(ref_samples), ref_wall);
    ref["what"] = "bare TF_SessionRun, prepared tensors, the bench's thread, same process";
    ref["requests"] = config.requests;
  }
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
