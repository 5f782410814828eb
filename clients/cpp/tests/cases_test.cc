#include "cases.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "status.h"
#include "test_util.h"

namespace tfinterop {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::WriteFile;

json OneCase(const std::string& request_sha) {
  return {{"format", 1},
          {"model", {{"name", "m"}, {"config", "models.config"}}},
          {"producer", {{"tensorflow", "2.21.0"}}},
          {"cases",
           {{{"id", "c1"},
             {"api", "predict"},
             {"transports", {"inproc", "grpc"}},
             {"request", "c1.request.pb"},
             {"error", "NOT_FOUND"},
             {"rest_format", "row"},
             {"sha256", {{"c1.request.pb", request_sha}}}}}}};
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CaseSetTest, ReadsAVerifiedManifest) {
  TempDir dir;
  WriteFile(dir.path() / "c1.request.pb", "req");
  WriteFile(dir.path() / "manifest.json", OneCase(Sha256Hex("req")).dump());
  const CaseSet set = ReadCaseSet(dir.path());
  EXPECT_EQ(set.model, "m");
  EXPECT_EQ(set.config_path, std::filesystem::weakly_canonical(dir.path() / "models.config"));
  EXPECT_EQ(set.producer.at("tensorflow"), "2.21.0");
  ASSERT_EQ(set.cases.size(), 1u);
  const Case& c = set.cases[0];
  EXPECT_EQ(c.request_bytes, "req");
  EXPECT_EQ(c.expected_error, "NOT_FOUND");
  EXPECT_EQ(c.rest_format, RestFormat::kRow);
  EXPECT_TRUE(c.AppliesTo("grpc"));
  EXPECT_FALSE(c.AppliesTo("rest"));
  EXPECT_EQ(set.Find("c1"), &set.cases[0]);
  EXPECT_EQ(set.Find("c2"), nullptr);
}

TEST(CaseSetTest, FieldsItDoesNotKnowAreIgnored) {
  TempDir dir;
  WriteFile(dir.path() / "c1.request.pb", "req");
  json manifest = OneCase(Sha256Hex("req"));
  manifest["generated_by"] = "a newer exporter";
  // TF Serving's answer on one transport when it differs from the others.
  manifest["cases"][0]["transport_errors"] = {{"grpc", "UNIMPLEMENTED"}};
  manifest["cases"][0]["future_field"] = {{"nested", {1, 2}}};
  WriteFile(dir.path() / "manifest.json", manifest.dump());
  const CaseSet set = ReadCaseSet(dir.path());
  ASSERT_EQ(set.cases.size(), 1u);
  EXPECT_EQ(set.cases[0].expected_error, "NOT_FOUND");
  EXPECT_TRUE(set.cases[0].AppliesTo("grpc"));
}

TEST(CaseSetTest, OpLibrariesResolveAgainstTheCaseFolder) {
  TempDir dir;
  WriteFile(dir.path() / "c1.request.pb", "req");
  json manifest = OneCase(Sha256Hex("req"));
  WriteFile(dir.path() / "manifest.json", manifest.dump());
  EXPECT_TRUE(ReadCaseSet(dir.path()).op_libraries.empty()) << "absent: none";
  manifest["model"]["op_libraries"] = {"../../ops/libtfi_ops.so", "/opt/ops/libx.so"};
  WriteFile(dir.path() / "manifest.json", manifest.dump());
  EXPECT_EQ(ReadCaseSet(dir.path()).op_libraries,
            (std::vector<std::filesystem::path>{
                (dir.path() / "../../ops/libtfi_ops.so").lexically_normal(), "/opt/ops/libx.so"}));
  for (const json& bad : {json("libtfi_ops.so"), json::array({1}), json::array({""})}) {
    manifest["model"]["op_libraries"] = bad;
    WriteFile(dir.path() / "manifest.json", manifest.dump());
    EXPECT_THROW(ReadCaseSet(dir.path()), ToolError) << bad;
  }
}

TEST(CaseSetTest, Sha256MismatchIsAToolError) {
  TempDir dir;
  WriteFile(dir.path() / "c1.request.pb", "tampered");
  WriteFile(dir.path() / "manifest.json", OneCase(Sha256Hex("req")).dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
}

TEST(CaseSetTest, MissingFilesAndMalformedManifestsAreToolErrors) {
  TempDir dir;
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);  // no manifest
  WriteFile(dir.path() / "manifest.json", OneCase(Sha256Hex("req")).dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);  // no request file
  WriteFile(dir.path() / "manifest.json", "{not json");
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
  json unknown_api = OneCase(Sha256Hex("req"));
  unknown_api["cases"][0]["api"] = "explain";
  WriteFile(dir.path() / "c1.request.pb", "req");
  WriteFile(dir.path() / "manifest.json", unknown_api.dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
  json no_sha = OneCase(Sha256Hex("req"));
  no_sha["cases"][0].erase("sha256");
  WriteFile(dir.path() / "manifest.json", no_sha.dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
  json wrong_format = OneCase(Sha256Hex("req"));
  wrong_format["format"] = 2;
  WriteFile(dir.path() / "manifest.json", wrong_format.dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
}

TEST(CaseSetTest, ATamperedResponseFileAlsoFailsTheSet) {
  TempDir dir;
  json manifest = OneCase(Sha256Hex("req"));
  manifest["cases"][0].erase("error");
  manifest["cases"][0]["response"] = "c1.response.pb";
  manifest["cases"][0]["sha256"]["c1.response.pb"] = Sha256Hex("resp");
  WriteFile(dir.path() / "c1.request.pb", "req");
  WriteFile(dir.path() / "c1.response.pb", "RESP");
  WriteFile(dir.path() / "manifest.json", manifest.dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
}

TEST(CaseSetTest, ExactlyOneOfResponseAndError) {
  TempDir dir;
  json both = OneCase(Sha256Hex("req"));
  both["cases"][0]["response"] = "c1.request.pb";
  WriteFile(dir.path() / "c1.request.pb", "req");
  WriteFile(dir.path() / "manifest.json", both.dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
}

// c1 with a v2 form (request and, optionally, response) over `transports`.
json WithV2(const json& transports, bool with_response) {
  json manifest = OneCase(Sha256Hex("req"));
  json& c = manifest["cases"][0];
  c["transports"] = transports;
  c["v2"] = {{"request", "c1.v2.request.pb"}, {"error", "NOT_FOUND"}};
  c["sha256"]["c1.v2.request.pb"] = Sha256Hex("v2req");
  if (with_response) {
    c["v2"].erase("error");
    c["v2"]["response"] = "c1.v2.response.pb";
    c["sha256"]["c1.v2.response.pb"] = Sha256Hex("v2resp");
  }
  return manifest;
}

TEST(CaseSetTest, AV2FormIsReadVerifiedAndSentOnlyInV2Modes) {
  TempDir dir;
  WriteFile(dir.path() / "c1.request.pb", "req");
  WriteFile(dir.path() / "c1.v2.request.pb", "v2req");
  WriteFile(dir.path() / "c1.v2.response.pb", "v2resp");
  WriteFile(dir.path() / "manifest.json", WithV2({"grpc", "v2grpc"}, true).dump());
  const Case c = ReadCaseSet(dir.path()).cases[0];
  ASSERT_TRUE(c.v2.has_value());
  EXPECT_EQ(c.v2->request_bytes, "v2req");
  EXPECT_EQ(c.RequestBytes(Protocol::kTfServing), "req");
  EXPECT_EQ(c.RequestBytes(Protocol::kOpenInference), "v2req");
  EXPECT_TRUE(c.AppliesTo("v2grpc"));
  EXPECT_FALSE(c.AppliesTo("v2rest")) << "transports leave it out";
  EXPECT_EQ(ProtocolOfMode("v2grpc"), Protocol::kOpenInference);
  EXPECT_EQ(ProtocolOfMode("v2rest"), Protocol::kOpenInference);
  EXPECT_EQ(ProtocolOfMode("rest"), Protocol::kTfServing);

  WriteFile(dir.path() / "c1.v2.response.pb", "tampered");
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
  WriteFile(dir.path() / "manifest.json", WithV2({"grpc", "v2grpc"}, false).dump());
  EXPECT_TRUE(ReadCaseSet(dir.path()).cases[0].v2.has_value()) << "an error needs no response";
  WriteFile(dir.path() / "c1.v2.request.pb", "tampered");
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
  json no_request = WithV2({"v2grpc"}, false);
  no_request["cases"][0]["v2"].erase("request");
  WriteFile(dir.path() / "manifest.json", no_request.dump());
  EXPECT_THROW(ReadCaseSet(dir.path()), ToolError);
}

TEST(CaseSetTest, ACaseWithoutAV2FormNeverAppliesToAV2Mode) {
  TempDir dir;
  WriteFile(dir.path() / "c1.request.pb", "req");
  json manifest = OneCase(Sha256Hex("req"));
  manifest["cases"][0]["transports"] = {"grpc", "v2grpc", "v2rest"};
  WriteFile(dir.path() / "manifest.json", manifest.dump());
  const Case c = ReadCaseSet(dir.path()).cases[0];
  EXPECT_FALSE(c.v2.has_value());
  EXPECT_TRUE(c.AppliesTo("grpc"));
  EXPECT_FALSE(c.AppliesTo("v2grpc"));
  EXPECT_FALSE(c.AppliesTo("v2rest"));
  EXPECT_EQ(c.RequestBytes(Protocol::kOpenInference), "");
}

TEST(ApiTest, NamesRoundTrip) {
  for (Api api :
       {Api::kPredict, Api::kClassify, Api::kRegress, Api::kMultiInference, Api::kMetadata}) {
    EXPECT_EQ(ApiFromName(ApiName(api)), api);
  }
  EXPECT_FALSE(ApiFromName("explain").has_value());
}

}  // namespace
}  // namespace tfinterop
