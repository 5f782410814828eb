// Custom-op libraries (docs/CONTRACT.md "Op libraries") end to end: the real
// tfinterop-cpp in a child process per run, because a library once loaded
// stays for the process. With the library (by --op-library or by the
// manifest's model.op_libraries) the TfiAffine model answers exactly; without
// it every in-process case is NOT_FOUND "Op type not registered"; a library
// that does not load is each in-process case's error, for the case sets that
// need it only. Plus: each file is loaded once per process, and an op whose
// kernel calls into protobuf runs (RTLD_DEEPBIND, src/op_library.cc).
#include "op_library.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cases.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "test_util.h"
#include "tf_api.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
namespace tfs = tensorflow::serving;
using nlohmann::json;
using testing::TempDir;
using testing::WriteFile;

const fs::path kLibrary = TFINTEROP_OP_LIBRARY;
const fs::path kAffineModel = fs::path(TFINTEROP_OP_MODELS) / "affine";
const fs::path kProbeModel = fs::path(TFINTEROP_OP_MODELS) / "probe";
constexpr char kNotRegistered[] = "Op type not registered 'TfiAffine' in binary running on ";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

json ReadJson(const fs::path& path) { return json::parse(ReadFile(path)); }

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Child {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// tfinterop-cpp ARGS in a child process, its stdout and stderr captured.
Child RunClient(const std::vector<std::string>& args) {
  TempDir capture;
  std::string command = Quote(TFINTEROP_CLI);
  for (const std::string& a : args) command += " " + Quote(a);
  command += " >" + Quote((capture.path() / "out").string()) + " 2>" +
             Quote((capture.path() / "err").string());
  const int status = std::system(command.c_str());
  Child child;
  child.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  child.out = ReadFile(capture.path() / "out");
  child.err = ReadFile(capture.path() / "err");
  return child;
}

tensorflow::TensorProto FloatVector(const std::vector<float>& values) {
  tensorflow::TensorProto t;
  t.set_dtype(tensorflow::DT_FLOAT);
  t.mutable_tensor_shape()->add_dim()->set_size(static_cast<int64_t>(values.size()));
  for (const float v : values) t.add_float_val(v);
  return t;
}

struct CaseFile {
  std::string id;
  std::string api;
  std::vector<std::string> transports;
  std::string request;
};

// A case set for `model` (served from `base_path`) in `dir`: predict on
// serving_default and on "ints", metadata, and a grpc-only predict.
// `op_libraries` becomes model.op_libraries unless null.
void WriteCaseSet(const fs::path& dir, const std::string& model, const fs::path& base_path,
                  const json& op_libraries) {
  WriteFile(dir / "models.config", "model_config_list { config { name: \"" + model +
                                       "\" base_path: \"" + base_path.string() +
                                       "\" model_platform: \"tensorflow\" } }\n");
  tfs::PredictRequest affine;
  affine.mutable_model_spec()->set_name(model);
  (*affine.mutable_inputs())["x"] = FloatVector({1.0f, 2.0f, -4.0f, 0.25f});
  tfs::PredictRequest ints;
  ints.mutable_model_spec()->set_name(model);
  ints.mutable_model_spec()->set_signature_name("ints");
  tensorflow::TensorProto& n = (*ints.mutable_inputs())["n"];
  n.set_dtype(tensorflow::DT_INT64);
  n.mutable_tensor_shape()->add_dim()->set_size(2);
  n.mutable_tensor_shape()->add_dim()->set_size(2);
  for (const int64_t v : {1, 2, 3, -4}) n.add_int64_val(v);
  tfs::GetModelMetadataRequest metadata;
  metadata.mutable_model_spec()->set_name(model);
  metadata.add_metadata_field("signature_def");
  const std::vector<CaseFile> files = {
      {"affine-float", "predict", {"inproc", "grpc", "rest"}, affine.SerializeAsString()},
      {"affine-ints", "predict", {"inproc", "grpc", "rest"}, ints.SerializeAsString()},
      {"metadata", "metadata", {"inproc", "grpc", "rest"}, metadata.SerializeAsString()},
      {"grpc-only", "predict", {"grpc"}, affine.SerializeAsString()}};
  json cases = json::array();
  for (const CaseFile& f : files) {
    // The client reads only the request; the expected outcome is the judge's.
    WriteFile(dir / (f.id + ".request.pb"), f.request);
    cases.push_back({{"id", f.id},
                     {"api", f.api},
                     {"transports", f.transports},
                     {"request", f.id + ".request.pb"},
                     {"error", "UNKNOWN"},
                     {"sha256", {{f.id + ".request.pb", Sha256Hex(f.request)}}}});
  }
  json manifest_model = {{"name", model}, {"config", "models.config"}};
  if (!op_libraries.is_null()) manifest_model["op_libraries"] = op_libraries;
  WriteFile(dir / "manifest.json",
            json({{"format", 1}, {"model", manifest_model}, {"cases", cases}}).dump());
}

tfs::PredictResponse ReadResponse(const fs::path& file) {
  tfs::PredictResponse response;
  EXPECT_TRUE(response.ParseFromString(ReadFile(file))) << file;
  return response;
}

// The TfiAffine model's answers, exactly: y = 3x + 0.5 (float), m = 2n + 1.
void ExpectAffineAnswers(const fs::path& results) {
  ASSERT_TRUE(fs::exists(results / "affine-float.response.pb"))
      << ReadFile(results / "affine-float.error.json");
  const auto y = ReadResponse(results / "affine-float.response.pb");
  EXPECT_EQ(y.model_spec().signature_name(), "serving_default");
  ASSERT_EQ(y.outputs().count("y"), 1u);
  const auto& yt = y.outputs().at("y");
  EXPECT_EQ(yt.dtype(), tensorflow::DT_FLOAT);
  EXPECT_EQ(std::vector<float>(yt.float_val().begin(), yt.float_val().end()),
            (std::vector<float>{3.5f, 6.5f, -11.5f, 1.25f}));
  ASSERT_TRUE(fs::exists(results / "affine-ints.response.pb"));
  const auto m = ReadResponse(results / "affine-ints.response.pb");
  EXPECT_EQ(m.model_spec().signature_name(), "ints");
  const auto& mt = m.outputs().at("m");
  EXPECT_EQ(mt.dtype(), tensorflow::DT_INT64);
  EXPECT_EQ(mt.tensor_shape().dim_size(), 2);
  EXPECT_EQ(std::vector<int64_t>(mt.int64_val().begin(), mt.int64_val().end()),
            (std::vector<int64_t>{3, 5, 7, -7}));
  EXPECT_TRUE(fs::exists(results / "metadata.response.pb"));
  EXPECT_TRUE(fs::exists(results / "grpc-only.skipped.json"));
  const json run = ReadJson(results / "run.json");
  for (const char* id : {"affine-float", "affine-ints", "metadata"}) {
    EXPECT_EQ(run["cases"][id]["status"], "ok") << id;
  }
}

// Every in-process case answers `code` with `message` in its message; the
// grpc-only case is still skipped.
void ExpectEveryInprocCaseFails(const fs::path& results, const std::string& code,
                                const std::string& message) {
  for (const char* id : {"affine-float", "affine-ints", "metadata"}) {
    SCOPED_TRACE(id);
    EXPECT_FALSE(fs::exists(results / (std::string(id) + ".response.pb")));
    ASSERT_TRUE(fs::exists(results / (std::string(id) + ".error.json")));
    const json error = ReadJson(results / (std::string(id) + ".error.json"));
    EXPECT_EQ(error["code"], code);
    EXPECT_NE(error["message"].get<std::string>().find(message), std::string::npos)
        << error["message"];
  }
  EXPECT_TRUE(fs::exists(results / "grpc-only.skipped.json"));
}

class OpLibraryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kLibrary)) GTEST_SKIP() << kLibrary << " is not built: run `make ops`";
    ASSERT_TRUE(fs::exists(kAffineModel / "1" / "saved_model.pb"))
        << "the op_library_models ctest fixture did not write " << kAffineModel;
  }

  fs::path Results(const std::string& model) const {
    return dir_.path() / "out" / "cpp" / "inproc" / model;
  }

  std::vector<std::string> RunArgs(const std::vector<fs::path>& sets) const {
    std::vector<std::string> args = {"run", "--mode", "inproc", "--out",
                                     (dir_.path() / "out").string()};
    for (const fs::path& set : sets) {
      args.push_back("--cases");
      args.push_back(set.string());
    }
    return args;
  }

  TempDir dir_;
};

