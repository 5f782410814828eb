// Each transport's API table (what `info` prints) against what its Call does:
// a listed API reaches the (unreachable) server, an unlisted one is refused
// UNIMPLEMENTED without a call. In-process is checked in info_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "grpc_transport.h"
#include "rest_transport.h"
#include "runner.h"

namespace tfinterop {
namespace {

constexpr Api kAllApis[] = {Api::kPredict, Api::kClassify, Api::kRegress, Api::kMultiInference,
                            Api::kMetadata};

void ExpectCallMatchesTable(Transport& transport, const std::vector<Api>& table) {
  for (const Api api : kAllApis) {
    const auto request = NewRequest(api);
    const auto response = NewResponse(api);
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

TEST(TransportApisTest, ModesAreTheContractsAndEachHasItsTable) {
  EXPECT_EQ(Modes(), (std::vector<std::string>{"inproc", "grpc", "rest"}));
  EXPECT_EQ(&ApisOf("grpc"), &GrpcApis());
  EXPECT_EQ(&ApisOf("rest"), &RestApis());
  EXPECT_THROW(ApisOf("carrier-pigeon"), UsageError);
}

}  // namespace
}  // namespace tfinterop
