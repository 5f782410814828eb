#include "cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cases.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "test_util.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;
using testing::WriteFile;

// A one-case set (predict on every transport) in `dir`; `tamper` corrupts it.
void WriteCaseSet(const fs::path& dir, bool tamper) {
  tensorflow::serving::PredictRequest request;
  request.mutable_model_spec()->set_name("mnist");
  const std::string bytes = request.SerializeAsString();
  WriteFile(dir / "p.request.pb", tamper ? bytes + "x" : bytes);
  const json manifest = {{"format", 1},
                         {"model", {{"name", "mnist"}, {"config", "models.config"}}},
                         {"cases",
                          {{{"id", "p"},
                            {"api", "predict"},
                            {"transports", {"grpc", "rest"}},
                            {"request", "p.request.pb"},
                            {"error", "NOT_FOUND"},
                            {"sha256", {{"p.request.pb", Sha256Hex(bytes)}}}}}}};
  WriteFile(dir / "manifest.json", manifest.dump());
}

json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

TEST(CliTest, BadUsageExitsTwo) {
  EXPECT_EQ(RunCli({}), 2);
  EXPECT_EQ(RunCli({"explode"}), 2);
  EXPECT_EQ(RunCli({"run", "--mode", "grpc", "--cases", "x"}), 2);  // no --out
  EXPECT_EQ(RunCli({"run", "--mode", "carrier-pigeon", "--cases", "x", "--out", "o"}), 2);
  EXPECT_EQ(RunCli({"run", "--mode", "grpc", "--cases", "x", "--out", "o", "--bogus", "1"}), 2);
  EXPECT_EQ(RunCli({"run", "--mode=grpc", "--cases=x", "--out=o", "--deadline-ms=soon"}), 2);
  EXPECT_EQ(RunCli({"run", "--mode", "grpc", "--cases", "x", "--out"}), 2);
  EXPECT_EQ(RunCli({"bench", "--mode", "grpc", "--cases", "x", "--case", "p"}), 2);
  EXPECT_EQ(RunCli({"info", "extra"}), 2);
}

TEST(CliTest, OpLibraryRepeatsInOrderAndDefaultsToNone) {
  const std::vector<std::string> base = {"--mode", "inproc", "--cases", "c"};
  auto run = base;
  run.insert(run.end(), {"--out", "o"});
  EXPECT_TRUE(ParseRunArgs(run).transport.op_libraries.empty());
  auto with = run;
  with.insert(with.end(), {"--op-library", "a/libone.so", "--op-library=/abs/libtwo.so"});
  EXPECT_EQ(ParseRunArgs(with).transport.op_libraries,
            (std::vector<fs::path>{"a/libone.so", "/abs/libtwo.so"}));

  auto bench = base;
  bench.insert(bench.end(), {"--case", "p", "--requests", "1", "--concurrency", "1"});
  EXPECT_TRUE(ParseBenchArgs(bench).config.transport.op_libraries.empty());
  bench.insert(bench.end(), {"--op-library", "x.so", "--op-library", "x.so"});
  EXPECT_EQ(ParseBenchArgs(bench).config.transport.op_libraries,
            (std::vector<fs::path>{"x.so", "x.so"}));

  auto empty = run;
  empty.push_back("--op-library=");
  EXPECT_THROW(ParseRunArgs(empty), UsageError);
  auto dangling = run;
  dangling.push_back("--op-library");
  EXPECT_THROW(ParseRunArgs(dangling), UsageError);
  std::vector<std::string> cli = {"run"};
  cli.insert(cli.end(), dangling.begin(), dangling.end());
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunCli(cli), 2);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("--op-library needs a value"),
            std::string::npos);
}

TEST(CliTest, BadUsageIsOneLineOnStderrAndNothingOnStdout) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"explode"},
           {"run", "--mode", "grpc", "--cases", "x"},
           {"bench", "--mode", "rest", "--cases", "x", "--case", "p", "--requests", "1",
            "--concurrency", "1", "--warmup", "-1"},
           {"run", "--mode", "grpc", "--cases", "x", "--out", "o", "--warmup", "3"}}) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(RunCli(args), 2) << args[0];
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(err.rfind("tfinterop-cpp: usage error: ", 0), 0u) << err;
  }
}

TEST(CliTest, ATamperedCaseSetExitsOneAndWritesNothing) {
  TempDir dir;
  WriteCaseSet(dir.path() / "good", false);
  WriteCaseSet(dir.path() / "bad", true);
  const fs::path out = dir.path() / "out";
  EXPECT_EQ(RunCli({"run", "--mode", "grpc", "--target", "127.0.0.1:1", "--cases",
                    (dir.path() / "good").string(), "--cases", (dir.path() / "bad").string(),
                    "--out", out.string()}),
            1);
  EXPECT_FALSE(fs::exists(out));
}

TEST(CliTest, AnUnreachableServerIsRecordedPerCaseNotFatal) {
  TempDir dir;
  WriteCaseSet(dir.path() / "set", false);
  const fs::path out = dir.path() / "out";
  for (const char* mode : {"grpc", "rest"}) {
    ASSERT_EQ(RunCli({"run", "--mode", mode, "--target", "127.0.0.1:1", "--rest",
                      "http://127.0.0.1:1", "--deadline-ms", "2000", "--cases",
                      (dir.path() / "set").string(), "--out", out.string()}),
              0)
        << mode;
    const fs::path folder = out / "cpp" / mode / "mnist";
    const json error = ReadJson(folder / "p.error.json");
    EXPECT_EQ(error["code"], "UNAVAILABLE") << mode;
    EXPECT_FALSE(error.contains("http_status")) << "no HTTP exchange happened";
    const json run = ReadJson(folder / "run.json");
    EXPECT_EQ(run["client"], "cpp");
    EXPECT_EQ(run["mode"], mode);
    EXPECT_EQ(run["cases"]["p"]["status"], "error");
    EXPECT_FALSE(run["runtime"].contains("tensorflow")) << "the server ran the model";
  }
}

}  // namespace
}  // namespace tfinterop
