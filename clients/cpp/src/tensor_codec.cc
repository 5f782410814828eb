#include "tensor_codec.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace tfinterop {
namespace {

using tensorflow::DataType;
using tensorflow::TensorProto;

// Fills `out` (n elements of T) from a repeated field as FromProtoField does:
// copy the first min(size, n) values (a longer list is served, not refused),
// then pad with the last value (T() when the field is empty).
template <typename T, typename Field>
void FillCast(const Field& field, int64_t n, uint8_t* out) {
  const int64_t have = std::min<int64_t>(field.size(), n);
  T* dst = reinterpret_cast<T*>(out);
  if constexpr (std::is_same_v<T, typename Field::value_type>) {
    // float_val into float and the like: one copy, not a cast per element
    // (a 28x28 image costs 784 casts otherwise).
    if (have > 0) std::memcpy(dst, field.data(), static_cast<size_t>(have) * sizeof(T));
  } else {
    for (int64_t i = 0; i < have; ++i) dst[i] = static_cast<T>(field.Get(static_cast<int>(i)));
  }
  const T pad = have > 0 ? dst[have - 1] : T();
  for (int64_t i = have; i < n; ++i) dst[i] = pad;
}

// Reads TF's tensor_content encoding of strings: n varint32 lengths, then the bytes.
Status DecodeStringContent(const std::string& content, int64_t n, std::vector<std::string>* out) {
  size_t pos = 0;
  std::vector<uint32_t> lengths;
  lengths.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    for (int shift = 0;; shift += 7) {
      if (pos >= content.size() || shift > 28) {
        return InvalidArgument("string tensor_content has a truncated length prefix");
      }
      const uint8_t b = static_cast<uint8_t>(content[pos++]);
      len |= static_cast<uint32_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    lengths.push_back(len);
  }
  for (uint32_t len : lengths) {
    if (content.size() - pos < len) return InvalidArgument("string tensor_content is truncated");
    out->emplace_back(content, pos, len);
    pos += len;
  }
  if (pos != content.size()) return InvalidArgument("string tensor_content has trailing bytes");
  return OkStatus();
}

template <typename T, typename Field>
void AppendAll(const uint8_t* data, int64_t n, Field* field) {
  const T* src = reinterpret_cast<const T*>(data);
  if constexpr (std::is_same_v<T, typename Field::value_type>) {
    field->Add(src, src + n);  // one copy of the block
  } else {
    field->Reserve(static_cast<int>(n));
    for (int64_t i = 0; i < n; ++i) field->Add(src[i]);
  }
}

// One dimension of a shape as TensorShape checks it: n *= d, refusing a
// negative size or a count beyond kMaxElements.
Status MultiplyDim(int64_t d, int64_t* n) {
  if (d < 0) return InvalidArgument("tensor shape has a negative dimension");
  if (d != 0 && *n > kMaxElements / d) {
    return InvalidArgument("tensor shape has too many elements (more than 2^31)");
  }
  *n *= d;
  return OkStatus();
}

}  // namespace

int64_t HostTensor::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

size_t DtypeSize(DataType dtype) {
  switch (dtype) {
    case tensorflow::DT_FLOAT: return 4;
    case tensorflow::DT_DOUBLE: return 8;
    case tensorflow::DT_HALF:
    case tensorflow::DT_BFLOAT16: return 2;
    case tensorflow::DT_INT8:
    case tensorflow::DT_UINT8:
    case tensorflow::DT_BOOL: return 1;
    case tensorflow::DT_INT16:
    case tensorflow::DT_UINT16: return 2;
    case tensorflow::DT_INT32:
    case tensorflow::DT_UINT32: return 4;
    case tensorflow::DT_INT64:
    case tensorflow::DT_UINT64: return 8;
    case tensorflow::DT_COMPLEX64: return 8;
    case tensorflow::DT_COMPLEX128: return 16;
    default: return 0;
  }
}

bool IsServingDtype(DataType dtype) {
  return dtype == tensorflow::DT_STRING || DtypeSize(dtype) > 0;
}

std::string DtypeName(DataType dtype) {
  switch (dtype) {
    case tensorflow::DT_FLOAT: return "float";
    case tensorflow::DT_DOUBLE: return "double";
    case tensorflow::DT_HALF: return "half";
    case tensorflow::DT_BFLOAT16: return "bfloat16";
    case tensorflow::DT_INT8: return "int8";
    case tensorflow::DT_INT16: return "int16";
    case tensorflow::DT_INT32: return "int32";
    case tensorflow::DT_INT64: return "int64";
    case tensorflow::DT_UINT8: return "uint8";
    case tensorflow::DT_UINT16: return "uint16";
    case tensorflow::DT_UINT32: return "uint32";
    case tensorflow::DT_UINT64: return "uint64";
    case tensorflow::DT_BOOL: return "bool";
    case tensorflow::DT_STRING: return "string";
    case tensorflow::DT_COMPLEX64: return "complex64";
    case tensorflow::DT_COMPLEX128: return "complex128";
    default: {
      const std::string& name = tensorflow::DataType_Name(dtype);
      return name.empty() ? "dtype " + std::to_string(static_cast<int>(dtype)) : name;
    }
  }
}

