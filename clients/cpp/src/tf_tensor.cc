#include "tf_tensor.h"

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

StatusOr<HostTensor> FromTfTensor(const TfApi& api, const TF_Tensor* tensor) {
  HostTensor t;
  t.dtype = static_cast<tensorflow::DataType>(api.TF_TensorType(tensor));
  if (!IsServingDtype(t.dtype)) {
    return Internal("model output has dtype " + DtypeName(t.dtype) +
                    ", which a TensorProto response cannot carry");
  }
  const int dims = api.TF_NumDims(tensor);
  for (int i = 0; i < dims; ++i) t.shape.push_back(api.TF_Dim(tensor, i));
  const int64_t n = t.NumElements();
  const void* data = api.TF_TensorData(tensor);
  const size_t bytes = api.TF_TensorByteSize(tensor);
  if (t.dtype == tensorflow::DT_STRING) {
    if (bytes < static_cast<size_t>(n) * sizeof(TF_TString)) {
      return Internal("string tensor buffer is smaller than its shape");
    }
    const auto* src = static_cast<const TF_TString*>(data);
    t.strings.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      t.strings.emplace_back(api.TF_StringGetDataPointer(&src[i]), api.TF_StringGetSize(&src[i]));
    }
    return t;
  }
  if (bytes != static_cast<size_t>(n) * DtypeSize(t.dtype)) {
    return Internal("tensor buffer of " + std::to_string(bytes) + " bytes does not match " +
                    std::to_string(n) + " " + DtypeName(t.dtype) + " elements");
  }
  const auto* begin = static_cast<const uint8_t*>(data);
  t.data.assign(begin, begin + bytes);
  return t;
}

}  // namespace tfinterop
