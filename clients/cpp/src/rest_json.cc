#include "rest_json.h"

#include <openssl/evp.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace tfinterop {
namespace {

using tensorflow::DataType;

constexpr size_t kMaxDepth = 512;

// An output stream for RapidJSON's UTF-8 validator, which copies as it checks.
struct DiscardStream {
  using Ch = char;
  void Put(char) {}
};

// RapidJSON's SAX events into a JsonValue tree. Numbers arrive as their source
// text (kParseNumbersAsStringsFlag), so nothing is rounded through a double
// before the dtype is known. `raw` spans come from the stream's offsets.
class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  TreeBuilder(std::string_view text, const rapidjson::MemoryStream& in) : text_(text), in_(in) {}

  JsonValue& root() { return root_; }
  bool too_deep() const { return too_deep_; }

  bool Null() { return Scalar(JsonValue::Kind::kNull); }
  bool Bool(bool b) {
    Next(JsonValue::Kind::kBool)->boolean = b;
    return Finish();
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    Next(JsonValue::Kind::kNumber)->text.assign(s, n);
    return Finish();
  }
  bool String(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    Next(JsonValue::Kind::kString)->text.assign(s, n);
    return Finish();
  }
  bool StartObject() { return Open(JsonValue::Kind::kObject); }
  bool Key(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    open_.back().value->members.emplace_back(std::string(s, n), JsonValue());
    cursor_ = in_.Tell();
    return true;
  }
  bool EndObject(rapidjson::SizeType /*members*/) { return Close(); }
  bool StartArray() { return Open(JsonValue::Kind::kArray); }
  bool EndArray(rapidjson::SizeType /*items*/) { return Close(); }

 private:
  struct Open_ {
    JsonValue* value;
    size_t begin;
  };

  // The slot the next value fills: the root, an array's next item, or the
  // value of the member whose key came last. Containers on the stack stay put:
  // only the innermost one grows.
  JsonValue* Next(JsonValue::Kind kind) {
    JsonValue* v = &root_;
    if (!open_.empty()) {
      JsonValue* parent = open_.back().value;
      if (parent->kind == JsonValue::Kind::kArray) {
        v = &parent->items.emplace_back();
      } else {
        v = &parent->members.back().second;
      }
    }
    v->kind = kind;
    last_ = v;
    return v;
  }
  bool Scalar(JsonValue::Kind kind) {
    Next(kind);
    return Finish();
  }
  // A scalar ends where the reader stands; it starts at the first byte after
  // the previous event that is neither whitespace nor the ',' or ':' before it.
  bool Finish() {
    const size_t end = in_.Tell();
    size_t begin = SkipSpace(cursor_);
    if (begin < end && (text_[begin] == ',' || text_[begin] == ':')) begin = SkipSpace(begin + 1);
    last_->raw = text_.substr(begin, end - begin);
    cursor_ = end;
    return true;
  }
  size_t SkipSpace(size_t i) const {
    while (i < text_.size() &&
           (text_[i] == ' ' || text_[i] == '\n' || text_[i] == '\r' || text_[i] == '\t')) {
      ++i;
    }
    return i;
  }
  bool Open(JsonValue::Kind kind) {
    if (open_.size() >= kMaxDepth) {
      too_deep_ = true;
      return false;  // RapidJSON recurses per level: stop before the stack does
    }
    JsonValue* v = Next(kind);
    open_.push_back({v, in_.Tell() - 1});  // the reader has taken '{' or '['
    cursor_ = in_.Tell();
    return true;
  }
  bool Close() {
    const Open_ done = open_.back();
    open_.pop_back();
    cursor_ = in_.Tell();
    done.value->raw = text_.substr(done.begin, cursor_ - done.begin);
    return true;
  }

  std::string_view text_;
  const rapidjson::MemoryStream& in_;
  JsonValue root_;
  JsonValue* last_ = nullptr;
  std::vector<Open_> open_;
  size_t cursor_ = 0;
  bool too_deep_ = false;
};

