// In-process predict through the C API against the exported golden cases:
// outcomes equal the goldens (outputs bit-identical), validation codes as TF
// Serving's, and TensorFlow living beside Debian protobuf/gRPC in one process.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "bench.h"
#include "cases.h"
#include "grpc_transport.h"
#include "inproc_transport.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "test_util.h"
#include "transport.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
namespace tfs = tensorflow::serving;
using google::protobuf::util::MessageDifferencer;

class InprocTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(testing::RepoPath("build/cases/mnist/manifest.json"))) return;
    mnist_ = new CaseSet(ReadCaseSet(testing::RepoPath("build/cases/mnist")));
    transport_ = new InprocTransport(mnist_->config_path, DefaultTfDir());
  }
  static void TearDownTestSuite() {
    delete transport_;
    delete mnist_;
    transport_ = nullptr;
    mnist_ = nullptr;
  }
  void SetUp() override {
    if (mnist_ == nullptr) GTEST_SKIP() << "run `make export` first";
  }

  static Status Run(const Case& c, google::protobuf::Message* response) {
    const auto request = NewRequest(c.api);
    EXPECT_TRUE(request->ParseFromString(c.request_bytes));
    return transport_->Call(c.api, *request, response, CallOptions{});
  }

  static std::string Golden(const Case& c) {
    std::ifstream in(mnist_->folder / (c.id + ".response.pb"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static CaseSet* mnist_;
  static InprocTransport* transport_;
};

CaseSet* InprocTest::mnist_ = nullptr;
InprocTransport* InprocTest::transport_ = nullptr;

TEST_F(InprocTest, EveryMnistCaseMatchesItsGoldenOutcome) {
  int responses = 0, errors = 0;
  for (const Case& c : mnist_->cases) {
    if (!c.AppliesTo("inproc")) continue;
    SCOPED_TRACE(c.id);
    const auto response = NewResponse(c.api);
    const Status status = Run(c, response.get());
    if (c.expected_error) {
      EXPECT_EQ(CodeName(status.code()), *c.expected_error) << status.message();
      ++errors;
      continue;
    }
    ASSERT_TRUE(status.ok()) << status.ToString();
    const auto golden = NewResponse(c.api);
    ASSERT_TRUE(golden->ParseFromString(Golden(c)));
    if (c.api == Api::kMetadata) {
      // Any packs bytes; compare what they hold.
      auto& got = static_cast<tfs::GetModelMetadataResponse&>(*response);
      auto& want = static_cast<tfs::GetModelMetadataResponse&>(*golden);
      tfs::SignatureDefMap got_map, want_map;
      ASSERT_TRUE(got.metadata().at("signature_def").UnpackTo(&got_map));
      ASSERT_TRUE(want.metadata().at("signature_def").UnpackTo(&want_map));
      EXPECT_TRUE(MessageDifferencer::Equals(got_map, want_map));
      EXPECT_TRUE(MessageDifferencer::Equals(got.model_spec(), want.model_spec()));
    } else {
      // Exact float equality field by field: bit-identical for non-NaN values.
      EXPECT_TRUE(MessageDifferencer::Equals(*response, *golden))
          << response->ShortDebugString().substr(0, 300);
    }
    ++responses;
  }
  EXPECT_GE(responses, 20);
  EXPECT_GE(errors, 10);
}

TEST_F(InprocTest, ValidationCodesFollowPredictUtil) {
  tfs::PredictRequest request;
  request.mutable_model_spec()->set_name("mnist");
  tfs::PredictResponse response;
  auto call = [&] { return transport_->Call(Api::kPredict, request, &response, CallOptions{}); };

  request.mutable_model_spec()->set_signature_name("nope");
  EXPECT_EQ(call().code(), Code::kFailedPrecondition);
  EXPECT_EQ(call().message(), "Serving signature key \"nope\" not found.");
  request.mutable_model_spec()->clear_signature_name();

  auto& image = (*request.mutable_inputs())["image"];
  image.set_dtype(tensorflow::DT_FLOAT);
  for (int d : {1, 28, 28}) image.mutable_tensor_shape()->add_dim()->set_size(d);
  image.add_float_val(0.5f);  // padded to 784 values
  ASSERT_TRUE(call().ok()) << call().ToString();
  EXPECT_EQ(response.outputs().at("output_0").float_val_size(), 10);
  EXPECT_EQ(response.model_spec().signature_name(), "serving_default");

  request.add_output_filter("output_0");
  request.add_output_filter("output_0");
  EXPECT_EQ(call().code(), Code::kInvalidArgument);  // duplicate alias
  request.clear_output_filter();

  image.set_tensor_content(std::string(5, '\0'));  // does not parse
  EXPECT_EQ(call().code(), Code::kInvalidArgument);
  image.clear_tensor_content();

  image.set_dtype(tensorflow::DT_DOUBLE);
  EXPECT_EQ(call().code(), Code::kInvalidArgument);
  image.set_dtype(tensorflow::DT_STRING);
  image.add_string_val(std::string(100, '\xff'));  // heap TF_TString never reaches TF
  EXPECT_EQ(call().code(), Code::kInvalidArgument);

  tfs::GetModelMetadataRequest metadata;
  metadata.mutable_model_spec()->set_name("mnist");
  tfs::GetModelMetadataResponse metadata_response;
  EXPECT_EQ(transport_->Call(Api::kMetadata, metadata, &metadata_response, CallOptions{}).code(),
            Code::kInvalidArgument);  // no metadata_field
  EXPECT_EQ(transport_->Call(Api::kClassify, metadata, &metadata_response, CallOptions{}).code(),
            Code::kUnimplemented);
}

TEST_F(InprocTest, KerasSaveExportFailsAtRunWithFailedPrecondition) {
  const fs::path seed = testing::RepoPath("build/cases/mnist_seed");
  if (!fs::exists(seed / "manifest.json")) GTEST_SKIP() << "no mnist_seed case set";
  const CaseSet set = ReadCaseSet(seed);
  const Case* c = set.Find("v1-test-0000");
  ASSERT_NE(c, nullptr);
  tfs::PredictResponse response;
  const Status status = Run(*c, &response);
  EXPECT_EQ(status.code(), Code::kFailedPrecondition);
  EXPECT_NE(status.message().find("Could not find variable"), std::string::npos);
}

TEST_F(InprocTest, AFailedLoadKeepsTheLoadersCodeAndIsRemembered) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "broken" / "1" / "saved_model.pb", "not a SavedModel");
  testing::WriteFile(dir.path() / "models.config",
                     "model_config_list { config { name: 'broken' base_path: 'broken' } }");
  InprocTransport transport(dir.path() / "models.config", DefaultTfDir());
  tfs::ModelSpec spec;
  spec.set_name("broken");
  const auto first = transport.ServableFor(spec);
  ASSERT_FALSE(first.ok());
  const auto second = transport.ServableFor(spec);
  EXPECT_EQ(second.status().code(), first.status().code());
  EXPECT_EQ(second.status().message(), first.status().message());
}

