#include "rest_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace tfinterop {
namespace {

template <typename T>
std::vector<T> Values(const HostTensor& t) {
  std::vector<T> out(t.data.size() / sizeof(T));
  std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

template <typename T>
HostTensor Make(tensorflow::DataType dtype, std::vector<int64_t> shape, const std::vector<T>& v) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(v.size() * sizeof(T));
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

StatusOr<HostTensor> Decode(const std::string& json, tensorflow::DataType dtype) {
  const auto parsed = ParseJson(json);
  if (!parsed.ok()) return parsed.status();
  return TensorFromJson(parsed.value(), dtype);
}

std::string Encode(const HostTensor& t) {
  std::string out;
  EXPECT_TRUE(AppendTensorJson(t, &out).ok());
  return out;
}

TEST(RestJsonTest, NanAndInfinityAreBareTokensBothWays) {
  using L = std::numeric_limits<float>;
  const auto t = Make<float>(tensorflow::DT_FLOAT, {5},
                             {L::quiet_NaN(), L::infinity(), -L::infinity(), -0.0f, 0.1f});
  EXPECT_EQ(Encode(t), "[NaN,Infinity,-Infinity,-0.0,0.10000000149011612]");
  EXPECT_EQ(FormatFloat(0.1f), "0.1");
  const auto back = Decode("[NaN, Infinity, -Infinity, -0.0, 0.1]", tensorflow::DT_FLOAT);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const auto v = Values<float>(back.value());
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], L::infinity());
  EXPECT_EQ(v[2], -L::infinity());
  EXPECT_TRUE(std::signbit(v[3]));
  EXPECT_EQ(v[4], 0.1f);
}

TEST(RestJsonTest, Float32RoundTripsExactlyAcrossTheBitSpace) {
  std::vector<float> values;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 4099) {
    float f;
    const uint32_t b = static_cast<uint32_t>(bits);
    std::memcpy(&f, &b, sizeof f);
    if (!std::isnan(f)) values.push_back(f);
  }
  values.push_back(std::numeric_limits<float>::denorm_min());
  values.push_back(std::numeric_limits<float>::max());
  values.push_back(std::numeric_limits<float>::min());
  const auto t = Make<float>(tensorflow::DT_FLOAT, {static_cast<int64_t>(values.size())}, values);
  const auto back = Decode(Encode(t), tensorflow::DT_FLOAT);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->data, t.data);
}

TEST(RestJsonTest, Float32TextStaysWithinTfServingsFloatRangeCheck) {
  // TF Serving parses a double and refuses one beyond FLT_MAX before casting.
  const float max = std::numeric_limits<float>::max();
  const std::string text = Encode(Make<float>(tensorflow::DT_FLOAT, {2}, {max, -max}));
  const auto parsed = ParseJson(text);
  ASSERT_TRUE(parsed.ok());
  for (const JsonValue& v : parsed->items) {
    const double d = std::strtod(v.text.c_str(), nullptr);
    EXPECT_LE(std::fabs(d), static_cast<double>(max)) << v.text;
    EXPECT_EQ(static_cast<float>(std::fabs(d)), max) << v.text;
  }
}

TEST(RestJsonTest, DoubleRoundTripsExactly) {
  const std::vector<double> values = {
      0.1, 1.0 / 3, 1e308, 5e-324, -2.2250738585072014e-308, 123456789.123456789, -0.0};
  const auto t = Make<double>(tensorflow::DT_DOUBLE, {7}, values);
  EXPECT_EQ(Decode(Encode(t), tensorflow::DT_DOUBLE)->data, t.data);
}

TEST(RestJsonTest, Int64BeyondTwoToThe53IsExact) {
  const std::vector<int64_t> values = {(int64_t{1} << 53) + 1, std::numeric_limits<int64_t>::max(),
                                       std::numeric_limits<int64_t>::min()};
  const auto t = Make<int64_t>(tensorflow::DT_INT64, {3}, values);
  EXPECT_EQ(Encode(t), "[9007199254740993,9223372036854775807,-9223372036854775808]");
  EXPECT_EQ(Values<int64_t>(Decode(Encode(t), tensorflow::DT_INT64).value()), values);
  const auto u = Decode("[18446744073709551615]", tensorflow::DT_UINT64);
  EXPECT_EQ(Values<uint64_t>(u.value())[0], ~uint64_t{0});
}

TEST(RestJsonTest, IntegersAreNeverCoercedFromFloatsOrOutOfRange) {
  EXPECT_EQ(Decode("[1.5]", tensorflow::DT_INT32).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Decode("[1e3]", tensorflow::DT_INT64).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Decode("[128]", tensorflow::DT_INT8).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Decode("[-1]", tensorflow::DT_UINT8).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Decode("[\"7\"]", tensorflow::DT_INT32).status().code(), Code::kInvalidArgument);
}

