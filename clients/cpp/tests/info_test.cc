// `info` (it loads TensorFlow, so it lives with the TF tests): exactly the
// keys docs/CONTRACT.md names, the APIs each transport's table lists, and
// in-process Call held to its table.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cases.h"
#include "cli.h"
#include "inproc_transport.h"
#include "runner.h"
#include "test_util.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(InfoTest, PrintsExactlyTheContractsKeys) {
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunCli({"info"}), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one JSON line: " << out;
  const json info = json::parse(out);
  std::vector<std::string> keys;
  for (const auto& [key, value] : info.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"apis", "client", "language", "modes", "runtime",
                                            "unsupported_dtypes"}));
  EXPECT_EQ(info["client"], "cpp");
  EXPECT_EQ(info["modes"], json({"inproc", "grpc", "rest", "v2grpc", "v2rest"}));
  EXPECT_EQ(info["apis"]["inproc"], json({"predict", "metadata"}));
  EXPECT_EQ(info["apis"]["grpc"],
            json({"predict", "classify", "regress", "multi_inference", "metadata"}));
  EXPECT_EQ(info["apis"]["rest"], json({"predict", "classify", "regress", "metadata"}));
  EXPECT_EQ(info["apis"]["v2grpc"], json({"predict"}));
  EXPECT_EQ(info["apis"]["v2rest"], json({"predict"}));
  for (const char* mode : {"inproc", "grpc", "rest", "v2grpc", "v2rest"}) {
    EXPECT_EQ(info["unsupported_dtypes"][mode], json::array()) << mode;
  }
  EXPECT_TRUE(info["language"].get<std::string>().rfind("c++", 0) == 0) << info["language"];
  EXPECT_FALSE(info["runtime"].contains("language")) << "language is top-level only";
  EXPECT_TRUE(info["runtime"].contains("tensorflow")) << info["runtime"].dump();
}

TEST(InfoTest, InprocCallServesExactlyItsTable) {
  const fs::path set = testing::RepoPath("build/cases/mnist");
  if (!fs::exists(set / "manifest.json")) GTEST_SKIP() << "run `make export` first";
  InprocTransport transport(ReadCaseSet(set).config_path, DefaultTfDir());
  const std::vector<Api>& table = InprocApis();
  for (const Api api :
       {Api::kPredict, Api::kClassify, Api::kRegress, Api::kMultiInference, Api::kMetadata}) {
    const auto request = NewRequest(api);  // empty model name: refused, not run
    const auto response = NewResponse(api);
    const Status st = transport.Call(api, *request, response.get(), CallOptions{});
    const bool listed = std::find(table.begin(), table.end(), api) != table.end();
    EXPECT_EQ(st.code(), listed ? Code::kInvalidArgument : Code::kUnimplemented) << ApiName(api);
  }
}

}  // namespace
}  // namespace tfinterop
