// TensorProto <-> HostTensor, with the checks TensorFlow's Tensor::FromProto
// makes. HostTensor is the neutral form every transport converts through:
// TF_Tensor (inproc), TensorProto (grpc, results) and JSON (rest).
#ifndef TFINTEROP_TENSOR_CODEC_H_
#define TFINTEROP_TENSOR_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/types.pb.h"

namespace tfinterop {

// A hostile shape can claim 10^12 elements; refuse before allocating.
inline constexpr int64_t kMaxElements = int64_t{1} << 31;

// A dense tensor in host memory: numeric values packed little-endian in
// `data` (TensorFlow's in-memory layout), strings as raw bytes.
struct HostTensor {
  tensorflow::DataType dtype = tensorflow::DT_INVALID;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;         // every dtype but DT_STRING
  std::vector<std::string> strings;  // DT_STRING

  int64_t NumElements() const;
};

// Bytes per element of a fixed-size dtype; 0 for DT_STRING and unsupported dtypes.
size_t DtypeSize(tensorflow::DataType dtype);
// TensorFlow's short name ("float", "int64", "string"), as in its error messages.
std::string DtypeName(tensorflow::DataType dtype);
// True for the dtypes TF Serving carries in a TensorProto.
bool IsServingDtype(tensorflow::DataType dtype);

// Checks a shape as TensorShape does: known rank, no negative size, element
// count within kMaxElements. INVALID_ARGUMENT otherwise.
StatusOr<int64_t> CheckedNumElements(const std::vector<int64_t>& shape);
// The element count of `proto`'s dtype and shape, with DecodeTensorShape's
// checks and errors, without copying the shape (the in-process transport's
// per-request path).
StatusOr<int64_t> CheckedElementCount(const tensorflow::TensorProto& proto);

// Decodes tensor_content or the typed *_val field. A typed list is fitted to the
// shape as Tensor::FromProto fits it: the first n values of a longer list are
// kept, a short list is padded with its last value (zero or "" when empty).
// INVALID_ARGUMENT for a bad dtype or shape, or tensor_content whose size does
// not match the shape.
StatusOr<HostTensor> DecodeTensorProto(const tensorflow::TensorProto& proto);

// DecodeTensorProto in two steps, for a caller that owns the destination
// memory (the in-process transport decodes straight into a TF_Tensor): the
// dtype and shape, checked as DecodeTensorProto checks them (`data` and
// `strings` left empty); then the values of a fixed-size dtype into `dst`,
// which holds n * DtypeSize(dtype) bytes. Same errors as DecodeTensorProto.
StatusOr<HostTensor> DecodeTensorShape(const tensorflow::TensorProto& proto);
Status DecodeTensorValues(const tensorflow::TensorProto& proto, int64_t n, uint8_t* dst);

// Encodes as TF Serving answers (Tensor::AsProtoField: typed fields), or as
// tensor_content when `as_content` (numeric dtypes only).
void EncodeTensorProto(const HostTensor& tensor, tensorflow::TensorProto* proto,
                       bool as_content = false);
// Same for a fixed-size dtype whose values (n * DtypeSize bytes, packed) lie
// at `data`, wherever they live (the in-process transport's TF_Tensors).
void EncodeTensorProto(tensorflow::DataType dtype, const std::vector<int64_t>& shape,
                       const uint8_t* data, tensorflow::TensorProto* proto,
                       bool as_content = false);
// The typed-field half of EncodeTensorProto: appends the n values at `data`
// (a fixed-size dtype) to `proto`'s field for `dtype`, which is left as is
// otherwise.
void EncodeTensorValues(tensorflow::DataType dtype, const uint8_t* data, int64_t n,
                        tensorflow::TensorProto* proto);

}  // namespace tfinterop

#endif  // TFINTEROP_TENSOR_CODEC_H_
