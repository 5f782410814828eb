#include "cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cases.h"
#include "grpc_service.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "test_util.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;
using testing::WriteFile;

// A one-case set (predict on every server transport, with a v2 form) in
// `dir`; `tamper` corrupts it.
void WriteCaseSet(const fs::path& dir, bool tamper) {
  tensorflow::serving::PredictRequest request;
  request.mutable_model_spec()->set_name("mnist");
  const std::string bytes = request.SerializeAsString();
  WriteFile(dir / "p.request.pb", tamper ? bytes + "x" : bytes);
  inference::ModelInferRequest v2;
  v2.set_model_name("mnist");
  const std::string v2_bytes = v2.SerializeAsString();
  WriteFile(dir / "p.v2.request.pb", v2_bytes);
  const json manifest = {
      {"format", 1},
      {"model", {{"name", "mnist"}, {"config", "models.config"}}},
      {"cases",
       {{{"id", "p"},
         {"api", "predict"},
         {"transports", {"grpc", "rest", "v2grpc", "v2rest"}},
         {"request", "p.request.pb"},
         {"error", "NOT_FOUND"},
         {"v2", {{"request", "p.v2.request.pb"}, {"error", "NOT_FOUND"}}},
         {"sha256",
          {{"p.request.pb", Sha256Hex(bytes)}, {"p.v2.request.pb", Sha256Hex(v2_bytes)}}}}}}};
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

TEST(CliTest, TheV2ModesParseWithTheGrpcAndRestDefaults) {
  for (const char* mode : {"v2grpc", "v2rest"}) {
    const RunArgs run = ParseRunArgs({"--mode", mode, "--cases", "c", "--out", "o"});
    EXPECT_EQ(run.transport.mode, mode);
    EXPECT_EQ(run.transport.target, "127.0.0.1:8500");
    EXPECT_EQ(run.transport.rest_url, "http://127.0.0.1:8501");
    EXPECT_EQ(run.transport.deadline, std::chrono::milliseconds(30000));
  }
  EXPECT_THROW(ParseRunArgs({"--mode", "v3rest", "--cases", "c", "--out", "o"}), UsageError);
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
  for (const char* mode : {"grpc", "rest", "v2grpc", "v2rest"}) {
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
