// Each transport's API table (what `info` prints) against what its Call does:
// a listed API reaches the (unreachable) server, an unlisted one is refused
// UNIMPLEMENTED without a call. In-process is checked in info_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "grpc_transport.h"
#include "rest_transport.h"
#include "runner.h"
#include "v2_grpc_transport.h"
#include "v2_rest_transport.h"

namespace tfinterop {
namespace {

constexpr Api kAllApis[] = {Api::kPredict, Api::kClassify, Api::kRegress, Api::kMultiInference,
                            Api::kMetadata};

void ExpectCallMatchesTable(Transport& transport, const std::vector<Api>& table) {
  for (const Api api : kAllApis) {
    // The Open Inference Protocol has messages for predict only: the TF
    // Serving ones stand in for the others, which must be refused unsent.
    auto request = NewRequest(api, transport.protocol());
    auto response = NewResponse(api, transport.protocol());
    if (request == nullptr) {
      request = NewRequest(api);
      response = NewResponse(api);
    }
    const Status st = transport.Call(api, *request, response.get(), CallOptions{});
    const bool listed = std::find(table.begin(), table.end(), api) != table.end();
    if (listed) {
      EXPECT_EQ(st.code(), Code::kUnavailable) << transport.mode() << " " << ApiName(api);
    } else {
      EXPECT_EQ(st.code(), Code::kUnimplemented) << transport.mode() << " " << ApiName(api);
    }
  }
}

TEST(TransportApisTest, GrpcSendsEveryListedApi) {
  const auto transport = MakeGrpcTransport("127.0.0.1:1", std::chrono::milliseconds(2000));
  ExpectCallMatchesTable(*transport, GrpcApis());
  EXPECT_EQ(GrpcApis().size(), 5u);
}

TEST(TransportApisTest, RestSendsEveryListedApiAndRefusesMultiInference) {
  const auto transport = MakeRestTransport("http://127.0.0.1:1", std::chrono::milliseconds(2000));
  ExpectCallMatchesTable(*transport, RestApis());
  EXPECT_EQ(std::count(RestApis().begin(), RestApis().end(), Api::kMultiInference), 0);
}

TEST(TransportApisTest, V2ModesSendPredictOnly) {
  const auto grpc = MakeV2GrpcTransport("127.0.0.1:1", std::chrono::milliseconds(2000));
  ExpectCallMatchesTable(*grpc, V2GrpcApis());
  const auto rest = MakeV2RestTransport("http://127.0.0.1:1", std::chrono::milliseconds(2000));
  ExpectCallMatchesTable(*rest, V2RestApis());
  EXPECT_EQ(V2GrpcApis(), std::vector<Api>{Api::kPredict});
  EXPECT_EQ(V2RestApis(), std::vector<Api>{Api::kPredict});
  EXPECT_EQ(NewRequest(Api::kMetadata, Protocol::kOpenInference), nullptr);
  EXPECT_EQ(NewRequest(Api::kPredict, Protocol::kOpenInference)->GetTypeName(),
            "inference.ModelInferRequest");
  EXPECT_EQ(NewResponse(Api::kPredict, Protocol::kOpenInference)->GetTypeName(),
            "inference.ModelInferResponse");
}

TEST(TransportApisTest, ModesAreTheContractsAndEachHasItsTable) {
  EXPECT_EQ(Modes(), (std::vector<std::string>{"inproc", "grpc", "rest", "v2grpc", "v2rest"}));
  EXPECT_EQ(&ApisOf("grpc"), &GrpcApis());
  EXPECT_EQ(&ApisOf("rest"), &RestApis());
  EXPECT_EQ(&ApisOf("v2grpc"), &V2GrpcApis());
  EXPECT_EQ(&ApisOf("v2rest"), &V2RestApis());
  EXPECT_THROW(ApisOf("carrier-pigeon"), UsageError);
}

}  // namespace
}  // namespace tfinterop
