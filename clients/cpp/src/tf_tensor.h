// HostTensor <-> TF_Tensor through the dlsym'd C API; strings as TF_TString.
#ifndef TFINTEROP_TF_TENSOR_H_
#define TFINTEROP_TF_TENSOR_H_

#include "status.h"
#include "tensor_codec.h"
#include "tf_api.h"

namespace tfinterop {

// A TF_Tensor owning a copy of `tensor`; string elements become TF_TStrings,
// released with the handle (see TfDeleter::owns_strings).
StatusOr<TensorPtr> ToTfTensor(const TfApi& api, const HostTensor& tensor);

// A TF_Tensor decoded from `proto` as DecodeTensorProto decodes it (its
// INVALID_ARGUMENT errors), numeric values written straight into the tensor.
StatusOr<TensorPtr> ToTfTensor(const TfApi& api, const tensorflow::TensorProto& proto);

// The largest input tensor DecodeIntoTfTensor keeps for the next request:
// larger ones are allocated per request, as a kept one would hold its memory
// between calls for little gain.
inline constexpr size_t kMaxKeptInputBytes = size_t{1} << 20;

// ToTfTensor(api, proto) into `*kept`, writing the values into the tensor it
// already holds when that one has the proto's numeric dtype and shape, is at
// most kMaxKeptInputBytes, and TensorFlow holds no reference to its buffer
// (TF_TensorMaybeMove: a run may keep a fed tensor); else into a new tensor
// that replaces it. ToTfTensor's errors (`*kept` unspecified then).
Status DecodeIntoTfTensor(const TfApi& api, const tensorflow::TensorProto& proto, TensorPtr* kept);

// Copies a TF_Tensor out; INTERNAL for a dtype the client cannot carry.
StatusOr<HostTensor> FromTfTensor(const TfApi& api, const TF_Tensor* tensor);

// Encodes a TF_Tensor as EncodeTensorProto does (typed fields), numeric values
// read in place and the shape written straight into `proto` (whose cleared
// fields keep their memory); FromTfTensor's errors.
Status ToTensorProto(const TfApi& api, const TF_Tensor* tensor, tensorflow::TensorProto* proto);

}  // namespace tfinterop

#endif  // TFINTEROP_TF_TENSOR_H_