template <typename T>
T Load(const HostTensor& t, int64_t i) {
  T v;
  std::memcpy(&v, t.data.data() + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T>
void Store(HostTensor* t, int64_t i, T v) {
  std::memcpy(t->data.data() + i * sizeof(T), &v, sizeof(T));
}

Status WriteElement(const HostTensor& t, int64_t i, JsonWriter* out) {
  switch (t.dtype) {
    // Narrow floats go out as the shortest text of their exact double value:
    // TF Serving reads a double and refuses anything beyond FLT_MAX (the
    // shortest float32 text of FLT_MAX, 3.4028235e+38, is), then casts.
    case tensorflow::DT_FLOAT: WriteJsonDouble(Load<float>(t, i), out); break;
    case tensorflow::DT_DOUBLE: WriteJsonDouble(Load<double>(t, i), out); break;
    case tensorflow::DT_HALF: WriteJsonDouble(HalfToFloat(Load<uint16_t>(t, i)), out); break;
    case tensorflow::DT_BFLOAT16:
      WriteJsonDouble(Bfloat16ToFloat(Load<uint16_t>(t, i)), out);
      break;
    case tensorflow::DT_INT8: out->Int(Load<int8_t>(t, i)); break;
    case tensorflow::DT_INT16: out->Int(Load<int16_t>(t, i)); break;
    case tensorflow::DT_INT32: out->Int(Load<int32_t>(t, i)); break;
    case tensorflow::DT_INT64: out->Int64(Load<int64_t>(t, i)); break;
    case tensorflow::DT_UINT8: out->Uint(Load<uint8_t>(t, i)); break;
    case tensorflow::DT_UINT16: out->Uint(Load<uint16_t>(t, i)); break;
    case tensorflow::DT_UINT32: out->Uint(Load<uint32_t>(t, i)); break;
    case tensorflow::DT_UINT64: out->Uint64(Load<uint64_t>(t, i)); break;
    case tensorflow::DT_BOOL: out->Bool(Load<uint8_t>(t, i) != 0); break;
    case tensorflow::DT_STRING: WriteJsonBytes(t.strings[static_cast<size_t>(i)], out); break;
    default: return Unimplemented("REST JSON cannot carry " + DtypeName(t.dtype) + " tensors");
  }
  return OkStatus();
}

// Elements [offset, offset + prod(shape[dim:])) as nested lists.
Status WriteLevel(const HostTensor& t, size_t dim, int64_t offset, JsonWriter* out) {
  if (dim == t.shape.size()) return WriteElement(t, offset, out);
  int64_t stride = 1;
  for (size_t d = dim + 1; d < t.shape.size(); ++d) stride *= t.shape[d];
  out->StartArray();
  for (int64_t i = 0; i < t.shape[dim]; ++i) {
    TFI_RETURN_IF_ERROR(WriteLevel(t, dim + 1, offset + i * stride, out));
  }
  out->EndArray();
  return OkStatus();
}

bool IsB64Object(const JsonValue& v) {
  return v.kind == JsonValue::Kind::kObject && v.members.size() == 1 &&
         v.members[0].first == "b64" && v.members[0].second.kind == JsonValue::Kind::kString;
}

bool IsNested(const JsonValue& v) { return v.kind == JsonValue::Kind::kArray; }

// Collects leaves in row-major order, checking every level against `shape`.
Status CollectLeaves(const JsonValue& v, const std::vector<int64_t>& shape, size_t dim,
                     std::vector<const JsonValue*>* leaves) {
  if (dim == shape.size()) {
    if (IsNested(v)) {
      return InvalidArgument("JSON tensor nesting is deeper than its first element's");
    }
    leaves->push_back(&v);
    return OkStatus();
  }
  if (!IsNested(v) || static_cast<int64_t>(v.items.size()) != shape[dim]) {
    return InvalidArgument("JSON tensor is ragged: every list at depth " + std::to_string(dim) +
                           " must hold " + std::to_string(shape[dim]) + " values");
  }
  for (const JsonValue& item : v.items) {
    TFI_RETURN_IF_ERROR(CollectLeaves(item, shape, dim + 1, leaves));
  }
  return OkStatus();
}

std::vector<int64_t> ShapeOf(const JsonValue& v) {
  std::vector<int64_t> shape;
  const JsonValue* cur = &v;
  while (IsNested(*cur)) {
    shape.push_back(static_cast<int64_t>(cur->items.size()));
    if (cur->items.empty()) break;
    cur = &cur->items[0];
  }
  return shape;
}

bool IsIntegerText(const std::string& text) {
  return !text.empty() && text.find_first_of(".eEnNI") == std::string::npos;
}

template <typename T>
Status ParseInteger(const JsonValue& v, T* out) {
  if (v.kind != JsonValue::Kind::kNumber || !IsIntegerText(v.text)) {
    return InvalidArgument("JSON value " + std::string(v.raw) + " is not an integer");
  }
  const char* end = v.text.data() + v.text.size();
  const auto [ptr, ec] = std::from_chars(v.text.data(), end, *out);
  if (ec != std::errc() || ptr != end) {
    return InvalidArgument("JSON integer " + v.text + " is out of range");
  }
  return OkStatus();
}

template <typename T>
Status ParseReal(const JsonValue& v, T* out) {
  if (v.kind != JsonValue::Kind::kNumber) {
    return InvalidArgument("JSON value " + std::string(v.raw) + " is not a number");
  }
  // strtof/strtod round decimal to the target type directly (no double
  // rounding via double for float32) and accept NaN/Infinity; ERANGE results
  // (denormals, overflow to infinity) are what TensorFlow would read too.
  char* end = nullptr;
  if constexpr (std::is_same_v<T, float>) {
    *out = std::strtof(v.text.c_str(), &end);
  } else {
    *out = std::strtod(v.text.c_str(), &end);
  }
  if (end != v.text.c_str() + v.text.size()) {
    return InvalidArgument("JSON number " + v.text + " does not parse");
  }
  return OkStatus();
}

template <typename T>
Status StoreInteger(const JsonValue& v, HostTensor* t, int64_t i) {
  T value{};
  TFI_RETURN_IF_ERROR(ParseInteger(v, &value));
  Store<T>(t, i, value);
  return OkStatus();
}

Status StoreLeaf(const JsonValue& v, HostTensor* t, int64_t i) {
  switch (t->dtype) {
    case tensorflow::DT_FLOAT: {
      float f = 0;
      TFI_RETURN_IF_ERROR(ParseReal(v, &f));
      Store(t, i, f);
      return OkStatus();
    }
    case tensorflow::DT_DOUBLE: {
      double d = 0;
      TFI_RETURN_IF_ERROR(ParseReal(v, &d));
      Store(t, i, d);
      return OkStatus();
    }
    case tensorflow::DT_HALF:
    case tensorflow::DT_BFLOAT16: {
      float f = 0;
      TFI_RETURN_IF_ERROR(ParseReal(v, &f));
      Store<uint16_t>(t, i, t->dtype == tensorflow::DT_HALF ? FloatToHalf(f) : FloatToBfloat16(f));
      return OkStatus();
    }
    case tensorflow::DT_INT8: return StoreInteger<int8_t>(v, t, i);
    case tensorflow::DT_INT16: return StoreInteger<int16_t>(v, t, i);
    case tensorflow::DT_INT32: return StoreInteger<int32_t>(v, t, i);
    case tensorflow::DT_INT64: return StoreInteger<int64_t>(v, t, i);
    case tensorflow::DT_UINT8: return StoreInteger<uint8_t>(v, t, i);
    case tensorflow::DT_UINT16: return StoreInteger<uint16_t>(v, t, i);
    case tensorflow::DT_UINT32: return StoreInteger<uint32_t>(v, t, i);
    case tensorflow::DT_UINT64: return StoreInteger<uint64_t>(v, t, i);
    case tensorflow::DT_BOOL:
      if (v.kind != JsonValue::Kind::kBool) {
        return InvalidArgument("JSON value " + std::string(v.raw) + " is not a bool");
      }
      Store<uint8_t>(t, i, v.boolean ? 1 : 0);
      return OkStatus();
    case tensorflow::DT_STRING:
      if (v.kind == JsonValue::Kind::kString) {
        t->strings[static_cast<size_t>(i)] = v.text;
        return OkStatus();
      }
      if (IsB64Object(v) &&
          Base64Decode(v.members[0].second.text, &t->strings[static_cast<size_t>(i)])) {
        return OkStatus();
      }
      return InvalidArgument("JSON value " + std::string(v.raw) +
                             " is neither a string nor {\"b64\": ...}");
    default: return Unimplemented("REST JSON cannot carry " + DtypeName(t->dtype) + " tensors");
  }
}

StatusOr<HostTensor> FromLeaves(const std::vector<const JsonValue*>& leaves,
                                std::vector<int64_t> shape, DataType dtype) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (dtype == tensorflow::DT_STRING) {
    t.strings.resize(leaves.size());
  } else {
    if (DtypeSize(dtype) == 0) return Unimplemented("REST JSON cannot carry " + DtypeName(dtype));
    t.data.assign(leaves.size() * DtypeSize(dtype), 0);
  }
  for (size_t i = 0; i < leaves.size(); ++i) {
    TFI_RETURN_IF_ERROR(StoreLeaf(*leaves[i], &t, static_cast<int64_t>(i)));
  }
  return t;
}

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::string FinishFloatText(const char* begin, const char* end) {
  std::string s(begin, end);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

StatusOr<JsonValue> ParseJson(std::string_view text) {
  // TF Serving's flag (json_tensor.cc ParseJson), numbers kept as text.
  constexpr unsigned kFlags =
      rapidjson::kParseNanAndInfFlag | rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::MemoryStream in(text.data(), text.size());
  TreeBuilder builder(text, in);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(in, builder);
  if (builder.too_deep()) {
    return InvalidArgument("JSON nesting is deeper than " + std::to_string(kMaxDepth) +
                           " at offset: " + std::to_string(result.Offset()));
  }
  if (result.IsError()) {
    return InvalidArgument(std::string("JSON Parse error: ") +
                           rapidjson::GetParseError_En(result.Code()) +
                           " at offset: " + std::to_string(result.Offset()));
  }
  return std::move(builder.root());
}

std::string JsonText(const rapidjson::StringBuffer& out) {
  return std::string(out.GetString(), out.GetSize());
}

void WriteJsonString(std::string_view utf8, JsonWriter* out) {
  out->String(utf8.data(), static_cast<rapidjson::SizeType>(utf8.size()));
}

void WriteJsonBytes(std::string_view bytes, JsonWriter* out) {
  if (IsValidUtf8(bytes)) {
    WriteJsonString(bytes, out);
    return;
  }
  const std::string b64 = Base64Encode(bytes);
  out->StartObject();
  out->Key("b64");
  WriteJsonString(b64, out);
  out->EndObject();
}

void WriteJsonDouble(double v, JsonWriter* out) {
  // As TF Serving's WriteDecimal: our own text as a raw number token, since
  // RapidJSON's Double() knows no NaN/Infinity tokens by default and its
  // Grisu2 output is not always the shortest.
  const std::string text = FormatDouble(v);
  out->RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

Status WriteTensorJson(const HostTensor& tensor, JsonWriter* out) {
  return WriteLevel(tensor, 0, 0, out);
}

Status WriteTensorRowJson(const HostTensor& tensor, int64_t index, JsonWriter* out) {
  if (tensor.shape.empty() || index < 0 || index >= tensor.shape[0]) {
    return InvalidArgument("row format needs every input batched along dimension 0");
  }
  int64_t stride = 1;
  for (size_t d = 1; d < tensor.shape.size(); ++d) stride *= tensor.shape[d];
  return WriteLevel(tensor, 1, index * stride, out);
}

StatusOr<HostTensor> TensorFromJson(const JsonValue& value, DataType dtype) {
  std::vector<int64_t> shape = ShapeOf(value);
  std::vector<const JsonValue*> leaves;
  TFI_RETURN_IF_ERROR(CollectLeaves(value, shape, 0, &leaves));
  return FromLeaves(leaves, std::move(shape), dtype);
}

StatusOr<HostTensor> TensorFromJsonRows(const std::vector<const JsonValue*>& rows, DataType dtype) {
  std::vector<int64_t> inner = rows.empty() ? std::vector<int64_t>{} : ShapeOf(*rows[0]);
  std::vector<const JsonValue*> leaves;
  for (const JsonValue* row : rows) TFI_RETURN_IF_ERROR(CollectLeaves(*row, inner, 0, &leaves));
  std::vector<int64_t> shape = {static_cast<int64_t>(rows.size())};
  shape.insert(shape.end(), inner.begin(), inner.end());
  return FromLeaves(leaves, std::move(shape), dtype);
}

Status JsonInteger(const JsonValue& value, int64_t* out) { return ParseInteger(value, out); }
Status JsonInteger(const JsonValue& value, uint64_t* out) { return ParseInteger(value, out); }
Status JsonReal(const JsonValue& value, float* out) { return ParseReal(value, out); }
Status JsonReal(const JsonValue& value, double* out) { return ParseReal(value, out); }

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP adds a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  // EVP_DecodeBlock wants whole 4-character groups, skips surrounding
  // whitespace, reads '=' anywhere as zero bits and counts padding as output
  // bytes: so check the text first, re-pad it, and drop the padding bytes.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string padded(text);
  for (char& c : padded) {
    if (c == '-') c = '+';  // the URL-safe alphabet
    if (c == '_') c = '/';
  }
  if (padded.find_first_not_of(kAlphabet) != std::string::npos) return false;
  const size_t tail = padded.size() % 4;
  if (tail == 1) return false;  // a lone trailing 6-bit group cannot encode a byte
  const size_t pad = tail == 0 ? 0 : 4 - tail;
  padded.append(pad, '=');
  out->assign(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (n < 0 || static_cast<size_t>(n) != out->size()) return false;
  out->resize(out->size() - pad);
  return true;
}

bool IsValidUtf8(std::string_view s) {
  // RapidJSON's validator: RFC 3629 (no overlong forms, surrogates or code
  // points beyond U+10FFFF); one code point per call.
  DiscardStream sink;
  rapidjson::MemoryStream in(s.data(), s.size());
  while (in.Tell() < s.size()) {
    if (!rapidjson::UTF8<>::Validate(in, sink)) return false;
  }
  return true;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return FinishFloatText(buf, result.ptr);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  if (exp == 0x1F) return BitsFloat(sign | 0x7F800000 | (mant << 13));  // inf / NaN
  if (exp != 0) return BitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return BitsFloat(sign);  // +-0
  // Subnormal half: exactly representable as a normal float.
  const float magnitude = std::ldexp(static_cast<float>(mant), -24);
  return sign ? -magnitude : magnitude;
}

uint16_t FloatToHalf(float f) {
  const uint32_t x = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7FFFFFFF;
  if (abs > 0x7F800000) return static_cast<uint16_t>(sign | 0x7E00 | ((abs >> 13) & 0x3FF));  // NaN
  if (abs >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);  // overflow -> inf
  if (abs < 0x38800000) {  // subnormal or zero half: round |f| * 2^24 to nearest even
    const float scaled = BitsFloat(abs) * 16777216.0f;
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(scaled)));
  }
  // Normal: rebias exponent, round mantissa to nearest even.
  const uint32_t rounded = abs + 0xFFF + ((abs >> 13) & 1);
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000) >> 13));
}

float Bfloat16ToFloat(uint16_t bits) { return BitsFloat(static_cast<uint32_t>(bits) << 16); }

uint16_t FloatToBfloat16(float f) {
  const uint32_t x = FloatBits(f);
  if ((x & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((x >> 16) | 0x40);  // quiet NaN
  return static_cast<uint16_t>((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}

}  // namespace tfinterop
