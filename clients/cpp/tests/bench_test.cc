// The bench summary: nearest-rank percentiles exactly as docs/CONTRACT.md
// defines them (pQ is the ceil(Q/100 * n)-th smallest, 1-based).
#include "bench.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace tfinterop {
namespace {

TEST(BenchSummaryTest, PercentilesAreNearestRank) {
  std::vector<double> samples;
  for (int i = 10; i >= 1; --i) samples.push_back(i * 100.0);  // unsorted on purpose
  const auto s = SummarizeLatencies(samples, 2e6);
  EXPECT_EQ(s["p50_us"], 500.0);   // ceil(5.0) = 5th
  EXPECT_EQ(s["p90_us"], 900.0);   // ceil(9.0) = 9th
  EXPECT_EQ(s["p99_us"], 1000.0);  // ceil(9.9) = 10th
  EXPECT_EQ(s["mean_us"], 550.0);
  EXPECT_EQ(s["rps"], 5.0);  // 10 requests in 2 s
}

TEST(BenchSummaryTest, RanksForSizesWhereRoundingWouldMatter) {
  struct Row {
    size_t n;
    double p50, p90, p99;  // ranks, by hand: ceil(q * n / 100)
  };
  const Row rows[] = {{1, 1, 1, 1},         {2, 1, 2, 2},          {3, 2, 3, 3},
                      {20, 10, 18, 20},     {100, 50, 90, 99},     {101, 51, 91, 100},
                      {199, 100, 180, 198}, {1000, 500, 900, 990}, {1001, 501, 901, 991}};
  std::mt19937 rng(7);
  for (const Row& row : rows) {
    std::vector<double> samples(row.n);
    for (size_t i = 0; i < row.n; ++i) samples[i] = static_cast<double>(i + 1);  // k-th is k
    std::shuffle(samples.begin(), samples.end(), rng);
    const auto s = SummarizeLatencies(samples, 1e6);
    EXPECT_EQ(s["p50_us"], row.p50) << row.n;
    EXPECT_EQ(s["p90_us"], row.p90) << row.n;
    EXPECT_EQ(s["p99_us"], row.p99) << row.n;
  }
  const auto none = SummarizeLatencies({}, 0);
  EXPECT_EQ(none["p50_us"], 0.0);
  EXPECT_EQ(none["rps"], 0.0);
}

}  // namespace
}  // namespace tfinterop
