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

// Copies a TF_Tensor out; INTERNAL for a dtype the client cannot carry.
StatusOr<HostTensor> FromTfTensor(const TfApi& api, const TF_Tensor* tensor);

}  // namespace tfinterop

#endif  // TFINTEROP_TF_TENSOR_H_
