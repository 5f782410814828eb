// The shared REST codec vectors (build/vectors/rest_json.json, written by
// `make export`; docs/CONTRACT.md "Codec vectors") through the REST
// transport's own body writers and response reader: one test per vector,
// named by its id ('-' as '_', since gtest filters read '-' as "except").
// The file is $TFINTEROP_VECTORS, else build/vectors/rest_json.json in the
// working directory or the nearest parent holding one; no file fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "rest_json.h"
#include "rest_transport.h"
#include "tensor_codec.h"
#include "tensorflow_serving/apis/classification.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "tensorflow_serving/apis/regression.pb.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
namespace tfs = tensorflow::serving;
using nlohmann::json;

// The vector file, or why there is none.
fs::path VectorFile(std::string* missing) {
  if (const char* env = std::getenv("TFINTEROP_VECTORS"); env != nullptr && *env != '\0') {
    if (fs::exists(env)) return env;
    *missing = std::string("TFINTEROP_VECTORS=") + env + " does not exist";
    return {};
  }
  const fs::path cwd = fs::current_path();
  for (fs::path dir = cwd;; dir = dir.parent_path()) {
    const fs::path candidate = dir / "build" / "vectors" / "rest_json.json";
    if (fs::exists(candidate)) return candidate;
    if (dir == dir.root_path() || dir.parent_path() == dir) break;
  }
  *missing = "no build/vectors/rest_json.json in " + cwd.string() +
             " or a parent folder, and TFINTEROP_VECTORS is unset";
  return {};
}

// -- JSON trees, by the contract's rule -------------------------------------------------------

bool IsDoubleToken(const std::string& text) {
  return text.find_first_of(".eE") != std::string::npos || text == "NaN" || text == "Infinity" ||
         text == "-Infinity";
}

std::string Kind(const JsonValue& v) {
  switch (v.kind) {
    case JsonValue::Kind::kNull: return "null";
    case JsonValue::Kind::kBool: return "bool";
    case JsonValue::Kind::kNumber: return IsDoubleToken(v.text) ? "double" : "integer";
    case JsonValue::Kind::kString: return "string";
    case JsonValue::Kind::kArray: return "list";
    case JsonValue::Kind::kObject: return "object";
  }
  return "?";
}

