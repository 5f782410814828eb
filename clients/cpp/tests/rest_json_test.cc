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
  rapidjson::StringBuffer buffer;
  JsonWriter out(buffer);
  EXPECT_TRUE(WriteTensorJson(t, &out).ok());
  return JsonText(buffer);
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

TEST(RestJsonTest, UnicodeEscapesAndSurrogatePairsDecodeToUtf8) {
  const auto back = Decode(R"(["\u00e9\ud83d\ude00\/"])", tensorflow::DT_STRING);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->strings[0], "\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_FALSE(Decode(R"(["\ud83d"])", tensorflow::DT_STRING).ok());
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

TEST(RestJsonTest, RawSpansOfScalarsSkipSeparatorsAndWhitespace) {
  const std::string text = " {\"a\" :\t\"x\\ny\" , \"b\": [ 1 ,-2.5e3,true , null,[ ] ] } ";
  const auto parsed = ParseJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->raw, text.substr(1, text.size() - 2));
  EXPECT_EQ(parsed->Find("a")->raw, "\"x\\ny\"");
  EXPECT_EQ(parsed->Find("a")->text, "x\ny");
  const JsonValue* b = parsed->Find("b");
  ASSERT_EQ(b->items.size(), 5u);
  EXPECT_EQ(b->items[0].raw, "1");
  EXPECT_EQ(b->items[1].raw, "-2.5e3");
  EXPECT_EQ(b->items[1].text, "-2.5e3");
  EXPECT_EQ(b->items[2].raw, "true");
  EXPECT_EQ(b->items[3].raw, "null");
  EXPECT_EQ(b->items[4].raw, "[ ]");
}

TEST(RestJsonTest, NumbersKeepTheirTextAndTypeIsTheToken) {
  // TF Serving (RapidJSON) reads a number with a '.' or an exponent as a
  // double: never an integer, whatever its value; "-0" is the integer 0.
  EXPECT_EQ(Values<int64_t>(Decode("[-0]", tensorflow::DT_INT64).value())[0], 0);
  EXPECT_EQ(Decode("[2.0]", tensorflow::DT_INT64).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Decode("[18446744073709551616]", tensorflow::DT_UINT64).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Decode("[-1]", tensorflow::DT_UINT64).status().code(), Code::kInvalidArgument);
  // A float32 read from its decimal text directly, not through a double:
  // 1.00000005960464477550 rounds to 1 + 2^-23 as float, to 1.0 via double.
  const auto f = Decode("[1.00000005960464477550]", tensorflow::DT_FLOAT);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Values<float>(f.value())[0], 1.0f + std::numeric_limits<float>::epsilon());
  EXPECT_EQ(Values<double>(Decode("[1e-320]", tensorflow::DT_DOUBLE).value())[0], 1e-320);
  EXPECT_FALSE(Decode("[1e400]", tensorflow::DT_DOUBLE).ok());  // RapidJSON: number too big
}

TEST(RestJsonTest, StringsEscapeControlsAndKeepNulBytes) {
  HostTensor t;
  t.dtype = tensorflow::DT_STRING;
  t.shape = {2};
  t.strings = {std::string("a\0b\x01\x1f\\/\t", 8), "\xe2\x82\xac"};
  const std::string json = Encode(t);
  EXPECT_EQ(json, "[\"a\\u0000b\\u0001\\u001F\\\\/\\t\",\"\xe2\x82\xac\"]");
  const auto back = Decode(json, tensorflow::DT_STRING);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->strings, t.strings);
  EXPECT_FALSE(Decode("[{\"b64\": \"Zg==\", \"x\": 1}]", tensorflow::DT_STRING).ok());
  EXPECT_FALSE(Decode("[{\"b64\": 7}]", tensorflow::DT_STRING).ok());
  EXPECT_EQ(Decode("[{\"b64\": \"Zm9v\"}]", tensorflow::DT_STRING)->strings[0], "foo");
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
  // OpenSSL's padding and length rules do not leak through.
  ASSERT_TRUE(Base64Decode("Zg", &out));  // unpadded
  EXPECT_EQ(out, "f");
  ASSERT_TRUE(Base64Decode("Zm8", &out));
  EXPECT_EQ(out, "fo");
  ASSERT_TRUE(Base64Decode("", &out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(Base64Decode("-_-_", &out));  // URL-safe alphabet
  EXPECT_EQ(out, "\xfb\xff\xbf");
  EXPECT_FALSE(Base64Decode("Zg==Zg==", &out));  // padding inside
  EXPECT_FALSE(Base64Decode(" Zg==", &out));     // whitespace
  EXPECT_FALSE(Base64Decode("Zg==\n", &out));
  EXPECT_FALSE(Base64Decode("Zm9vY", &out));  // a lone 6-bit group
  for (size_t n = 0; n < 70; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(i * 37 + n));
    const std::string text = Base64Encode(bytes);
    EXPECT_EQ(text.size(), (n + 2) / 3 * 4);
    ASSERT_TRUE(Base64Decode(text, &out)) << n;
    EXPECT_EQ(out, bytes) << n;
  }
  EXPECT_TRUE(IsValidUtf8("plain \xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0\xf0\x9f\x98\x80", 6)));
}

}  // namespace
}  // namespace tfinterop