TEST_F(OpLibraryCliTest, TheFlagLoadsTheLibraryBeforeTheModel) {
  WriteCaseSet(dir_.path() / "set", "custom_op", kAffineModel, nullptr);
  auto args = RunArgs({dir_.path() / "set"});
  args.insert(args.end(), {"--op-library", kLibrary.string()});
  const Child child = RunClient(args);
  ASSERT_EQ(child.exit_code, 0) << child.err;
  ExpectAffineAnswers(Results("custom_op"));
}

TEST_F(OpLibraryCliTest, TheManifestsOpLibrariesLoadRelativeToTheCaseFolder) {
  const fs::path set = dir_.path() / "set";
  WriteCaseSet(set, "custom_op", kAffineModel, json::array({fs::relative(kLibrary, set).string()}));
  const Child child = RunClient(RunArgs({set}));
  ASSERT_EQ(child.exit_code, 0) << child.err;
  ExpectAffineAnswers(Results("custom_op"));
}

TEST_F(OpLibraryCliTest, WithoutTheLibraryEveryInprocCaseIsOpTypeNotRegistered) {
  WriteCaseSet(dir_.path() / "set", "custom_op", kAffineModel, nullptr);
  const Child child = RunClient(RunArgs({dir_.path() / "set"}));
  ASSERT_EQ(child.exit_code, 0) << child.err;
  ExpectEveryInprocCaseFails(Results("custom_op"), "NOT_FOUND", kNotRegistered);
}

