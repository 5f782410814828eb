// The Open Inference Protocol's REST JSON both ways (v2_json.h): every
// datatype, typed and raw contents, numbers exact, and the refusals.
#include "v2_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "rest_json.h"
#include "test_util.h"

namespace tfinterop {
namespace {

using testing::Fill;

using inference::ModelInferRequest;
using inference::ModelInferResponse;

ModelInferRequest::InferInputTensor* AddInput(ModelInferRequest* r, const std::string& name,
                                              const std::string& datatype,
                                              std::vector<int64_t> shape) {
  auto* input = r->add_inputs();
  input->set_name(name);
  input->set_datatype(datatype);
  for (const int64_t d : shape) input->add_shape(d);
  return input;
}

std::string Body(const ModelInferRequest& request) {
  const auto body = InferRequestJson(request);
  EXPECT_TRUE(body.ok()) << body.status().ToString();
  return body.ok() ? body.value() : "";
}

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::string LengthPrefixed(const std::vector<std::string>& elements) {
  std::string out;
  for (const std::string& e : elements) {
    const uint32_t n = static_cast<uint32_t>(e.size());
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
    out += e;
  }
  return out;
}

// The values of inputs[index].data, as parsed doubles (NaN/Infinity included).
std::vector<double> DataAsDoubles(const std::string& body, size_t index) {
  const auto parsed = ParseJson(body);
  EXPECT_TRUE(parsed.ok());
  std::vector<double> out;
  for (const JsonValue& v : parsed->Find("inputs")->items[index].Find("data")->items) {
    out.push_back(std::strtod(v.text.c_str(), nullptr));
  }
  return out;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

TEST(V2JsonRequestTest, EveryTypedDatatypeIsWrittenFromItsOwnField) {
  ModelInferRequest r;
  r.set_model_name("m");  // in the URL, not the body
  Fill(AddInput(&r, "b", "BOOL", {2})->mutable_contents()->mutable_bool_contents(), {true, false});
  Fill(AddInput(&r, "i8", "INT8", {2})->mutable_contents()->mutable_int_contents(), {-128, 127});
  AddInput(&r, "i16", "INT16", {1})->mutable_contents()->add_int_contents(-32768);
  AddInput(&r, "i32", "INT32", {1})->mutable_contents()->add_int_contents(-2147483647 - 1);
  Fill(AddInput(&r, "i64", "INT64", {3})->mutable_contents()->mutable_int64_contents(),
       {int64_t{9007199254740993}, std::numeric_limits<int64_t>::min(),
        std::numeric_limits<int64_t>::max()});
  AddInput(&r, "u8", "UINT8", {1})->mutable_contents()->add_uint_contents(255);
  AddInput(&r, "u16", "UINT16", {1})->mutable_contents()->add_uint_contents(65535);
  AddInput(&r, "u32", "UINT32", {1})->mutable_contents()->add_uint_contents(4294967295u);
  AddInput(&r, "u64", "UINT64", {1})
      ->mutable_contents()
      ->add_uint64_contents(std::numeric_limits<uint64_t>::max());
  Fill(AddInput(&r, "f32", "FP32", {2, 2})->mutable_contents()->mutable_fp32_contents(),
       {0.1f, 1.0f, -0.0f, 3.0e38f});
  AddInput(&r, "f64", "FP64", {1})->mutable_contents()->add_fp64_contents(0.1);
  AddInput(&r, "s", "BYTES", {2})->mutable_contents()->mutable_bytes_contents()->Add("h\xc3\xa9");
  r.mutable_inputs(r.inputs_size() - 1)->mutable_contents()->add_bytes_contents("");
  EXPECT_EQ(
      Body(r),
      R"({"inputs":[)"
      R"({"name":"b","shape":[2],"datatype":"BOOL","data":[true,false]},)"
      R"({"name":"i8","shape":[2],"datatype":"INT8","data":[-128,127]},)"
      R"({"name":"i16","shape":[1],"datatype":"INT16","data":[-32768]},)"
      R"({"name":"i32","shape":[1],"datatype":"INT32","data":[-2147483648]},)"
      R"({"name":"i64","shape":[3],"datatype":"INT64","data":)"
      R"([9007199254740993,-9223372036854775808,9223372036854775807]},)"
      R"({"name":"u8","shape":[1],"datatype":"UINT8","data":[255]},)"
      R"({"name":"u16","shape":[1],"datatype":"UINT16","data":[65535]},)"
      R"({"name":"u32","shape":[1],"datatype":"UINT32","data":[4294967295]},)"
      R"({"name":"u64","shape":[1],"datatype":"UINT64","data":[18446744073709551615]},)"
      R"({"name":"f32","shape":[2,2],"datatype":"FP32","data":)"
      R"([0.10000000149011612,1.0,-0.0,3.0000000054977558e+38]},)"
      R"({"name":"f64","shape":[1],"datatype":"FP64","data":[0.1]},)"
      "{\"name\":\"s\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"h\xc3\xa9\",\"\"]}]}");
}

TEST(V2JsonRequestTest, NanAndInfinityAreBareTokens) {
  ModelInferRequest r;
  Fill(AddInput(&r, "x", "FP32", {3})->mutable_contents()->mutable_fp32_contents(),
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
        -std::numeric_limits<float>::infinity()});
  EXPECT_EQ(Body(r), R"({"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":)"
                     R"([NaN,Infinity,-Infinity]}]})");
}

TEST(V2JsonRequestTest, FlatDataKeepsTheShapeBesideIt) {
  ModelInferRequest r;
  auto* input = AddInput(&r, "x", "INT32", {2, 3, 1});
  for (int i = 0; i < 6; ++i) input->mutable_contents()->add_int_contents(i);
  EXPECT_EQ(Body(r),
            R"({"inputs":[{"name":"x","shape":[2,3,1],"datatype":"INT32","data":[0,1,2,3,4,5]}]})");
}

TEST(V2JsonRequestTest, RawContentsAreDecodedForJsonFp16AndBf16AsNumbers) {
  ModelInferRequest r;
  AddInput(&r, "h", "FP16", {6});
  // 1.0, -2.0, +inf, NaN, the smallest subnormal (2^-24), 65504 (the largest half).
  r.add_raw_input_contents(Bytes<uint16_t>({0x3C00, 0xC000, 0x7C00, 0x7E00, 0x0001, 0x7BFF}));
  AddInput(&r, "bf", "BF16", {3});
  // 1.0, 3.140625, -0.0
  r.add_raw_input_contents(Bytes<uint16_t>({0x3F80, 0x4049, 0x8000}));
  AddInput(&r, "f", "FP32", {1});
  r.add_raw_input_contents(Bytes<float>({0.1f}));
  AddInput(&r, "d", "FP64", {1});
  r.add_raw_input_contents(Bytes<double>({-1.5}));
  AddInput(&r, "i", "INT64", {1});
  r.add_raw_input_contents(Bytes<int64_t>({-9007199254740993}));
  AddInput(&r, "u", "UINT16", {1});
  r.add_raw_input_contents(Bytes<uint16_t>({65535}));
  AddInput(&r, "b", "BOOL", {3});
  r.add_raw_input_contents(std::string("\x01\x00\x01", 3));
  AddInput(&r, "s", "BYTES", {2});
  r.add_raw_input_contents(LengthPrefixed({"ab", ""}));
  const std::string body = Body(r);

  const std::vector<double> half = DataAsDoubles(body, 0);
  ASSERT_EQ(half.size(), 6u);
  EXPECT_EQ(half[0], 1.0);
  EXPECT_EQ(half[1], -2.0);
  EXPECT_EQ(half[2], std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(half[3]));
  EXPECT_EQ(half[4], std::ldexp(1.0, -24));
  EXPECT_EQ(half[5], 65504.0);
  const std::vector<double> bf16 = DataAsDoubles(body, 1);
  ASSERT_EQ(bf16.size(), 3u);
  EXPECT_EQ(bf16[0], 1.0);
  EXPECT_EQ(bf16[1], 3.140625);
  EXPECT_EQ(Bits(bf16[2]), Bits(-0.0));
  const std::string tail = body.substr(body.find(R"({"name":"f")"));
  EXPECT_EQ(tail, R"({"name":"f","shape":[1],"datatype":"FP32","data":[0.10000000149011612]},)"
                  R"({"name":"d","shape":[1],"datatype":"FP64","data":[-1.5]},)"
                  R"({"name":"i","shape":[1],"datatype":"INT64","data":[-9007199254740993]},)"
                  R"({"name":"u","shape":[1],"datatype":"UINT16","data":[65535]},)"
                  R"({"name":"b","shape":[3],"datatype":"BOOL","data":[true,false,true]},)"
                  R"({"name":"s","shape":[2],"datatype":"BYTES","data":["ab",""]}]})");
}

TEST(V2JsonRequestTest, IdParametersAndRequestedOutputsAreWrittenSorted) {
  ModelInferRequest r;
  r.set_id("req-1");
  (*r.mutable_parameters())["signature_name"].set_string_param("serving_default");
  (*r.mutable_parameters())["a_bool"].set_bool_param(true);
  (*r.mutable_parameters())["big"].set_uint64_param(18446744073709551615u);
  (*r.mutable_parameters())["neg"].set_int64_param(-9007199254740993);
  (*r.mutable_parameters())["ratio"].set_double_param(0.25);
  auto* input = AddInput(&r, "x", "INT32", {1});
  input->mutable_contents()->add_int_contents(7);
  (*input->mutable_parameters())["note"].set_string_param("n");
  r.add_outputs()->set_name("z");
  auto* y = r.add_outputs();
  y->set_name("y");
  (*y->mutable_parameters())["binary_data"].set_bool_param(false);
  EXPECT_EQ(
      Body(r),
      R"({"id":"req-1","parameters":{"a_bool":true,"big":18446744073709551615,)"
      R"("neg":-9007199254740993,"ratio":0.25,"signature_name":"serving_default"},)"
      R"("inputs":[{"name":"x","shape":[1],"datatype":"INT32","parameters":{"note":"n"},)"
      R"("data":[7]}],"outputs":[{"name":"z"},{"name":"y","parameters":{"binary_data":false}}]})");
}

TEST(V2JsonRequestTest, ADatatypeWithoutAFieldSendsTheOneFieldSetForTheServerToJudge) {
  ModelInferRequest r;
  Fill(AddInput(&r, "x", "COMPLEX64", {2})->mutable_contents()->mutable_fp32_contents(), {1, 2});
  AddInput(&r, "y", "FP32", {1})->mutable_contents()->add_int_contents(3);  // the wrong field
  AddInput(&r, "e", "FP32", {0});
  EXPECT_EQ(Body(r),
            R"({"inputs":[{"name":"x","shape":[2],"datatype":"COMPLEX64","data":[1.0,2.0]},)"
            R"({"name":"y","shape":[1],"datatype":"FP32","data":[]},)"
            R"({"name":"e","shape":[0],"datatype":"FP32","data":[]}]})");
}

TEST(V2JsonRequestTest, NonUtf8BytesHaveNoJsonFormAndAreUnimplemented) {
  ModelInferRequest typed;
  AddInput(&typed, "s", "BYTES", {1})->mutable_contents()->add_bytes_contents("\xff\xfe");
  const auto t = InferRequestJson(typed);
  EXPECT_EQ(t.status().code(), Code::kUnimplemented);
  EXPECT_NE(t.status().message().find("input s element 0"), std::string::npos)
      << t.status().message();

  ModelInferRequest raw;
  AddInput(&raw, "s", "BYTES", {2});
  raw.add_raw_input_contents(LengthPrefixed({"ok", "\xc0\xaf"}));  // an overlong '/'
  EXPECT_EQ(InferRequestJson(raw).status().code(), Code::kUnimplemented);
}

TEST(V2JsonRequestTest, RawContentsThatDoNotDecodeAreInvalidArgument) {
  auto refused = [](const ModelInferRequest& r) {
    return InferRequestJson(r).status().code() == Code::kInvalidArgument;
  };
  ModelInferRequest fewer;  // one raw entry per input, or none
  AddInput(&fewer, "a", "FP32", {1});
  AddInput(&fewer, "b", "FP32", {1});
  fewer.add_raw_input_contents(Bytes<float>({1}));
  EXPECT_TRUE(refused(fewer));
  ModelInferRequest partial;  // not a whole number of elements
  AddInput(&partial, "a", "FP16", {2});
  partial.add_raw_input_contents("\x00\x3c\x00", 3);
  EXPECT_TRUE(refused(partial));
  ModelInferRequest truncated;  // a length prefix beyond the entry
  AddInput(&truncated, "s", "BYTES", {1});
  truncated.add_raw_input_contents(LengthPrefixed({"abc"}).substr(0, 5));
  EXPECT_TRUE(refused(truncated));
  ModelInferRequest short_prefix;
  AddInput(&short_prefix, "s", "BYTES", {1});
  short_prefix.add_raw_input_contents(std::string("\x01\x00", 2));
  EXPECT_TRUE(refused(short_prefix));
  ModelInferRequest unknown;
  AddInput(&unknown, "a", "FP8", {1});
  unknown.add_raw_input_contents("\x01");
  EXPECT_TRUE(refused(unknown));
  ModelInferRequest both;  // the protocol wants raw for all inputs or none
  AddInput(&both, "a", "FP32", {1})->mutable_contents()->add_fp32_contents(1);
  both.add_raw_input_contents(Bytes<float>({1}));
  EXPECT_TRUE(refused(both));
}

// ---- responses

StatusOr<ModelInferResponse> Read(const std::string& body) {
  ModelInferResponse response;
  const Status st = ReadInferResponseJson(body, &response);
  if (!st.ok()) return st;
  return response;
}

std::string Output(const std::string& name, const std::string& datatype, const std::string& shape,
                   const std::string& data) {
  return R"({"name":")" + name + R"(","datatype":")" + datatype + R"(","shape":)" + shape +
         R"(,"data":)" + data + "}";
}

std::string Answer(const std::vector<std::string>& outputs) {
  std::string body = R"({"model_name":"m","model_version":"2","outputs":[)";
  for (size_t i = 0; i < outputs.size(); ++i) body += (i ? "," : "") + outputs[i];
  return body + "]}";
}

TEST(V2JsonResponseTest, EveryDatatypeLandsInItsTypedField) {
  const auto r = Read(Answer({
      Output("b", "BOOL", "[2]", "[true,false]"),
      Output("i8", "INT8", "[2]", "[-128,127]"),
      Output("i16", "INT16", "[1]", "[-32768]"),
      Output("i32", "INT32", "[1]", "[2147483647]"),
      Output("i64", "INT64", "[2]", "[9007199254740993,-9223372036854775808]"),
      Output("u8", "UINT8", "[1]", "[255]"),
      Output("u16", "UINT16", "[1]", "[65535]"),
      Output("u32", "UINT32", "[1]", "[4294967295]"),
      Output("u64", "UINT64", "[1]", "[18446744073709551615]"),
      Output("f32", "FP32", "[5]", "[0.10000000149011612,-0.0,NaN,Infinity,1]"),
      Output("f64", "FP64", "[2]", "[0.1,-Infinity]"),
      Output("s", "BYTES", "[2]", "[\"h\\u00e9\",\"\"]"),
  }));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model_name(), "m");
  EXPECT_EQ(r->model_version(), "2");
  EXPECT_EQ(r->raw_output_contents_size(), 0);
  ASSERT_EQ(r->outputs_size(), 12);
  const auto& o = r->outputs();
  EXPECT_EQ(o[0].name(), "b");
  EXPECT_EQ(o[0].datatype(), "BOOL");
  EXPECT_EQ(std::vector<int64_t>(o[0].shape().begin(), o[0].shape().end()),
            std::vector<int64_t>{2});
  EXPECT_EQ(std::vector<bool>(o[0].contents().bool_contents().begin(),
                              o[0].contents().bool_contents().end()),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(o[1].contents().int_contents(0), -128);
  EXPECT_EQ(o[1].contents().int_contents(1), 127);
  EXPECT_EQ(o[2].contents().int_contents(0), -32768);
  EXPECT_EQ(o[3].contents().int_contents(0), 2147483647);
  EXPECT_EQ(o[4].contents().int64_contents(0), 9007199254740993);
  EXPECT_EQ(o[4].contents().int64_contents(1), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(o[5].contents().uint_contents(0), 255u);
  EXPECT_EQ(o[6].contents().uint_contents(0), 65535u);
  EXPECT_EQ(o[7].contents().uint_contents(0), 4294967295u);
  EXPECT_EQ(o[8].contents().uint64_contents(0), std::numeric_limits<uint64_t>::max());
  const auto& f = o[9].contents().fp32_contents();
  ASSERT_EQ(f.size(), 5);
  EXPECT_EQ(Bits(f[0]), Bits(0.1f));
  EXPECT_EQ(Bits(f[1]), Bits(-0.0f));
  EXPECT_TRUE(std::isnan(f[2]));
  EXPECT_EQ(f[3], std::numeric_limits<float>::infinity());
  EXPECT_EQ(f[4], 1.0f);
  EXPECT_EQ(Bits(o[10].contents().fp64_contents(0)), Bits(0.1));
  EXPECT_EQ(o[10].contents().fp64_contents(1), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(o[11].contents().bytes_contents(0), "h\xc3\xa9");
  EXPECT_EQ(o[11].contents().bytes_contents(1), "");
}

TEST(V2JsonResponseTest, Fp16OrBf16PutsEveryOutputInRawContents) {
  const auto r = Read(Answer({
      Output("h", "FP16", "[4]", "[1.0,-2.0,5.960464477539063e-08,65504.0]"),
      Output("bf", "BF16", "[2]", "[3.140625,-0.0]"),
      Output("f", "FP32", "[1]", "[0.5]"),
      Output("b", "BOOL", "[2]", "[false,true]"),
      Output("s", "BYTES", "[2]", "[\"ab\",\"\"]"),
  }));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->raw_output_contents_size(), 5);
  for (const auto& o : r->outputs()) EXPECT_FALSE(o.has_contents()) << o.name();
  EXPECT_EQ(r->raw_output_contents(0), Bytes<uint16_t>({0x3C00, 0xC000, 0x0001, 0x7BFF}));
  EXPECT_EQ(r->raw_output_contents(1), Bytes<uint16_t>({0x4049, 0x8000}));
  EXPECT_EQ(r->raw_output_contents(2), Bytes<float>({0.5f}));
  EXPECT_EQ(r->raw_output_contents(3), std::string("\x00\x01", 2));
  EXPECT_EQ(r->raw_output_contents(4), LengthPrefixed({"ab", ""}));
}

TEST(V2JsonResponseTest, NestedDataIsReadInRowMajorOrder) {
  const auto r = Read(Answer(
      {Output("x", "INT32", "[2,2]", "[[1,2],[3,4]]"), Output("e", "FP32", "[0,10]", "[]")}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& v = r->outputs(0).contents().int_contents();
  EXPECT_EQ(std::vector<int32_t>(v.begin(), v.end()), (std::vector<int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(r->outputs(1).shape_size(), 2);
  EXPECT_EQ(r->outputs(1).contents().fp32_contents_size(), 0);
}

TEST(V2JsonResponseTest, IdAndParametersAreKept) {
  const auto r = Read(R"({"model_name":"m","model_version":"1","id":"req-1",)"
                      R"("parameters":{"a":true,"b":-3,"c":18446744073709551615,"d":0.5,"e":"s"},)"
                      R"("outputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[1],)"
                      R"("parameters":{"note":"n"}}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id(), "req-1");
  const auto& p = r->parameters();
  EXPECT_TRUE(p.at("a").bool_param());
  EXPECT_EQ(p.at("b").int64_param(), -3);
  EXPECT_EQ(p.at("c").uint64_param(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(p.at("d").double_param(), 0.5);
  EXPECT_EQ(p.at("e").string_param(), "s");
  EXPECT_EQ(r->outputs(0).parameters().at("note").string_param(), "n");
}

TEST(V2JsonResponseTest, NullParametersReadAsAbsent) {
  // KServe writes "parameters": null at the top level and on every output.
  const auto r = Read(R"({"model_name":"m","model_version":"1","parameters":null,)"
                      R"("outputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[1],)"
                      R"("parameters":null}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->parameters().empty());
  EXPECT_TRUE(r->outputs(0).parameters().empty());
  EXPECT_EQ(r->outputs(0).contents().int64_contents(0), 1);
}

TEST(V2JsonResponseTest, ABodyTheProtocolDoesNotAllowIsInternal) {
  for (const std::string& body : {
           std::string("not json"),
           std::string(R"([1,2])"),
           std::string(R"({"model_name":"m"})"),
           std::string(R"({"model_name":"m","outputs":{}})"),
           std::string(R"({"model_name":7,"outputs":[]})"),
           std::string(R"({"outputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})"),
           Answer({Output("x", "FP8", "[1]", "[1]")}),
           Answer({Output("x", "BOOL", "[1]", "[1]")}),
           Answer({Output("x", "INT8", "[1]", "[128]")}),
           Answer({Output("x", "UINT8", "[1]", "[-1]")}),
           Answer({Output("x", "INT32", "[1]", "[1.5]")}),
           Answer({Output("x", "INT64", "[1]", "[9223372036854775808]")}),
           Answer({Output("x", "BYTES", "[1]", "[1]")}),
           Answer({Output("x", "BYTES", "[1]", R"([{"b64":"AA=="}])")}),
           Answer({Output("x", "FP32", "[3]", "[1,2]")}),
           Answer({Output("x", "FP32", "[2,2]", "[[1,2],[3]]")}),
           Answer({Output("x", "FP32", "[-1]", "[1]")}),
           Answer({Output("x", "FP32", "1", "[1]")}),
           std::string(R"({"outputs":[{"name":"x","datatype":"FP32","shape":[1]}]})"),
           std::string(R"({"outputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],)"
                       R"("parameters":{"p":null}}]})"),
       }) {
    const auto r = Read(body);
    EXPECT_EQ(r.status().code(), Code::kInternal) << body;
  }
}

}  // namespace
}  // namespace tfinterop
