#include "status.h"

#include <gtest/gtest.h>

namespace tfinterop {
namespace {

TEST(CodeTest, NamesAreTheCanonicalOnes) {
  EXPECT_EQ(CodeName(Code::kOk), "OK");
  EXPECT_EQ(CodeName(Code::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_EQ(CodeName(Code::kFailedPrecondition), "FAILED_PRECONDITION");
  EXPECT_EQ(CodeName(Code::kUnauthenticated), "UNAUTHENTICATED");
}

TEST(CodeTest, TfAndGrpcNumbersMapOneToOne) {
  for (int i = 0; i <= 16; ++i) EXPECT_EQ(static_cast<int>(CodeFromInt(i)), i);
  EXPECT_EQ(CodeFromInt(17), Code::kUnknown);
  EXPECT_EQ(CodeFromInt(-1), Code::kUnknown);
}

TEST(HttpMappingTest, ServingCodesReachRestAsTfServingMapsThem) {
  EXPECT_EQ(HttpStatusForCode(Code::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusForCode(Code::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusForCode(Code::kOutOfRange), 400);
  EXPECT_EQ(HttpStatusForCode(Code::kNotFound), 404);
  EXPECT_EQ(HttpStatusForCode(Code::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusForCode(Code::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusForCode(Code::kUnavailable), 503);
  EXPECT_EQ(HttpStatusForCode(Code::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusForCode(Code::kInternal), 500);
  EXPECT_EQ(HttpStatusForCode(Code::kUnknown), 500);
}

TEST(HttpMappingTest, RestClientMapsStatusesBackPerContract) {
  const std::pair<int, Code> table[] = {
      {400, Code::kInvalidArgument},  {401, Code::kUnauthenticated},
      {403, Code::kPermissionDenied}, {404, Code::kNotFound},
      {409, Code::kAborted},          {429, Code::kResourceExhausted},
      {499, Code::kCancelled},        {500, Code::kInternal},
      {501, Code::kUnimplemented},    {503, Code::kUnavailable},
      {504, Code::kDeadlineExceeded}, {418, Code::kUnknown},
  };
  for (const auto& [http, code] : table) EXPECT_EQ(CodeForHttpStatus(http), code) << http;
}

TEST(HttpMappingTest, EveryUnambiguousCodeRoundTripsThroughHttp) {
  for (Code c : {Code::kInvalidArgument, Code::kNotFound, Code::kUnimplemented, Code::kUnavailable,
                 Code::kDeadlineExceeded, Code::kResourceExhausted, Code::kPermissionDenied,
                 Code::kUnauthenticated, Code::kInternal, Code::kCancelled, Code::kAborted}) {
    EXPECT_EQ(CodeForHttpStatus(HttpStatusForCode(c)), c) << CodeName(c);
  }
}

TEST(StatusTest, StatusOrCarriesValueOrError) {
  StatusOr<int> v(7);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value(), 7);
  StatusOr<int> e(NotFound("nope"));
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kNotFound);
  StatusOr<int> bad{OkStatus()};
  EXPECT_EQ(bad.status().code(), Code::kInternal);
}

}  // namespace
}  // namespace tfinterop
