#include "rest_json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace tfinterop {
namespace {

using tensorflow::DataType;

constexpr int kMaxDepth = 512;

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  StatusOr<JsonValue> ParseDocument() {
    JsonValue v;
    TFI_RETURN_IF_ERROR(ParseValue(&v, 0));
    SkipSpace();
    if (pos_ != s_.size()) return Error("trailing characters");
    return v;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("malformed JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool Consume(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status ParseValue(JsonValue* v, int depth) {
    if (depth > kMaxDepth) return Error("nesting too deep");
    SkipSpace();
    if (pos_ >= s_.size()) return Error("unexpected end");
    const size_t begin = pos_;
    const char c = s_[pos_];
    Status st;
    if (c == '{') {
      st = ParseObject(v, depth);
    } else if (c == '[') {
      st = ParseArray(v, depth);
    } else if (c == '"') {
      v->kind = JsonValue::Kind::kString;
      st = ParseString(&v->text);
    } else if (Consume("true")) {
      v->kind = JsonValue::Kind::kBool;
      v->boolean = true;
    } else if (Consume("false")) {
      v->kind = JsonValue::Kind::kBool;
    } else if (Consume("null")) {
      v->kind = JsonValue::Kind::kNull;
    } else if (Consume("NaN") || Consume("Infinity") || Consume("-Infinity")) {
      v->kind = JsonValue::Kind::kNumber;
      v->text = std::string(s_.substr(begin, pos_ - begin));
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      st = ParseNumber(v);
    } else {
      return Error(std::string("unexpected character '") + c + "'");
    }
    if (!st.ok()) return st;
    v->raw = s_.substr(begin, pos_ - begin);
    return OkStatus();
  }

  Status ParseNumber(JsonValue* v) {
    const size_t begin = pos_;
    auto digits = [&] {
      const size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ > start;
    };
    if (s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return Error("bad number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Error("bad number fraction");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return Error("bad number exponent");
    }
    v->kind = JsonValue::Kind::kNumber;
    v->text = std::string(s_.substr(begin, pos_ - begin));
    return OkStatus();
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > s_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }

  Status ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return Error("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return Error("bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (!Consume("\\u") || !Hex4(&low) || low < 0xDC00 || low >= 0xE000) {
              return Error("unpaired surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return Error("unpaired surrogate");
          }
          AppendUtf8(cp, out);
          break;
        }
        default: return Error("bad escape");
      }
    }
  }

  Status ParseArray(JsonValue* v, int depth) {
    v->kind = JsonValue::Kind::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return OkStatus();
    }
    while (true) {
      v->items.emplace_back();
      TFI_RETURN_IF_ERROR(ParseValue(&v->items.back(), depth + 1));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
      } else if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return OkStatus();
      } else {
        return Error("expected ',' or ']'");
      }
    }
  }

  Status ParseObject(JsonValue* v, int depth) {
    v->kind = JsonValue::Kind::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return OkStatus();
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected a member name");
      std::string key;
      TFI_RETURN_IF_ERROR(ParseString(&key));
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      v->members.emplace_back(std::move(key), JsonValue());
      TFI_RETURN_IF_ERROR(ParseValue(&v->members.back().second, depth + 1));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
      } else if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return OkStatus();
      } else {
        return Error("expected ',' or '}'");
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
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

Status AppendElement(const HostTensor& t, int64_t i, std::string* out) {
  switch (t.dtype) {
    // Narrow floats go out as the shortest text of their exact double value:
    // TF Serving reads a double and refuses anything beyond FLT_MAX (the
    // shortest float32 text of FLT_MAX, 3.4028235e+38, is), then casts.
    case tensorflow::DT_FLOAT: *out += FormatDouble(Load<float>(t, i)); break;
    case tensorflow::DT_DOUBLE: *out += FormatDouble(Load<double>(t, i)); break;
    case tensorflow::DT_HALF: *out += FormatDouble(HalfToFloat(Load<uint16_t>(t, i))); break;
    case tensorflow::DT_BFLOAT16:
      *out += FormatDouble(Bfloat16ToFloat(Load<uint16_t>(t, i)));
      break;
    case tensorflow::DT_INT8: *out += std::to_string(Load<int8_t>(t, i)); break;
    case tensorflow::DT_INT16: *out += std::to_string(Load<int16_t>(t, i)); break;
    case tensorflow::DT_INT32: *out += std::to_string(Load<int32_t>(t, i)); break;
    case tensorflow::DT_INT64: *out += std::to_string(Load<int64_t>(t, i)); break;
    case tensorflow::DT_UINT8: *out += std::to_string(Load<uint8_t>(t, i)); break;
    case tensorflow::DT_UINT16: *out += std::to_string(Load<uint16_t>(t, i)); break;
    case tensorflow::DT_UINT32: *out += std::to_string(Load<uint32_t>(t, i)); break;
    case tensorflow::DT_UINT64: *out += std::to_string(Load<uint64_t>(t, i)); break;
    case tensorflow::DT_BOOL: *out += Load<uint8_t>(t, i) ? "true" : "false"; break;
    case tensorflow::DT_STRING: AppendJsonBytes(t.strings[static_cast<size_t>(i)], out); break;
    default: return Unimplemented("REST JSON cannot carry " + DtypeName(t.dtype) + " tensors");
  }
  return OkStatus();
}

// Elements [offset, offset + prod(shape[dim:])) as nested lists.
Status AppendLevel(const HostTensor& t, size_t dim, int64_t offset, std::string* out) {
  if (dim == t.shape.size()) return AppendElement(t, offset, out);
  int64_t stride = 1;
  for (size_t d = dim + 1; d < t.shape.size(); ++d) stride *= t.shape[d];
  out->push_back('[');
  for (int64_t i = 0; i < t.shape[dim]; ++i) {
    if (i) out->push_back(',');
    TFI_RETURN_IF_ERROR(AppendLevel(t, dim + 1, offset + i * stride, out));
  }
  out->push_back(']');
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

StatusOr<JsonValue> ParseJson(std::string_view text) { return Parser(text).ParseDocument(); }

void AppendJsonString(std::string_view utf8, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char c : utf8) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[(c >> 4) & 0xF]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void AppendJsonBytes(std::string_view bytes, std::string* out) {
  if (IsValidUtf8(bytes)) {
    AppendJsonString(bytes, out);
  } else {
    *out += "{\"b64\":\"" + Base64Encode(bytes) + "\"}";
  }
}

Status AppendTensorJson(const HostTensor& tensor, std::string* out) {
  return AppendLevel(tensor, 0, 0, out);
}

Status AppendTensorRowJson(const HostTensor& tensor, int64_t index, std::string* out) {
  if (tensor.shape.empty() || index < 0 || index >= tensor.shape[0]) {
    return InvalidArgument("row format needs every input batched along dimension 0");
  }
  int64_t stride = 1;
  for (size_t d = 1; d < tensor.shape.size(); ++d) stride *= tensor.shape[d];
  return AppendLevel(tensor, 1, index * stride, out);
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

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t n =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;  // standard and URL-safe alphabets
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return bits < 6;  // a lone trailing 6-bit group cannot encode a byte
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    int extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return false;
    i += extra + 1;
  }
  return true;
}

std::string FormatFloat(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return FinishFloatText(buf, result.ptr);
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
