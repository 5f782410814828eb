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
    EXPECT_EQ(run.modes, std::vector<std::string>{mode});
    EXPECT_EQ(run.transport.target, "127.0.0.1:8500");
    EXPECT_EQ(run.transport.rest_url, "http://127.0.0.1:8501");
    EXPECT_EQ(run.transport.deadline, std::chrono::milliseconds(30000));
  }
  EXPECT_THROW(ParseRunArgs({"--mode", "v3rest", "--cases", "c", "--out", "o"}), UsageError);
}

TEST(CliTest, RunModeIsAListOfDistinctModesInTheOrderGiven) {
  EXPECT_EQ(ParseModeList("rest"), std::vector<std::string>{"rest"});
  EXPECT_EQ(ParseModeList("v2rest,inproc,grpc,rest,v2grpc"),
            (std::vector<std::string>{"v2rest", "inproc", "grpc", "rest", "v2grpc"}));
  EXPECT_EQ(ParseRunArgs({"--mode=grpc,inproc", "--cases", "c", "--out", "o"}).modes,
            (std::vector<std::string>{"grpc", "inproc"}));
}

TEST(CliTest, AnEmptyRepeatedOrUnknownModeInTheListIsAUsageError) {
  for (const char* list : {"", ",", "inproc,,grpc", "inproc,", ",grpc", "grpc,grpc",
                           "inproc,rest,inproc", "grpc,pigeon", "grpc, rest", "GRPC"}) {
    EXPECT_THROW(ParseModeList(list), UsageError) << "'" << list << "'";
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(RunCli({"run", "--mode", list, "--cases", "c", "--out", "o"}), 2) << list;
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(err.rfind("tfinterop-cpp: usage error: --mode ", 0), 0u) << err;
  }
}

TEST(CliTest, BenchTakesOneModeNotAList) {
  const std::vector<std::string> rest = {"--cases",    "c", "--case",        "p",
                                         "--requests", "1", "--concurrency", "1"};
  auto one = rest;
  one.insert(one.begin(), {"--mode", "grpc"});
  EXPECT_EQ(ParseBenchArgs(one).config.transport.mode, "grpc");
  for (const char* list : {"grpc,rest", "grpc,", "grpc,grpc"}) {
    auto args = rest;
    args.insert(args.begin(), {"--mode", list});
    EXPECT_THROW(ParseBenchArgs(args), UsageError) << list;
    args.insert(args.begin(), "bench");
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(RunCli(args), 2) << list;
    EXPECT_NE(::testing::internal::GetCapturedStderr().find("bench takes one --mode"),
              std::string::npos);
  }
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

// Two server modes in one process, each against a closed port: both folders,
// each as its own run writes it, printed on stdout in the order of --mode.
TEST(CliTest, SeveralModesRunInOrderAndEachWritesItsOwnFolder) {
  TempDir dir;
  WriteCaseSet(dir.path() / "set", false);
  const fs::path out = dir.path() / "out";
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int status = RunCli({"run", "--mode", "v2rest,grpc", "--target", "127.0.0.1:1", "--rest",
                             "http://127.0.0.1:1", "--deadline-ms", "2000", "--cases",
                             (dir.path() / "set").string(), "--out", out.string()});
  const std::string printed = ::testing::internal::GetCapturedStdout();
  ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(status, 0);
  EXPECT_EQ(printed, (out / "cpp" / "v2rest" / "mnist").string() + "\n" +
                         (out / "cpp" / "grpc" / "mnist").string() + "\n");
  for (const char* mode : {"v2rest", "grpc"}) {
    const fs::path folder = out / "cpp" / mode / "mnist";
    EXPECT_EQ(ReadJson(folder / "p.error.json")["code"], "UNAVAILABLE") << mode;
    const json run = ReadJson(folder / "run.json");
    EXPECT_EQ(run["mode"], mode);
    EXPECT_EQ(run["cases"]["p"]["status"], "error");
    EXPECT_EQ(run["runtime"].contains("target"), std::string(mode) == "grpc") << mode;
  }
  EXPECT_FALSE(fs::exists(out / "cpp" / "rest"));
  EXPECT_FALSE(fs::exists(out / "cpp" / "v2grpc"));
}

// A mode that cannot write its results ends the run with exit 1: the folders
// of the modes before it stay, the modes after it do not run.
TEST(CliTest, AnErrorInOneModeStopsTheModesAfterIt) {
  TempDir dir;
  WriteCaseSet(dir.path() / "set", false);
  const fs::path out = dir.path() / "out";
  WriteFile(out / "cpp" / "rest", "a file where the rest results would go");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int status = RunCli({"run", "--mode", "grpc,rest,v2grpc", "--target", "127.0.0.1:1",
                             "--rest", "http://127.0.0.1:1", "--deadline-ms", "2000", "--cases",
                             (dir.path() / "set").string(), "--out", out.string()});
  const std::string printed = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, 1);
  EXPECT_EQ(printed, (out / "cpp" / "grpc" / "mnist").string() + "\n");
  EXPECT_TRUE(fs::exists(out / "cpp" / "grpc" / "mnist" / "run.json"));
  EXPECT_FALSE(fs::exists(out / "cpp" / "v2grpc"));
  EXPECT_NE(err.find("tfinterop-cpp: error: cannot create"), std::string::npos) << err;
}

}  // namespace
}  // namespace tfinterop