// TF Serving's testdata layout: build/models/mnist/1 copied as 00000001, next
// to an empty folder 2 (a version to TF Serving, which leaves it to the loader).
TEST_F(InprocTest, AZeroPaddedVersionFolderServesItsNumber) {
  testing::TempDir dir;
  const fs::path base = dir.path() / "saved_model_mnist";
  fs::create_directories(base / "2");
  fs::copy(testing::RepoPath("build/models/mnist/1"), base / "00000001",
           fs::copy_options::recursive);
  testing::WriteFile(dir.path() / "models.config",
                     "model_config_list { config { name: 'mnist' base_path: '" + base.string() +
                         "' model_platform: 'tensorflow' model_version_policy { all {} } } }");
  InprocTransport padded(dir.path() / "models.config", DefaultTfDir());

  const Case* c = mnist_->Find("v1-test-0000");
  ASSERT_NE(c, nullptr);
  tfs::PredictRequest request;
  ASSERT_TRUE(request.ParseFromString(c->request_bytes));
  ASSERT_EQ(request.model_spec().version().value(), 1);
  tfs::PredictResponse response, golden;
  const Status status = padded.Call(Api::kPredict, request, &response, CallOptions{});
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(golden.ParseFromString(Golden(*c)));
  EXPECT_EQ(response.model_spec().version().value(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(response.model_spec(), golden.model_spec()));
  ASSERT_EQ(response.outputs_size(), golden.outputs_size());
  for (const auto& [alias, want] : golden.outputs()) {
    ASSERT_EQ(response.outputs().count(alias), 1u) << alias;
    // TensorProto has no maps: equal serializations are equal bits (-0.0 included).
    EXPECT_EQ(response.outputs().at(alias).SerializeAsString(), want.SerializeAsString()) << alias;
  }

  // Version 2 is listed, so its load fails with the loader's error rather
  // than resolution's NOT_FOUND "Servable not found".
  request.mutable_model_spec()->mutable_version()->set_value(2);
  const Status v2 = padded.Call(Api::kPredict, request, &response, CallOptions{});
  EXPECT_FALSE(v2.ok());
  EXPECT_NE(v2.message().find("loading " + (base / "2").string()), std::string::npos)
      << v2.ToString();
}

TEST_F(InprocTest, RuntimeNamesTheTensorFlowBuild) {
  const nlohmann::json runtime = transport_->Runtime();
  const std::string version = runtime.at("tensorflow");
  EXPECT_EQ(runtime.at("tensorflow_build"), "pip:tensorflow==" + version);
  if (mnist_->producer.count("tensorflow_build")) {
    EXPECT_EQ(runtime.at("tensorflow_build"), mnist_->producer.at("tensorflow_build"));
  }
}

TEST_F(InprocTest, GrpcAndTensorFlowShareTheProcess) {
  // TF is loaded (RTLD_LOCAL|RTLD_DEEPBIND) and has run; Debian's protobuf
  // and gRPC must still work beside it, in both directions.
  tfs::PredictRequest request;
  request.mutable_model_spec()->set_name("mnist");
  tfs::PredictRequest copy;
  ASSERT_TRUE(copy.ParseFromString(request.SerializeAsString()));
  EXPECT_EQ(copy.model_spec().name(), "mnist");
  const auto grpc = MakeGrpcTransport("127.0.0.1:1", std::chrono::milliseconds(2000));
  tfs::PredictResponse response;
  EXPECT_EQ(grpc->Call(Api::kPredict, request, &response, CallOptions{}).code(),
            Code::kUnavailable);
  const Case* c = mnist_->Find("v1-test-0000");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Run(*c, &response).ok());
}