TEST(RestJsonTest, StringsAreJsonStringsOrBase64WhenNotUtf8) {
  HostTensor t;
  t.dtype = tensorflow::DT_STRING;
  t.shape = {4};
  t.strings = {"", "h\xc3\xa9 \"q\"\n", std::string("\xff\x00\x01", 3), "\xe2\x82"};
  const std::string json = Encode(t);
  EXPECT_EQ(json, "[\"\",\"h\xc3\xa9 \\\"q\\\"\\n\",{\"b64\":\"/wAB\"},{\"b64\":\"4oI=\"}]");
  const auto back = Decode(json, tensorflow::DT_STRING);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->strings, t.strings);
}

TEST(RestJsonTest, UnicodeEscapesAndSurrogatePairsDecodeToUtf8) {
  const auto back = Decode(R"(["\u00e9\ud83d\ude00\/"])", tensorflow::DT_STRING);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->strings[0], "\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_FALSE(Decode(R"(["\ud83d"])", tensorflow::DT_STRING).ok());
}

TEST(RestJsonTest, ShapeComesFromNestingAndRaggedIsRefused) {
  const auto t = Decode("[[1,2,3],[4,5,6]]", tensorflow::DT_INT32);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Decode("[[1,2],[3]]", tensorflow::DT_INT32).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Decode("[[1,2],3]", tensorflow::DT_INT32).status().code(), Code::kInvalidArgument);
  const auto scalar = Decode("true", tensorflow::DT_BOOL);
  ASSERT_TRUE(scalar.ok());
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(Decode("[]", tensorflow::DT_FLOAT)->shape, (std::vector<int64_t>{0}));
}

TEST(RestJsonTest, RowsStackAlongANewFirstDimension) {
  const auto parsed = ParseJson(R"([[1,2],[3,4],[5,6]])");
  ASSERT_TRUE(parsed.ok());
  std::vector<const JsonValue*> rows;
  for (const auto& item : parsed->items) rows.push_back(&item);
  const auto t = TensorFromJsonRows(rows, tensorflow::DT_FLOAT);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape, (std::vector<int64_t>{3, 2}));
  const auto m = Make<float>(tensorflow::DT_FLOAT, {2, 2}, {1, 2, 3, 4});
  std::string row;
  ASSERT_TRUE(AppendTensorRowJson(m, 1, &row).ok());
  EXPECT_EQ(row, "[3.0,4.0]");
  EXPECT_EQ(AppendTensorRowJson(Make<float>(tensorflow::DT_FLOAT, {}, {1}), 0, &row).code(),
            Code::kInvalidArgument);
}

TEST(RestJsonTest, MalformedJsonIsInvalidArgumentWithOffset) {
  for (const char* bad : {"", "[1,", "{\"a\" 1}", "[1 2]", "nan", "[01]", "\"\x01\"", "[1]x"}) {
    const auto parsed = ParseJson(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
    }
  }
  EXPECT_FALSE(ParseJson(std::string(10000, '[')).ok());  // depth limit, no stack overflow
}

TEST(RestJsonTest, RawSpansLetCallersReparseSubObjects) {
  const std::string text = R"({"a": {"b": [1, 2]}, "c": NaN})";
  const auto parsed = ParseJson(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Find("a")->raw, R"({"b": [1, 2]})");
  EXPECT_EQ(parsed->Find("c")->text, "NaN");
  EXPECT_EQ(parsed->Find("missing"), nullptr);
}

TEST(RestJsonTest, HalfAndBfloat16ConversionsRoundTripEveryBitPattern) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    const float f = HalfToFloat(bits);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(f))));
    } else {
      EXPECT_EQ(FloatToHalf(f), bits) << h;
    }
    const float g = Bfloat16ToFloat(bits);
    if (!std::isnan(g)) {
      EXPECT_EQ(FloatToBfloat16(g), bits) << h;
    }
  }
  EXPECT_EQ(FloatToHalf(65520.f), 0x7c00);             // rounds up to infinity
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 4096), 0x3c00);  // ties to even
}

TEST(RestJsonTest, Base64AndUtf8Validation) {
  std::string out;
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  ASSERT_TRUE(Base64Decode("Zm9vYg==", &out));
  EXPECT_EQ(out, "foob");
  EXPECT_FALSE(Base64Decode("Zm9v!", &out));
  EXPECT_TRUE(IsValidUtf8("plain \xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace tfinterop
