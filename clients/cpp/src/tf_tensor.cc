#include "tf_tensor.h"

#include <algorithm>
#include <cstring>

namespace tfinterop {

StatusOr<TensorPtr> ToTfTensor(const TfApi& api, const HostTensor& t) {
  const int64_t n = t.NumElements();
  const bool is_string = t.dtype == tensorflow::DT_STRING;
  const size_t bytes = is_string ? static_cast<size_t>(n) * sizeof(TF_TString) : t.data.size();
  if (!is_string && bytes != static_cast<size_t>(n) * DtypeSize(t.dtype)) {
    return Internal("host tensor holds " + std::to_string(bytes) + " bytes for " +
                    std::to_string(n) + " " + DtypeName(t.dtype) + " elements");
  }
  TensorPtr out(api.TF_AllocateTensor(static_cast<TF_DataType>(t.dtype), t.shape.data(),
                                      static_cast<int>(t.shape.size()), bytes),
                TfDeleter{&api, /*owns_strings=*/is_string});
  if (out == nullptr) return Internal("TF_AllocateTensor failed for " + DtypeName(t.dtype));
  if (is_string) {
    // Initialise every element first so the deleter may release them all.
    auto* dst = static_cast<TF_TString*>(api.TF_TensorData(out.get()));
    for (int64_t i = 0; i < n; ++i) api.TF_StringInit(&dst[i]);
    for (int64_t i = 0; i < n; ++i) {
      api.TF_StringCopy(&dst[i], t.strings[i].data(), t.strings[i].size());
    }
  } else if (bytes > 0) {
    std::memcpy(api.TF_TensorData(out.get()), t.data.data(), bytes);
  }
  return out;
}

StatusOr<TensorPtr> ToTfTensor(const TfApi& api, const tensorflow::TensorProto& proto) {
  auto shaped = DecodeTensorShape(proto);
  if (!shaped.ok()) return shaped.status();
  const HostTensor& t = shaped.value();
  if (t.dtype == tensorflow::DT_STRING) {
    // Each element becomes a TF_TString: through the host form.
    const auto decoded = DecodeTensorProto(proto);
    if (!decoded.ok()) return decoded.status();
    return ToTfTensor(api, decoded.value());
  }
  const int64_t n = t.NumElements();
  TensorPtr out(api.TF_AllocateTensor(static_cast<TF_DataType>(t.dtype), t.shape.data(),
                                      static_cast<int>(t.shape.size()),
                                      static_cast<size_t>(n) * DtypeSize(t.dtype)),
                TfDeleter{&api});
  if (out == nullptr) return Internal("TF_AllocateTensor failed for " + DtypeName(t.dtype));
  if (n == 0) return out;
  TFI_RETURN_IF_ERROR(
      DecodeTensorValues(proto, n, static_cast<uint8_t*>(api.TF_TensorData(out.get()))));
  return out;
}

namespace {

// True when `t` may take `proto`'s values in place: see DecodeIntoTfTensor.
bool Reusable(const TfApi& api, const tensorflow::TensorProto& proto, int64_t n, TensorPtr* t) {
  if (*t == nullptr || proto.dtype() == tensorflow::DT_STRING) return false;
  if (static_cast<tensorflow::DataType>(api.TF_TensorType(t->get())) != proto.dtype()) return false;
  const auto& dims = proto.tensor_shape().dim();
  if (api.TF_NumDims(t->get()) != dims.size()) return false;
  for (int i = 0; i < dims.size(); ++i) {
    if (api.TF_Dim(t->get(), i) != dims[i].size()) return false;
  }
  const size_t bytes = static_cast<size_t>(n) * DtypeSize(proto.dtype());
  if (bytes > kMaxKeptInputBytes || api.TF_TensorByteSize(t->get()) != bytes) return false;
  // Documented to return a new tensor (the old one deleted) or nullptr with
  // `t` untouched; TF 2.21 returns `t` itself when nothing else holds its buffer.
  TF_Tensor* const raw = t->release();
  TF_Tensor* const moved = api.TF_TensorMaybeMove(raw);
  t->reset(moved != nullptr ? moved : raw);
  return moved != nullptr;
}

}  // namespace

Status DecodeIntoTfTensor(const TfApi& api, const tensorflow::TensorProto& proto, TensorPtr* kept) {
  const auto count = CheckedElementCount(proto);
  if (!count.ok()) return count.status();
  const int64_t n = count.value();
  if (!Reusable(api, proto, n, kept)) {
    auto fresh = ToTfTensor(api, proto);
    if (!fresh.ok()) return fresh.status();
    *kept = std::move(fresh).value();
    return OkStatus();
  }
  if (n == 0) return OkStatus();
  return DecodeTensorValues(proto, n, static_cast<uint8_t*>(api.TF_TensorData(kept->get())));
}

namespace {

// INTERNAL unless a numeric tensor's buffer holds exactly `n` elements of `dtype`.
Status CheckBufferSize(tensorflow::DataType dtype, int64_t n, size_t bytes) {
  if (bytes == static_cast<size_t>(n) * DtypeSize(dtype)) return OkStatus();
  return Internal("tensor buffer of " + std::to_string(bytes) + " bytes does not match " +
                  std::to_string(n) + " " + DtypeName(dtype) + " elements");
}

// The dtype and shape of `tensor`, and the byte size its dtype and shape need
// (numeric dtypes); INTERNAL for a dtype or a buffer the client cannot carry.
StatusOr<HostTensor> ShapeOf(const TfApi& api, const TF_Tensor* tensor) {
  HostTensor t;
  t.dtype = static_cast<tensorflow::DataType>(api.TF_TensorType(tensor));
  if (!IsServingDtype(t.dtype)) {
    return Internal("model output has dtype " + DtypeName(t.dtype) +
                    ", which a TensorProto response cannot carry");
  }
  const int dims = api.TF_NumDims(tensor);
  t.shape.reserve(static_cast<size_t>(std::max(dims, 0)));
  for (int i = 0; i < dims; ++i) t.shape.push_back(api.TF_Dim(tensor, i));
  const int64_t n = t.NumElements();
  const size_t bytes = api.TF_TensorByteSize(tensor);
  if (t.dtype == tensorflow::DT_STRING) {
    if (bytes < static_cast<size_t>(n) * sizeof(TF_TString)) {
      return Internal("string tensor buffer is smaller than its shape");
    }
  } else if (Status st = CheckBufferSize(t.dtype, n, bytes); !st.ok()) {
    return st;
  }
  return t;
}

}  // namespace

StatusOr<HostTensor> FromTfTensor(const TfApi& api, const TF_Tensor* tensor) {
  auto shaped = ShapeOf(api, tensor);
  if (!shaped.ok()) return shaped.status();
  HostTensor t = std::move(shaped).value();
  const int64_t n = t.NumElements();
  const void* data = api.TF_TensorData(tensor);
  if (t.dtype == tensorflow::DT_STRING) {
    const auto* src = static_cast<const TF_TString*>(data);
    t.strings.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      t.strings.emplace_back(api.TF_StringGetDataPointer(&src[i]), api.TF_StringGetSize(&src[i]));
    }
    return t;
  }
  const auto* begin = static_cast<const uint8_t*>(data);
  t.data.assign(begin, begin + api.TF_TensorByteSize(tensor));
  return t;
}