// A caller's reused response and input tensors give the bytes (or the error)
// of a fresh response from Transport::Call, case after case: every case of
// every set with a model that runs here, forwards then backwards, so each
// case follows others of other signatures, shapes, dtypes and output filters.
TEST_F(InprocTest, ACallersReusedResponseGivesTheBytesOfAFreshOne) {
  int compared = 0, answered = 0;
  for (const char* name : {"mnist", "multi_io", "text", "half_plus_two", "examples"}) {
    const fs::path folder = testing::RepoPath("build/cases") / name;
    if (!fs::exists(folder / "manifest.json")) continue;
    const CaseSet set = ReadCaseSet(folder);
    InprocTransport transport(set.config_path, DefaultTfDir(), set.op_libraries);
    const std::unique_ptr<Caller> caller = transport.NewCaller();
    std::map<Api, std::unique_ptr<google::protobuf::Message>> reused;
    std::vector<const Case*> order;
    for (const Case& c : set.cases) {
      if (c.AppliesTo("inproc")) order.push_back(&c);
    }
    order.insert(order.end(), order.rbegin(), order.rend());
    for (const Case* c : order) {
      const auto request = NewRequest(c->api);
      ASSERT_TRUE(request->ParseFromString(c->request_bytes)) << c->id;
      auto& response = reused[c->api];
      if (response == nullptr) response = NewResponse(c->api);
      const auto fresh = NewResponse(c->api);
      const Status want = transport.Call(c->api, *request, fresh.get(), CallOptions{});
      const Status got = caller->Call(c->api, *request, response.get(), CallOptions{});
      ASSERT_EQ(got.code(), want.code()) << name << "/" << c->id << ": " << got.ToString();
      if (!want.ok()) {
        EXPECT_EQ(got.message(), want.message()) << name << "/" << c->id;
        ++compared;
        continue;
      }
      EXPECT_EQ(SerializeDeterministic(*response), SerializeDeterministic(*fresh))
          << name << "/" << c->id;
      ++compared;
      ++answered;
    }
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(answered, 80);
}

TEST_F(InprocTest, BenchReportsTheBareSessionRunReference) {
  BenchConfig config;
  config.transport.mode = "inproc";
  config.case_id = "v1-test-0000";
  config.requests = 20;
  config.concurrency = 2;
  config.warmup = 2;
  const nlohmann::json out = RunBench(config, *mnist_);
  EXPECT_EQ(out["client"], "cpp");
  EXPECT_EQ(out["errors"], 0);
  EXPECT_EQ(out["batch"], 1);
  EXPECT_GT(out["p50_us"].get<double>(), 0);
  ASSERT_TRUE(out["reference"].contains("p50_us")) << out.dump();
  EXPECT_TRUE(out.contains("overhead_ratio_mean"));
  EXPECT_FALSE(out.contains("failures"));
}

TEST_F(InprocTest, BenchNamesWhatItsFailedRequestsMet) {
  BenchConfig config;
  config.transport.mode = "grpc";
  config.transport.target = "127.0.0.1:1";  // nothing listens there
  config.transport.deadline = std::chrono::milliseconds(2000);
  config.case_id = "v1-test-0000";
  config.requests = 5;
  config.concurrency = 2;
  config.warmup = 1;
  const nlohmann::json out = RunBench(config, *mnist_);
  EXPECT_EQ(out["errors"], 5);
  ASSERT_TRUE(out.contains("failures")) << out.dump();
  ASSERT_EQ(out["failures"].size(), 1u) << out.dump();
  EXPECT_EQ(out["failures"].begin().key().rfind("UNAVAILABLE: ", 0), 0u) << out.dump();
  EXPECT_EQ(out["failures"].begin().value(), 5);
  EXPECT_FALSE(out.contains("overhead_ratio_p50")) << "no ratio over failed requests";
}

}  // namespace
}  // namespace tfinterop
