// The Open Inference Protocol's tensor datatypes ("FP32", "BYTES", ...) as
// TensorFlow dtypes (docs/CONTRACT.md "v2 transports"), and one tensor's
// values between HostTensor and the protocol's two encodings: typed
// InferTensorContents fields, or little-endian raw bytes (raw_input_contents,
// raw_output_contents; BYTES as a 4-byte little-endian length per element).
#ifndef TFINTEROP_V2_CONTENTS_H_
#define TFINTEROP_V2_CONTENTS_H_

#include <string>
#include <string_view>

#include "grpc_service.pb.h"
#include "status.h"
#include "tensor_codec.h"

namespace tfinterop {

// DT_FLOAT for "FP32" and so on; DT_INVALID for a name the protocol lacks.
tensorflow::DataType DtypeForV2Datatype(std::string_view datatype);
// "FP32" for DT_FLOAT and so on; "" for a dtype with no v2 datatype (complex).
std::string_view V2DatatypeFor(tensorflow::DataType dtype);

// The values of one raw contents entry, flat (shape {n}), typed by
// `datatype`. INVALID_ARGUMENT for an unknown datatype, a size that is not a
// whole number of elements, or a BYTES length prefix that overruns the entry.
StatusOr<HostTensor> DecodeRawContents(std::string_view datatype, std::string_view raw);

// `tensor`'s values in the protocol's raw form.
std::string EncodeRawContents(const HostTensor& tensor);

// `tensor`'s values into the typed field of its datatype (int_contents for
// INT8..INT32, uint_contents for UINT8..UINT32, ...). False, and nothing
// written, for FP16 and BF16, which have no typed field.
bool EncodeTypedContents(const HostTensor& tensor, inference::InferTensorContents* contents);

}  // namespace tfinterop

#endif  // TFINTEROP_V2_CONTENTS_H_
