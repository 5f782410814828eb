// The v2 transports against local fakes: v2rest against a canned HTTP server
// (URL, body, answer, the HTTP status table, deadline, no server at all),
// v2grpc against an in-process inference.GRPCInferenceService (request and
// response unchanged, status codes unchanged, deadline), and a v2 run's
// result files.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fake_http_server.h"
#include "grpc_service.grpc.pb.h"
#include "runner.h"
#include "test_util.h"
#include "v2_grpc_transport.h"
#include "v2_json.h"
#include "v2_rest_transport.h"

namespace tfinterop {
namespace {

using testing::Fill;

namespace fs = std::filesystem;
using inference::ModelInferRequest;
using inference::ModelInferResponse;
using nlohmann::json;
using testing::FakeHttpServer;

constexpr std::chrono::milliseconds kDeadline{5000};

ModelInferRequest MnistLikeRequest(const std::string& version) {
  ModelInferRequest r;
  r.set_model_name("mnist");
  r.set_model_version(version);
  auto* input = r.add_inputs();
  input->set_name("image");
  input->set_datatype("FP32");
  input->add_shape(1);
  input->add_shape(2);
  Fill(input->mutable_contents()->mutable_fp32_contents(), {0.5f, 0.25f});
  return r;
}

constexpr char kAnswer[] =
    R"({"model_name":"mnist","model_version":"2","outputs":)"
    R"([{"name":"output_0","datatype":"FP32","shape":[1,2],"data":[0.75,-1.0]}]})";

TEST(V2RestTransportTest, PostsTheBodyToTheInferUrlAndReadsTheAnswer) {
  FakeHttpServer server;
  server.Push({200, kAnswer});
  server.Push({200, kAnswer});
  const auto transport = MakeV2RestTransport(server.url() + "/", kDeadline);
  EXPECT_STREQ(transport->mode(), "v2rest");
  EXPECT_EQ(transport->protocol(), Protocol::kOpenInference);
  ModelInferResponse response;
  const ModelInferRequest request = MnistLikeRequest("2");
  ASSERT_TRUE(transport->Call(Api::kPredict, request, &response, {}).ok());
  ASSERT_TRUE(transport->Call(Api::kPredict, MnistLikeRequest(""), &response, {}).ok());
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v2/models/mnist/versions/2/infer");
  EXPECT_EQ(seen[0].body, InferRequestJson(request).value());
  EXPECT_EQ(seen[1].path, "/v2/models/mnist/infer") << "no version: the policy's choice";
  EXPECT_EQ(response.model_name(), "mnist");
  EXPECT_EQ(response.model_version(), "2");
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).contents().fp32_contents(0), 0.75f);
  EXPECT_EQ(response.outputs(0).contents().fp32_contents(1), -1.0f);
}

TEST(V2RestTransportTest, UrlSegmentsArePercentEncoded) {
  EXPECT_EQ(V2InferUrl("http://h:1//", "a b/c", ""), "http://h:1/v2/models/a%20b%2Fc/infer");
  EXPECT_EQ(V2InferUrl("http://h:1", "m", "1 "), "http://h:1/v2/models/m/versions/1%20/infer");
}

TEST(V2RestTransportTest, HttpErrorsMapBackAsForRestWithTheStatusRecorded) {
  const std::pair<int, Code> table[] = {
      {400, Code::kInvalidArgument},  {401, Code::kUnauthenticated},
      {403, Code::kPermissionDenied}, {404, Code::kNotFound},
      {409, Code::kAborted},          {429, Code::kResourceExhausted},
      {499, Code::kCancelled},        {500, Code::kInternal},
      {501, Code::kUnimplemented},    {503, Code::kUnavailable},
      {504, Code::kDeadlineExceeded}, {418, Code::kUnknown}};
  FakeHttpServer server;
  for (const auto& [http, code] : table) {
    server.Push({http, R"({"error": "Request for unknown model: 'nope' is not found"})"});
  }
  server.Push({400, "not json at all"});
  const auto transport = MakeV2RestTransport(server.url(), kDeadline);
  for (const auto& [http, code] : table) {
    ModelInferResponse response;
    const Status st = transport->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
    EXPECT_EQ(st.code(), code) << http;
    EXPECT_EQ(st.http_status(), http);
    EXPECT_EQ(st.message(), "Request for unknown model: 'nope' is not found");
  }
  ModelInferResponse response;
  const Status st = transport->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "not json at all") << "a body that is not {\"error\"} is the message";
}