uint64_t DoubleBits(const std::string& text) {
  const double d = std::strtod(text.c_str(), nullptr);  // reads NaN and Infinity too
  if (std::isnan(d)) return 0x7ff8000000000000u;        // every NaN is JSON's one NaN
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

// JSON forbids leading zeros, so integers are equal when their digits are; "-0" is 0.
std::string IntegerDigits(const std::string& text) { return text == "-0" ? "0" : text; }

std::vector<std::string> SortedKeys(const JsonValue& v) {
  std::vector<std::string> keys;
  for (const auto& member : v.members) keys.push_back(member.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

// The first difference between two bodies ("" when none), as "$.path: got ..., want ...".
std::string BodyDifference(const JsonValue& got, const JsonValue& want, const std::string& where) {
  const auto differ = [&](const std::string& what) {
    return where + ": " + what + " (got " + std::string(got.raw) + ", want " +
           std::string(want.raw) + ")";
  };
  if (Kind(got) != Kind(want)) return differ(Kind(got) + " where " + Kind(want) + " is due");
  switch (want.kind) {
    case JsonValue::Kind::kNull: return "";
    case JsonValue::Kind::kBool: return got.boolean == want.boolean ? "" : differ("bools differ");
    case JsonValue::Kind::kString: return got.text == want.text ? "" : differ("strings differ");
    case JsonValue::Kind::kNumber:
      if (IsDoubleToken(want.text)) {
        return DoubleBits(got.text) == DoubleBits(want.text) ? "" : differ("doubles differ");
      }
      return IntegerDigits(got.text) == IntegerDigits(want.text) ? "" : differ("integers differ");
    case JsonValue::Kind::kArray:
      if (got.items.size() != want.items.size()) {
        return differ(std::to_string(got.items.size()) + " elements, want " +
                      std::to_string(want.items.size()));
      }
      for (size_t i = 0; i < want.items.size(); ++i) {
        const std::string d =
            BodyDifference(got.items[i], want.items[i], where + "[" + std::to_string(i) + "]");
        if (!d.empty()) return d;
      }
      return "";
    case JsonValue::Kind::kObject: {
      const auto got_keys = SortedKeys(got);
      const auto want_keys = SortedKeys(want);
      if (got_keys != want_keys)
        return differ("keys " + Join(got_keys) + ", want " + Join(want_keys));
      for (const auto& [key, value] : want.members) {
        const std::string d = BodyDifference(*got.Find(key), value, where + "." + key);
        if (!d.empty()) return d;
      }
      return "";
    }
  }
  return "";
}

// -- tensors ----------------------------------------------------------------------------------

bool IsFloatDtype(tensorflow::DataType dtype) {
  return dtype == tensorflow::DT_FLOAT || dtype == tensorflow::DT_DOUBLE ||
         dtype == tensorflow::DT_HALF || dtype == tensorflow::DT_BFLOAT16;
}

// Element i as a double (floats) for NaN checks and messages.
double FloatAt(const HostTensor& t, int64_t i) {
  const uint8_t* p = t.data.data() + i * static_cast<int64_t>(DtypeSize(t.dtype));
  switch (t.dtype) {
    case tensorflow::DT_FLOAT: {
      float f;
      std::memcpy(&f, p, sizeof f);
      return f;
    }
    case tensorflow::DT_DOUBLE: {
      double d;
      std::memcpy(&d, p, sizeof d);
      return d;
    }
    default: {
      uint16_t bits;
      std::memcpy(&bits, p, sizeof bits);
      return t.dtype == tensorflow::DT_HALF ? HalfToFloat(bits) : Bfloat16ToFloat(bits);
    }
  }
}

std::string ElementText(const HostTensor& t, int64_t i) {
  if (t.dtype == tensorflow::DT_STRING) {
    std::ostringstream out;
    out << '"';
    for (const unsigned char c : t.strings[static_cast<size_t>(i)]) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out << c;
      } else {
        static const char kHex[] = "0123456789abcdef";
        out << "\\x" << kHex[c >> 4] << kHex[c & 15];
      }
    }
    out << '"';
    return out.str();
  }
  std::ostringstream out;
  const size_t size = DtypeSize(t.dtype);
  if (IsFloatDtype(t.dtype)) {
    out.precision(17);
    out << FloatAt(t, i) << " = 0x";
  } else {
    out << "0x";
  }
  static const char kHex[] = "0123456789abcdef";
  for (size_t b = size; b-- > 0;) {  // little-endian bytes, most significant first
    const uint8_t byte = t.data[static_cast<size_t>(i) * size + b];
    out << kHex[byte >> 4] << kHex[byte & 15];
  }
  return out.str();
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::vector<std::string> dims;
  for (const int64_t d : shape) dims.push_back(std::to_string(d));
  return Join(dims);
}

// The first difference between two tensors ("" when none): dtype, shape, then values
// bit-exact (NaN equals NaN), strings byte for byte.
std::string TensorDifference(const HostTensor& got, const HostTensor& want) {
  if (got.dtype != want.dtype) {
    return "dtype " + DtypeName(got.dtype) + ", want " + DtypeName(want.dtype);
  }
  if (got.shape != want.shape) {
    return "shape " + ShapeText(got.shape) + ", want " + ShapeText(want.shape);
  }
  const int64_t n = want.NumElements();
  const size_t size = DtypeSize(want.dtype);
  for (int64_t i = 0; i < n; ++i) {
    bool same;
    if (want.dtype == tensorflow::DT_STRING) {
      same = got.strings[static_cast<size_t>(i)] == want.strings[static_cast<size_t>(i)];
    } else if (IsFloatDtype(want.dtype) && std::isnan(FloatAt(want, i))) {
      same = std::isnan(FloatAt(got, i));
    } else {
      same = std::memcmp(got.data.data() + i * size, want.data.data() + i * size, size) == 0;
    }
    if (!same) {
      return "element " + std::to_string(i) + ": got " + ElementText(got, i) + ", want " +
             ElementText(want, i);
    }
  }
  return "";
}

// -- the vectors ------------------------------------------------------------------------------

std::string FromBase64(const std::string& text) {
  std::string bytes;
  EXPECT_TRUE(Base64Decode(text, &bytes)) << "the vector file holds bad base64: " << text;
  return bytes;
}

RestFormat FormatOf(const json& row) {
  return row.value("rest_format", std::string("columnar")) == "row" ? RestFormat::kRow
                                                                    : RestFormat::kColumnar;
}

// The body a client writes for an encode vector's request.
StatusOr<std::string> WriteBody(const json& row) {
  const std::string request = FromBase64(row.at("request").get<std::string>());
  const std::string api = row.at("api").get<std::string>();
  if (api == "predict") {
    tfs::PredictRequest req;
    if (!req.ParseFromString(request)) return Internal("the request is not a PredictRequest");
    auto body = PredictRequestJson(req, FormatOf(row));
    if (!body.ok()) return body.status();
    return body->json;
  }
  if (api == "classify") {
    tfs::ClassificationRequest req;
    if (!req.ParseFromString(request))
      return Internal("the request is not a ClassificationRequest");
    return ExamplesRequestJson(req.model_spec(), req.input());
  }
  if (api == "regress") {
    tfs::RegressionRequest req;
    if (!req.ParseFromString(request)) return Internal("the request is not a RegressionRequest");
    return ExamplesRequestJson(req.model_spec(), req.input());
  }
  return Internal("unknown api '" + api + "' in the vector file");
}

void RunEncode(const json& row) {
  const std::string id = row.at("id").get<std::string>();
  SCOPED_TRACE("encode vector " + id + ": " + row.value("why", std::string()));
  const auto written = WriteBody(row);
  if (row.contains("error")) {
    const std::string want = row.at("error").get<std::string>();
    if (written.ok()) {
      ADD_FAILURE() << id << ": wrote " << written.value() << ", want a refusal with " << want;
    } else {
      EXPECT_EQ(CodeName(written.status().code()), want)
          << id << ": " << written.status().ToString();
    }
    return;
  }
  ASSERT_TRUE(written.ok()) << id << ": refused with " << written.status().ToString();
  const std::string want_text = row.at("body").get<std::string>();
  const auto got = ParseJson(written.value());
  ASSERT_TRUE(got.ok()) << id << ": the body is not JSON: " << got.status().ToString() << "\n"
                        << written.value();
  const auto want = ParseJson(want_text);
  ASSERT_TRUE(want.ok()) << id << ": the vector's body is not JSON: " << want.status().ToString();
  const std::string difference = BodyDifference(got.value(), want.value(), "$");
  EXPECT_EQ(difference, "") << id << ": " << difference << "\n got: " << written.value()
                            << "\nwant: " << want_text;
}

void RunDecode(const json& row) {
  const std::string id = row.at("id").get<std::string>();
  SCOPED_TRACE("decode vector " + id + ": " + row.value("why", std::string()));
  const std::string body = row.contains("body_b64")
                               ? FromBase64(row.at("body_b64").get<std::string>())
                               : row.at("body").get<std::string>();
  std::map<std::string, tensorflow::DataType> outputs;
  for (const auto& [name, dtype_name] : row.at("outputs").items()) {
    tensorflow::DataType dtype;
    ASSERT_TRUE(tensorflow::DataType_Parse(dtype_name.get<std::string>(), &dtype))
        << id << ": unknown dtype " << dtype_name;
    outputs.emplace(name, dtype);
  }
  tfs::PredictResponse response;
  const Status read = ReadPredictResponseJson(body, outputs, FormatOf(row), &response);
  if (row.contains("error")) {
    const std::string want = row.at("error").get<std::string>();
    if (read.ok()) {
      ADD_FAILURE() << id << ": read " << response.ShortDebugString() << ", want " << want;
    } else {
      EXPECT_EQ(CodeName(read.code()), want) << id << ": " << read.ToString();
    }
    return;
  }
  ASSERT_TRUE(read.ok()) << id << ": " << read.ToString();
  std::vector<std::string> got_names;
  for (const auto& [name, unused] : response.outputs()) got_names.push_back(name);
  std::sort(got_names.begin(), got_names.end());
  std::vector<std::string> want_names;
  for (const auto& [name, unused] : row.at("expect").items()) want_names.push_back(name);
  ASSERT_EQ(got_names, want_names) << id << ": output names";
  for (const auto& [name, b64] : row.at("expect").items()) {
    tensorflow::TensorProto want_proto;
    ASSERT_TRUE(want_proto.ParseFromString(FromBase64(b64.get<std::string>())))
        << id << "." << name << ": expect is not a TensorProto";
    const auto want = DecodeTensorProto(want_proto);
    ASSERT_TRUE(want.ok()) << id << "." << name << ": " << want.status().ToString();
    const auto got = DecodeTensorProto(response.outputs().at(name));
    ASSERT_TRUE(got.ok()) << id << "." << name << ": " << got.status().ToString();
    const std::string difference = TensorDifference(got.value(), want.value());
    EXPECT_EQ(difference, "") << id << "." << name << ": " << difference;
  }
}

class VectorTest : public ::testing::Test {
 public:
  VectorTest(void (*run)(const json&), json row) : run_(run), row_(std::move(row)) {}
  void TestBody() override { run_(row_); }

 private:
  void (*run_)(const json&);
  json row_;
};

class MissingVectorsTest : public ::testing::Test {
 public:
  explicit MissingVectorsTest(std::string why) : why_(std::move(why)) {}
  void TestBody() override { FAIL() << why_ << ": run `make export` to write the REST vectors"; }

 private:
  std::string why_;
};

std::string TestName(std::string id) {
  for (char& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return id;
}

// One test per vector, or one failing test that says why there are none. gtest
// owns the tests the factories return.
void RegisterVectorTests() {
  std::string why;
  const fs::path path = VectorFile(&why);
  json doc;
  if (why.empty()) {
    std::ifstream in(path, std::ios::binary);
    doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) why = path.string() + " is not JSON";
  }
  if (why.empty() && doc.value("version", 0) != 1) {
    why = path.string() + " is not a version 1 vector file";
  }
  if (why.empty() &&
      (doc.value("encode", json::array()).empty() || doc.value("decode", json::array()).empty())) {
    why = path.string() + " holds no encode or no decode vectors";
  }
  if (!why.empty()) {
    ::testing::RegisterTest("RestVectors", "FileExists", nullptr, nullptr, __FILE__, __LINE__,
                            [why]() -> ::testing::Test* { return new MissingVectorsTest(why); });
    return;
  }
  const std::pair<const char*, void (*)(const json&)> kinds[] = {{"encode", &RunEncode},
                                                                 {"decode", &RunDecode}};
  for (const auto& [kind, run] : kinds) {
    const std::string suite =
        std::string(kind) == "encode" ? "RestEncodeVectors" : "RestDecodeVectors";
    for (const json& row : doc.at(kind)) {
      ::testing::RegisterTest(
          suite.c_str(), TestName(row.at("id").get<std::string>()).c_str(), nullptr, nullptr,
          __FILE__, __LINE__,
          [run = run, row]() -> ::testing::Test* { return new VectorTest(run, row); });
    }
  }
}

}  // namespace
}  // namespace tfinterop

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tfinterop::RegisterVectorTests();
  return RUN_ALL_TESTS();
}