StatusOr<int64_t> CheckedNumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) TFI_RETURN_IF_ERROR(MultiplyDim(d, &n));
  return n;
}

StatusOr<int64_t> CheckedElementCount(const TensorProto& proto) {
  if (!IsServingDtype(proto.dtype())) {
    return InvalidArgument("unsupported tensor dtype " + DtypeName(proto.dtype()));
  }
  if (proto.tensor_shape().unknown_rank()) return InvalidArgument("tensor shape has unknown rank");
  int64_t n = 1;
  for (const auto& dim : proto.tensor_shape().dim())
    TFI_RETURN_IF_ERROR(MultiplyDim(dim.size(), &n));
  return n;
}

StatusOr<HostTensor> DecodeTensorShape(const TensorProto& proto) {
  const auto count = CheckedElementCount(proto);
  if (!count.ok()) return count.status();
  HostTensor t;
  t.dtype = proto.dtype();
  t.shape.reserve(proto.tensor_shape().dim_size());
  for (const auto& dim : proto.tensor_shape().dim()) t.shape.push_back(dim.size());
  return t;
}

Status DecodeTensorValues(const TensorProto& proto, int64_t n, uint8_t* dst) {
  const DataType dtype = proto.dtype();
  const size_t item = DtypeSize(dtype);
  if (item == 0) return InvalidArgument("unsupported tensor dtype " + DtypeName(dtype));
  if (!proto.tensor_content().empty()) {
    const std::string& content = proto.tensor_content();
    if (content.size() != static_cast<size_t>(n) * item) {
      return InvalidArgument("tensor_content holds " + std::to_string(content.size()) +
                             " bytes but " + DtypeName(dtype) + " with " + std::to_string(n) +
                             " elements needs " + std::to_string(n * item));
    }
    std::memcpy(dst, content.data(), content.size());
    return OkStatus();
  }

  switch (dtype) {
    case tensorflow::DT_FLOAT: FillCast<float>(proto.float_val(), n, dst); break;
    case tensorflow::DT_DOUBLE: FillCast<double>(proto.double_val(), n, dst); break;
    case tensorflow::DT_HALF:
    case tensorflow::DT_BFLOAT16:
      // half_val carries the 16 raw bits of each value in an int32.
      FillCast<uint16_t>(proto.half_val(), n, dst);
      break;
    case tensorflow::DT_INT8: FillCast<int8_t>(proto.int_val(), n, dst); break;
    case tensorflow::DT_INT16: FillCast<int16_t>(proto.int_val(), n, dst); break;
    case tensorflow::DT_INT32: FillCast<int32_t>(proto.int_val(), n, dst); break;
    case tensorflow::DT_UINT8: FillCast<uint8_t>(proto.int_val(), n, dst); break;
    case tensorflow::DT_UINT16: FillCast<uint16_t>(proto.int_val(), n, dst); break;
    case tensorflow::DT_INT64: FillCast<int64_t>(proto.int64_val(), n, dst); break;
    case tensorflow::DT_UINT32: FillCast<uint32_t>(proto.uint32_val(), n, dst); break;
    case tensorflow::DT_UINT64: FillCast<uint64_t>(proto.uint64_val(), n, dst); break;
    case tensorflow::DT_BOOL: FillCast<bool>(proto.bool_val(), n, dst); break;
    case tensorflow::DT_COMPLEX64:
    case tensorflow::DT_COMPLEX128: {
      // (real, imag) pairs, counted as ProtoHelper<complex>::NumElements does
      // (components / 2, so a dangling real part is never read); the first n
      // pairs are kept and the last pair pads the rest.
      const bool is64 = dtype == tensorflow::DT_COMPLEX64;
      const int64_t pairs = (is64 ? proto.scomplex_val_size() : proto.dcomplex_val_size()) / 2;
      std::memset(dst, 0, static_cast<size_t>(n) * item);
      if (pairs == 0) break;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t src = std::min<int64_t>(i, pairs - 1);
        for (int part = 0; part < 2; ++part) {
          uint8_t* at = dst + i * item + part * item / 2;
          if (is64) {
            const float v = proto.scomplex_val(static_cast<int>(2 * src + part));
            std::memcpy(at, &v, sizeof v);
          } else {
            const double v = proto.dcomplex_val(static_cast<int>(2 * src + part));
            std::memcpy(at, &v, sizeof v);
          }
        }
      }
      break;
    }
    default: return InvalidArgument("unsupported tensor dtype " + DtypeName(dtype));
  }
  return OkStatus();
}

