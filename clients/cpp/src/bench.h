// `bench`: latency and throughput of one case through one transport, next to
// a bare TF_SessionRun of the same inputs in the same process, so the
// client's (and server's) own overhead shows as a ratio.
#ifndef TFINTEROP_BENCH_H_
#define TFINTEROP_BENCH_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cases.h"
#include "runner.h"

namespace tfinterop {

struct BenchConfig {
  TransportConfig transport;
  std::string case_id;
  int requests = 1000;
  int concurrency = 1;
  int warmup = 10;
};

// p50_us, p90_us, p99_us (nearest rank, docs/CONTRACT.md), mean_us and rps of
// latencies in microseconds measured over `wall_us`; rounded to 0.1.
nlohmann::json SummarizeLatencies(std::vector<double> samples_us, double wall_us);

// The bench JSON line of docs/CONTRACT.md plus "reference" (the bare session
// run, or why it could not run). ToolError for an unknown case.
nlohmann::json RunBench(const BenchConfig& config, const CaseSet& cases);

}  // namespace tfinterop

#endif  // TFINTEROP_BENCH_H_