TEST(V2RestTransportTest, AnAnswerThatIsNotTheProtocolsIsInternalWithoutHttpStatus) {
  FakeHttpServer server;
  server.Push({200, R"({"predictions": [1]})"});
  const auto transport = MakeV2RestTransport(server.url(), kDeadline);
  ModelInferResponse response;
  const Status st = transport->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_FALSE(st.http_status().has_value());
}

TEST(V2RestTransportTest, ARequestWithoutAJsonFormIsRefusedBeforeAnyExchange) {
  FakeHttpServer server;
  const auto transport = MakeV2RestTransport(server.url(), kDeadline);
  ModelInferRequest request = MnistLikeRequest("");
  request.mutable_inputs(0)->set_datatype("BYTES");
  request.mutable_inputs(0)->mutable_contents()->Clear();
  request.mutable_inputs(0)->mutable_contents()->add_bytes_contents("\xff");
  ModelInferResponse response;
  EXPECT_EQ(transport->Call(Api::kPredict, request, &response, {}).code(), Code::kUnimplemented);
  EXPECT_TRUE(server.requests().empty());
}

TEST(V2RestTransportTest, DeadlineAndNoServerAreDeadlineExceededAndUnavailable) {
  FakeHttpServer server;
  server.Push({200, kAnswer, std::chrono::milliseconds(1000)});
  ModelInferResponse response;
  const Status late = MakeV2RestTransport(server.url(), std::chrono::milliseconds(200))
                          ->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
  EXPECT_EQ(late.code(), Code::kDeadlineExceeded) << late.ToString();
  const Status none = MakeV2RestTransport("http://127.0.0.1:1", kDeadline)
                          ->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
  EXPECT_EQ(none.code(), Code::kUnavailable);
  EXPECT_FALSE(none.http_status().has_value());
}

// ---- v2grpc

class FakeInference final : public inference::GRPCInferenceService::Service {
 public:
  grpc::Status ModelInfer(grpc::ServerContext*, const ModelInferRequest* request,
                          ModelInferResponse* response) override {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(*request);
    std::this_thread::sleep_for(delay);
    if (!answer.ok()) return answer;
    *response = reply;
    return grpc::Status::OK;
  }

  std::mutex mu;
  std::vector<ModelInferRequest> seen;
  grpc::Status answer = grpc::Status::OK;
  ModelInferResponse reply;
  std::chrono::milliseconds delay{0};
};

class V2GrpcTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  FakeInference service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(V2GrpcTransportTest, SendsTheRequestAndKeepsTheAnswerUnchanged) {
  service_.reply.set_model_name("mnist");
  service_.reply.set_model_version("2");
  auto* out = service_.reply.add_outputs();
  out->set_name("h");
  out->set_datatype("FP16");
  out->add_shape(1);
  service_.reply.add_raw_output_contents(std::string("\x00\x3c", 2));
  const auto transport = MakeV2GrpcTransport(target(), kDeadline);
  EXPECT_STREQ(transport->mode(), "v2grpc");
  EXPECT_EQ(transport->protocol(), Protocol::kOpenInference);
  ModelInferRequest request = MnistLikeRequest("2");
  (*request.mutable_parameters())["signature_name"].set_string_param("serving_default");
  ModelInferResponse response;
  ASSERT_TRUE(transport->Call(Api::kPredict, request, &response, {}).ok());
  ASSERT_EQ(service_.seen.size(), 1u);
  EXPECT_EQ(service_.seen[0].SerializeAsString(), request.SerializeAsString());
  EXPECT_EQ(response.SerializeAsString(), service_.reply.SerializeAsString());
}

TEST_F(V2GrpcTransportTest, TheServersStatusCodeIsRecordedUnchanged) {
  const auto transport = MakeV2GrpcTransport(target(), kDeadline);
  for (const grpc::StatusCode code :
       {grpc::NOT_FOUND, grpc::INVALID_ARGUMENT, grpc::FAILED_PRECONDITION, grpc::UNIMPLEMENTED,
        grpc::INTERNAL, grpc::OUT_OF_RANGE, grpc::RESOURCE_EXHAUSTED}) {
    service_.answer = grpc::Status(code, "Serving signature key \"x\" not found.");
    ModelInferResponse response;
    const Status st = transport->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
    EXPECT_EQ(static_cast<int>(st.code()), static_cast<int>(code));
    EXPECT_EQ(st.message(), "Serving signature key \"x\" not found.");
    EXPECT_FALSE(st.http_status().has_value());
  }
}