TEST_F(OpLibraryCliTest, AMissingLibraryFailsOnlyTheCaseSetsThatNeedIt) {
  // Two sets in one run: the first names a library that does not exist, the
  // second the real one. Loading both comes before either model.
  WriteCaseSet(dir_.path() / "broken", "broken", kAffineModel,
               json::array({"no/such/libtfi_nope.so"}));
  WriteCaseSet(dir_.path() / "good", "good", kAffineModel,
               json::array({fs::relative(kLibrary, dir_.path() / "good").string()}));
  const Child child = RunClient(RunArgs({dir_.path() / "broken", dir_.path() / "good"}));
  ASSERT_EQ(child.exit_code, 0) << child.err;
  // TF_LoadLibrary's status: NOT_FOUND with the dynamic loader's message.
  const std::string missing = (dir_.path() / "broken" / "no/such/libtfi_nope.so").string();
  ExpectEveryInprocCaseFails(
      Results("broken"), "NOT_FOUND",
      missing + ": cannot open shared object file: No such file or directory");
  ExpectAffineAnswers(Results("good"));
}

TEST_F(OpLibraryCliTest, AMissingFlagLibraryFailsEveryCaseSet) {
  WriteCaseSet(dir_.path() / "set", "custom_op", kAffineModel,
               json::array({fs::relative(kLibrary, dir_.path() / "set").string()}));
  auto args = RunArgs({dir_.path() / "set"});
  const fs::path missing = dir_.path() / "libtfi_nope.so";
  args.insert(args.end(), {"--op-library", missing.string()});
  const Child child = RunClient(args);
  ASSERT_EQ(child.exit_code, 0) << child.err;
  ExpectEveryInprocCaseFails(Results("custom_op"), "NOT_FOUND",
                             missing.string() + ": cannot open shared object file");
}

TEST_F(OpLibraryCliTest, OverGrpcNoLibraryIsLoaded) {
  // The server runs the model: a missing library is not the client's error.
  WriteCaseSet(dir_.path() / "set", "custom_op", kAffineModel, nullptr);
  const Child child =
      RunClient({"run", "--mode", "grpc", "--target", "127.0.0.1:1", "--deadline-ms", "2000",
                 "--cases", (dir_.path() / "set").string(), "--out", (dir_.path() / "out").string(),
                 "--op-library", (dir_.path() / "libtfi_nope.so").string()});
  ASSERT_EQ(child.exit_code, 0) << child.err;
  const json error = ReadJson(dir_.path() / "out/cpp/grpc/custom_op/affine-float.error.json");
  EXPECT_EQ(error["code"], "UNAVAILABLE");
}

TEST_F(OpLibraryCliTest, BenchLoadsTheLibraryForTheTransportAndTheReference) {
  WriteCaseSet(dir_.path() / "set", "custom_op", kAffineModel, nullptr);
  const std::vector<std::string> bench = {
      "bench",  "--mode",       "inproc",     "--cases", (dir_.path() / "set").string(),
      "--case", "affine-float", "--requests", "5",       "--concurrency",
      "2",      "--warmup",     "1"};
  auto with = bench;
  with.insert(with.end(), {"--op-library", kLibrary.string()});
  const Child loaded = RunClient(with);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const json line = json::parse(loaded.out);
  EXPECT_EQ(line["errors"], 0) << line.dump();
  EXPECT_TRUE(line["reference"].contains("mean_us")) << line.dump();

  const Child without = RunClient(bench);
  ASSERT_EQ(without.exit_code, 0) << without.err;
  const json failed = json::parse(without.out);
  EXPECT_EQ(failed["errors"], 5);
  EXPECT_NE(failed["first_error"].get<std::string>().find(kNotRegistered), std::string::npos)
      << failed.dump();

  // The reference (an in-process run) answers the library's failure too.
  auto missing = bench;
  missing.insert(missing.end(), {"--op-library", (dir_.path() / "libtfi_nope.so").string()});
  const Child broken = RunClient(missing);
  ASSERT_EQ(broken.exit_code, 0) << broken.err;
  const json unloaded = json::parse(broken.out);
  EXPECT_EQ(unloaded["errors"], 5);
  for (const std::string& error : {unloaded["first_error"].get<std::string>(),
                                   unloaded["reference"]["error"].get<std::string>()}) {
    EXPECT_NE(error.find("libtfi_nope.so: cannot open shared object file"), std::string::npos)
        << unloaded.dump();
  }
}

