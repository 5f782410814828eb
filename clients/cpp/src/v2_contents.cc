#include "v2_contents.h"

#include <cstdint>
#include <cstring>

namespace tfinterop {
namespace {

using tensorflow::DataType;

struct DatatypeName {
  DataType dtype;
  std::string_view name;
};

// The contract's table (after Triton's and KServe's tensorflow mappings).
constexpr DatatypeName kDatatypes[] = {
    {tensorflow::DT_BOOL, "BOOL"},     {tensorflow::DT_UINT8, "UINT8"},
    {tensorflow::DT_UINT16, "UINT16"}, {tensorflow::DT_UINT32, "UINT32"},
    {tensorflow::DT_UINT64, "UINT64"}, {tensorflow::DT_INT8, "INT8"},
    {tensorflow::DT_INT16, "INT16"},   {tensorflow::DT_INT32, "INT32"},
    {tensorflow::DT_INT64, "INT64"},   {tensorflow::DT_HALF, "FP16"},
    {tensorflow::DT_BFLOAT16, "BF16"}, {tensorflow::DT_FLOAT, "FP32"},
    {tensorflow::DT_DOUBLE, "FP64"},   {tensorflow::DT_STRING, "BYTES"},
};

template <typename T>
T Load(const HostTensor& t, int64_t i) {
  T v;
  std::memcpy(&v, t.data.data() + i * sizeof(T), sizeof(T));
  return v;
}

// Appends every element of `t` (stored as T) to `field`, widened to F.
template <typename T, typename F>
void AppendAll(const HostTensor& t, google::protobuf::RepeatedField<F>* field) {
  const int64_t n = static_cast<int64_t>(t.data.size() / sizeof(T));
  field->Reserve(field->size() + static_cast<int>(n));
  for (int64_t i = 0; i < n; ++i) field->Add(static_cast<F>(Load<T>(t, i)));
}

void AppendLittleEndian32(uint32_t v, std::string* out) {
  for (int shift = 0; shift < 32; shift += 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

}  // namespace

DataType DtypeForV2Datatype(std::string_view datatype) {
  for (const auto& entry : kDatatypes) {
    if (entry.name == datatype) return entry.dtype;
  }
  return tensorflow::DT_INVALID;
}

std::string_view V2DatatypeFor(DataType dtype) {
  for (const auto& entry : kDatatypes) {
    if (entry.dtype == dtype) return entry.name;
  }
  return "";
}

StatusOr<HostTensor> DecodeRawContents(std::string_view datatype, std::string_view raw) {
  HostTensor t;
  t.dtype = DtypeForV2Datatype(datatype);
  if (t.dtype == tensorflow::DT_INVALID) {
    return InvalidArgument("raw contents of unknown datatype '" + std::string(datatype) + "'");
  }
  if (t.dtype == tensorflow::DT_STRING) {
    size_t at = 0;
    while (at < raw.size()) {
      if (raw.size() - at < 4) {
        return InvalidArgument("raw BYTES contents end inside a 4-byte length prefix");
      }
      uint32_t length = 0;
      for (int b = 0; b < 4; ++b) {
        length |= static_cast<uint32_t>(static_cast<unsigned char>(raw[at + b])) << (8 * b);
      }
      at += 4;
      if (length > raw.size() - at) {
        return InvalidArgument("raw BYTES element " + std::to_string(t.strings.size()) +
                               " claims " + std::to_string(length) + " bytes, " +
                               std::to_string(raw.size() - at) + " remain");
      }
      t.strings.emplace_back(raw.substr(at, length));
      at += length;
    }
    t.shape = {static_cast<int64_t>(t.strings.size())};
    return t;
  }
  const size_t size = DtypeSize(t.dtype);
  if (raw.size() % size != 0) {
    return InvalidArgument("raw " + std::string(datatype) + " contents of " +
                           std::to_string(raw.size()) + " bytes are not whole " +
                           std::to_string(size) + "-byte elements");
  }
  // The protocol's raw layout is HostTensor's: packed little-endian.
  t.data.assign(raw.begin(), raw.end());
  t.shape = {static_cast<int64_t>(raw.size() / size)};
  return t;
}

std::string EncodeRawContents(const HostTensor& tensor) {
  if (tensor.dtype != tensorflow::DT_STRING) {
    return std::string(tensor.data.begin(), tensor.data.end());
  }
  std::string out;
  for (const std::string& s : tensor.strings) {
    AppendLittleEndian32(static_cast<uint32_t>(s.size()), &out);
    out += s;
  }
  return out;
}

bool EncodeTypedContents(const HostTensor& t, inference::InferTensorContents* contents) {
  switch (t.dtype) {
    case tensorflow::DT_BOOL: AppendAll<uint8_t>(t, contents->mutable_bool_contents()); break;
    case tensorflow::DT_INT8: AppendAll<int8_t>(t, contents->mutable_int_contents()); break;
    case tensorflow::DT_INT16: AppendAll<int16_t>(t, contents->mutable_int_contents()); break;
    case tensorflow::DT_INT32: AppendAll<int32_t>(t, contents->mutable_int_contents()); break;
    case tensorflow::DT_INT64: AppendAll<int64_t>(t, contents->mutable_int64_contents()); break;
    case tensorflow::DT_UINT8: AppendAll<uint8_t>(t, contents->mutable_uint_contents()); break;
    case tensorflow::DT_UINT16: AppendAll<uint16_t>(t, contents->mutable_uint_contents()); break;
    case tensorflow::DT_UINT32: AppendAll<uint32_t>(t, contents->mutable_uint_contents()); break;
    case tensorflow::DT_UINT64: AppendAll<uint64_t>(t, contents->mutable_uint64_contents()); break;
    case tensorflow::DT_FLOAT: AppendAll<float>(t, contents->mutable_fp32_contents()); break;
    case tensorflow::DT_DOUBLE: AppendAll<double>(t, contents->mutable_fp64_contents()); break;
    case tensorflow::DT_STRING:
      for (const std::string& s : t.strings) contents->add_bytes_contents(s);
      break;
    default: return false;
  }
  return true;
}

}  // namespace tfinterop