namespace {

// ToTensorProto through a HostTensor copy: strings, and the errors of a
// dtype no TensorProto carries.
Status ToTensorProtoViaHost(const TfApi& api, const TF_Tensor* tensor,
                            tensorflow::TensorProto* proto) {
  const auto host = FromTfTensor(api, tensor);
  if (!host.ok()) return host.status();
  EncodeTensorProto(host.value(), proto);
  return OkStatus();
}

}  // namespace

Status ToTensorProto(const TfApi& api, const TF_Tensor* tensor, tensorflow::TensorProto* proto) {
  const auto dtype = static_cast<tensorflow::DataType>(api.TF_TensorType(tensor));
  if (dtype == tensorflow::DT_STRING || !IsServingDtype(dtype)) {
    return ToTensorProtoViaHost(api, tensor, proto);
  }
  proto->Clear();
  proto->set_dtype(dtype);
  auto* shape = proto->mutable_tensor_shape();  // set even for a scalar, as EncodeTensorProto does
  const int dims = api.TF_NumDims(tensor);
  int64_t n = 1;
  for (int i = 0; i < dims; ++i) {
    const int64_t d = api.TF_Dim(tensor, i);
    shape->add_dim()->set_size(d);
    n *= d;
  }
  if (Status st = CheckBufferSize(dtype, n, api.TF_TensorByteSize(tensor)); !st.ok()) return st;
  EncodeTensorValues(dtype, static_cast<const uint8_t*>(api.TF_TensorData(tensor)), n, proto);
  return OkStatus();
}

}  // namespace tfinterop