TEST(OpLibraryDeepBindTest, AnOpWhoseKernelCallsProtobufRunsOnTensorFlowsProtobuf) {
  // Without RTLD_DEEPBIND the kernel's SerializeAsString binds to Debian's
  // libprotobuf, and the process crashes in TF_SessionRun.
  ASSERT_TRUE(fs::exists(kProbeModel / "1" / "saved_model.pb"))
      << "the op_library_models ctest fixture did not write " << kProbeModel;
  TempDir dir;
  WriteFile(dir.path() / "models.config",
            "model_config_list { config { name: \"probe\" "
            "base_path: \"" +
                kProbeModel.string() + "\" model_platform: \"tensorflow\" } }\n");
  tfs::PredictRequest request;
  request.mutable_model_spec()->set_name("probe");
  tensorflow::TensorProto& x = (*request.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(2);
  x.mutable_tensor_shape()->add_dim()->set_size(3);
  x.add_float_val(0);
  const std::string bytes = request.SerializeAsString();
  WriteFile(dir.path() / "set" / "p.request.pb", bytes);
  WriteFile(dir.path() / "set" / "manifest.json",
            json({{"format", 1},
                  {"model",
                   {{"name", "probe"},
                    {"config", "../models.config"},
                    {"op_libraries", {TFINTEROP_PROBE_OP}}}},
                  {"cases",
                   {{{"id", "p"},
                     {"api", "predict"},
                     {"request", "p.request.pb"},
                     {"error", "UNKNOWN"},
                     {"sha256", {{"p.request.pb", Sha256Hex(bytes)}}}}}}})
                .dump());
  const Child child =
      RunClient({"run", "--mode", "inproc", "--cases", (dir.path() / "set").string(), "--out",
                 (dir.path() / "out").string()});
  ASSERT_EQ(child.exit_code, 0) << child.err;
  const fs::path results = dir.path() / "out/cpp/inproc/probe";
  ASSERT_TRUE(fs::exists(results / "p.response.pb")) << ReadFile(results / "p.error.json");
  // The kernel's answer, 1000 * serialized size + rank, as protobuf computes it.
  tensorflow::TensorShapeProto shape;
  shape.add_dim()->set_size(2);
  shape.add_dim()->set_size(3);
  const auto response = ReadResponse(results / "p.response.pb");
  ASSERT_EQ(response.outputs().at("code").int64_val_size(), 1);
  EXPECT_EQ(response.outputs().at("code").int64_val(0),
            static_cast<int64_t>(shape.SerializeAsString().size()) * 1000 + 2);
}

// Test-only process state: C function pointers cannot capture.
const TfApi* real_api = nullptr;
std::atomic<int> library_loads{0};

TEST(OpLibraryOnceTest, EachFileLoadsOncePerProcessAndRelativePathsResolveInTheWorkingFolder) {
  const auto loaded = LoadTfApi(DefaultTfDir());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  real_api = loaded.value();
  TfApi api = *real_api;
  api.TF_LoadLibrary = [](const char* file, TF_Status* status) {
    ++library_loads;
    return real_api->TF_LoadLibrary(file, status);
  };
  // Files that do not exist, so that nothing registers in this process.
  TempDir dir;
  const fs::path file = dir.path() / "libtfi_nope.so";
  const Status first = LoadOpLibrary(api, file);
  EXPECT_EQ(first.code(), Code::kNotFound);
  EXPECT_NE(first.message().find(file.string() + ": cannot open shared object file"),
            std::string::npos)
      << first.message();
  const Status again = LoadOpLibraries(api, {file, dir.path() / "." / "libtfi_nope.so",
                                             dir.path() / "sub" / ".." / "libtfi_nope.so"});
  EXPECT_EQ(again.ToString(), first.ToString());
  EXPECT_EQ(library_loads.load(), 1) << "one file, one TF_LoadLibrary";

  const Status relative = LoadOpLibrary(api, "no/such/libtfi_nope.so");
  EXPECT_NE(relative.message().find((fs::current_path() / "no/such/libtfi_nope.so").string()),
            std::string::npos)
      << relative.message();
  EXPECT_EQ(library_loads.load(), 2);
  EXPECT_TRUE(LoadOpLibraries(api, {}).ok());
}

}  // namespace
}  // namespace tfinterop