TEST_F(V2GrpcTransportTest, DeadlineAndNoServerAreDeadlineExceededAndUnavailable) {
  service_.delay = std::chrono::milliseconds(800);
  ModelInferResponse response;
  const Status late = MakeV2GrpcTransport(target(), std::chrono::milliseconds(100))
                          ->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
  EXPECT_EQ(late.code(), Code::kDeadlineExceeded);
  const Status none = MakeV2GrpcTransport("127.0.0.1:1", std::chrono::milliseconds(2000))
                          ->Call(Api::kPredict, MnistLikeRequest(""), &response, {});
  EXPECT_EQ(none.code(), Code::kUnavailable);
}

// ---- a v2 run

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(V2GrpcTransportTest, ARunSendsTheV2FormAndWritesTheModelInferResponse) {
  testing::TempDir dir;
  const std::string v1 = "not a ModelInferRequest: never sent in v2 modes";
  const std::string v2 = MnistLikeRequest("2").SerializeAsString();
  auto write = [&](const std::string& name, const std::string& data) {
    testing::WriteFile(dir.path() / name, data);
    return Sha256Hex(data);
  };
  const std::string v1_sha = write("p.request.pb", v1);
  const std::string v2_sha = write("p.v2.request.pb", v2);
  const json all = {"grpc", "v2grpc", "v2rest"};
  const json manifest = {{"format", 1},
                         {"model", {{"name", "mnist"}, {"config", "models.config"}}},
                         {"cases",
                          {{{"id", "with-v2"},
                            {"api", "predict"},
                            {"transports", all},
                            {"request", "p.request.pb"},
                            {"error", "NOT_FOUND"},
                            {"v2", {{"request", "p.v2.request.pb"}, {"error", "NOT_FOUND"}}},
                            {"sha256", {{"p.request.pb", v1_sha}, {"p.v2.request.pb", v2_sha}}}},
                           {{"id", "without-v2"},
                            {"api", "predict"},
                            {"transports", all},
                            {"request", "p.request.pb"},
                            {"error", "NOT_FOUND"},
                            {"sha256", {{"p.request.pb", v1_sha}}}},
                           {{"id", "not-v2grpc"},
                            {"api", "metadata"},
                            {"transports", {"grpc"}},
                            {"request", "p.request.pb"},
                            {"error", "NOT_FOUND"},
                            {"sha256", {{"p.request.pb", v1_sha}}}}}}};
  testing::WriteFile(dir.path() / "manifest.json", manifest.dump());
  service_.reply.set_model_name("mnist");
  const auto transport = MakeV2GrpcTransport(target(), kDeadline);
  const fs::path folder = RunCaseSet(*transport, ReadCaseSet(dir.path()), dir.path() / "out");
  EXPECT_EQ(folder, dir.path() / "out/cpp/v2grpc/mnist");
  ASSERT_EQ(service_.seen.size(), 1u);
  EXPECT_EQ(service_.seen[0].SerializeAsString(), v2);
  ModelInferResponse got;
  ASSERT_TRUE(got.ParseFromString(Slurp(folder / "with-v2.response.pb")));
  EXPECT_EQ(got.model_name(), "mnist");
  EXPECT_EQ(json::parse(Slurp(folder / "without-v2.skipped.json"))["reason"],
            "case has no v2 (Open Inference Protocol) form for v2grpc");
  EXPECT_EQ(json::parse(Slurp(folder / "not-v2grpc.skipped.json"))["reason"],
            "case does not apply to v2grpc");
  const json run = json::parse(Slurp(folder / "run.json"));
  EXPECT_EQ(run["mode"], "v2grpc");
  EXPECT_EQ(run["cases"]["with-v2"]["status"], "ok");
  EXPECT_EQ(run["cases"]["without-v2"]["status"], "skipped");
}

}  // namespace
}  // namespace tfinterop
