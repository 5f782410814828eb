// JSON for TF Serving's REST API, both ways, on RapidJSON as TF Serving
// itself (tensorflow_serving/util/json_tensor.cc): parsed with
// kParseNanAndInfFlag (NaN, Infinity and -Infinity are bare tokens), floats
// written as raw number text. Numbers keep their source text
// (kParseNumbersAsStringsFlag, into a tree of our own) so int64 beyond 2^53
// and float32 read back exactly; strings are JSON strings when valid UTF-8,
// else {"b64": ...}.
#ifndef TFINTEROP_REST_JSON_H_
#define TFINTEROP_REST_JSON_H_

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"
#include "tensor_codec.h"

namespace tfinterop {

// Compact JSON into a string buffer. TF Serving writes with PrettyWriter; the
// bytes differ only in whitespace.
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A parsed JSON value. Numbers (and the NaN/Infinity tokens) keep their text.
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // kNumber: source text; kString: decoded bytes
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;  // in source order
  std::string_view raw;  // this value's source text (valid while the input lives)

  // The member named `key`, or nullptr.
  const JsonValue* Find(std::string_view key) const;
};

// Parses `text` (which must outlive the result's `raw` views). INVALID_ARGUMENT
// with RapidJSON's message and byte offset on malformed input, or nesting
// deeper than 512.
StatusOr<JsonValue> ParseJson(std::string_view text);

// The text `out` holds so far.
std::string JsonText(const rapidjson::StringBuffer& out);

// Writes a JSON string for valid UTF-8 `bytes`, else {"b64": "..."}.
void WriteJsonBytes(std::string_view bytes, JsonWriter* out);
void WriteJsonString(std::string_view utf8, JsonWriter* out);
// The shortest text of `v` (FormatDouble) as a raw number token.
void WriteJsonDouble(double v, JsonWriter* out);

// Writes `tensor` as nested lists following its shape (a scalar bare), or
// only its slice `index` along dimension 0 (row format). Floats of every
// width are written as the shortest text of their exact double value, which
// TF Serving's double-then-cast reader maps back to the same bits.
// UNIMPLEMENTED for dtypes REST cannot carry (complex).
Status WriteTensorJson(const HostTensor& tensor, JsonWriter* out);
Status WriteTensorRowJson(const HostTensor& tensor, int64_t index, JsonWriter* out);

// A tensor of `dtype` from nested lists (shape from the nesting), or from a
// list of rows stacked along a new dimension 0. INVALID_ARGUMENT on ragged
// nesting or a value the dtype cannot hold.
StatusOr<HostTensor> TensorFromJson(const JsonValue& value, tensorflow::DataType dtype);
StatusOr<HostTensor> TensorFromJsonRows(const std::vector<const JsonValue*>& rows,
                                        tensorflow::DataType dtype);

// One JSON number into a C++ value, by the rules TensorFromJson applies per
// element: an integer must be an integer token (no '.', exponent, NaN or
// Infinity) within the type's range; a real is any number token, NaN and
// +-Infinity included, rounded once to the type. INVALID_ARGUMENT otherwise.
Status JsonInteger(const JsonValue& value, int64_t* out);
Status JsonInteger(const JsonValue& value, uint64_t* out);
Status JsonReal(const JsonValue& value, float* out);
Status JsonReal(const JsonValue& value, double* out);

// Base64 (RFC 4648) through OpenSSL: encoding padded; decoding takes the
// standard or URL-safe alphabet, padding optional, and fails on any other
// character (whitespace included) or a dangling 6-bit group.
std::string Base64Encode(std::string_view bytes);
bool Base64Decode(std::string_view text, std::string* out);
bool IsValidUtf8(std::string_view bytes);

// Shortest text that parses back to the same double bits; NaN, Infinity and
// -Infinity as bare tokens; always looks like a float ("1.0").
std::string FormatDouble(double v);

// IEEE half and bfloat16 bits <-> float (round to nearest even).
float HalfToFloat(uint16_t bits);
uint16_t FloatToHalf(float v);
float Bfloat16ToFloat(uint16_t bits);
uint16_t FloatToBfloat16(float v);

}  // namespace tfinterop

#endif  // TFINTEROP_REST_JSON_H_