StatusOr<HostTensor> DecodeTensorProto(const TensorProto& proto) {
  auto shaped = DecodeTensorShape(proto);
  if (!shaped.ok()) return shaped.status();
  HostTensor t = std::move(shaped).value();
  const int64_t n = t.NumElements();
  if (t.dtype == tensorflow::DT_STRING) {
    if (!proto.tensor_content().empty()) {
      TFI_RETURN_IF_ERROR(DecodeStringContent(proto.tensor_content(), n, &t.strings));
      return t;
    }
    // Truncated and padded like the numeric fields.
    const int64_t have = std::min<int64_t>(proto.string_val_size(), n);
    t.strings.assign(proto.string_val().begin(), proto.string_val().begin() + have);
    t.strings.resize(static_cast<size_t>(n), have > 0 ? t.strings[have - 1] : "");
    return t;
  }
  t.data.resize(static_cast<size_t>(n) * DtypeSize(t.dtype));
  TFI_RETURN_IF_ERROR(DecodeTensorValues(proto, n, t.data.data()));
  return t;
}

void EncodeTensorProto(const HostTensor& t, TensorProto* proto, bool as_content) {
  if (t.dtype != tensorflow::DT_STRING) {
    EncodeTensorProto(t.dtype, t.shape, t.data.data(), proto, as_content);
    return;
  }
  proto->Clear();
  proto->set_dtype(t.dtype);
  // Set even for a scalar, as TensorShape::AsProto(mutable_tensor_shape()) does:
  // TF Serving's scalar outputs carry an empty tensor_shape, not none.
  auto* shape = proto->mutable_tensor_shape();
  for (int64_t d : t.shape) shape->add_dim()->set_size(d);
  for (const std::string& s : t.strings) proto->add_string_val(s);
}

void EncodeTensorProto(DataType dtype, const std::vector<int64_t>& dims, const uint8_t* data,
                       TensorProto* proto, bool as_content) {
  proto->Clear();
  proto->set_dtype(dtype);
  auto* shape = proto->mutable_tensor_shape();  // set even for a scalar, as above
  int64_t n = 1;
  for (int64_t d : dims) {
    shape->add_dim()->set_size(d);
    n *= d;
  }
  if (as_content) {
    proto->set_tensor_content(reinterpret_cast<const char*>(data),
                              static_cast<size_t>(n) * DtypeSize(dtype));
    return;
  }
  EncodeTensorValues(dtype, data, n, proto);
}

void EncodeTensorValues(DataType dtype, const uint8_t* data, int64_t n, TensorProto* proto) {
  switch (dtype) {
    case tensorflow::DT_FLOAT: AppendAll<float>(data, n, proto->mutable_float_val()); break;
    case tensorflow::DT_DOUBLE: AppendAll<double>(data, n, proto->mutable_double_val()); break;
    case tensorflow::DT_HALF:
    case tensorflow::DT_BFLOAT16: AppendAll<uint16_t>(data, n, proto->mutable_half_val()); break;
    case tensorflow::DT_INT8: AppendAll<int8_t>(data, n, proto->mutable_int_val()); break;
    case tensorflow::DT_INT16: AppendAll<int16_t>(data, n, proto->mutable_int_val()); break;
    case tensorflow::DT_INT32: AppendAll<int32_t>(data, n, proto->mutable_int_val()); break;
    case tensorflow::DT_UINT8: AppendAll<uint8_t>(data, n, proto->mutable_int_val()); break;
    case tensorflow::DT_UINT16: AppendAll<uint16_t>(data, n, proto->mutable_int_val()); break;
    case tensorflow::DT_INT64: AppendAll<int64_t>(data, n, proto->mutable_int64_val()); break;
    case tensorflow::DT_UINT32: AppendAll<uint32_t>(data, n, proto->mutable_uint32_val()); break;
    case tensorflow::DT_UINT64: AppendAll<uint64_t>(data, n, proto->mutable_uint64_val()); break;
    case tensorflow::DT_BOOL: AppendAll<bool>(data, n, proto->mutable_bool_val()); break;
    case tensorflow::DT_COMPLEX64: {
      const float* src = reinterpret_cast<const float*>(data);
      for (int64_t i = 0; i < 2 * n; ++i) proto->add_scomplex_val(src[i]);
      break;
    }
    case tensorflow::DT_COMPLEX128: {
      const double* src = reinterpret_cast<const double*>(data);
      for (int64_t i = 0; i < 2 * n; ++i) proto->add_dcomplex_val(src[i]);
      break;
    }
    default: break;
  }
}

}  // namespace tfinterop
