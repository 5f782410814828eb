// The Open Inference Protocol's REST JSON (docs/CONTRACT.md "v2 transports"):
// a ModelInferRequest as the body of POST .../infer, and the answer back into
// a ModelInferResponse. Built on rest_json's RapidJSON reader and writers, so
// numbers follow the same rules as TF Serving's REST API: floats as the
// shortest text of their exact double value, NaN and +-Infinity as bare
// tokens, integers (int64 and uint64 beyond 2^53 included) exactly.
#ifndef TFINTEROP_V2_JSON_H_
#define TFINTEROP_V2_JSON_H_

#include <string>
#include <string_view>

#include "grpc_service.pb.h"
#include "status.h"

namespace tfinterop {

// {"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype",
// "parameters"?, "data"}], "outputs"?: [{"name", "parameters"?}]}, with `data`
// the flat row-major values: from the typed contents field of the input's
// datatype (or, for a datatype without one, the only field set), or decoded
// from its raw_input_contents entry (FP16 and BF16 as numbers). Values are
// written as the request holds them: the server judges them, not the client.
// INVALID_ARGUMENT when raw_input_contents do not pair one to one with the
// inputs or an entry does not decode; UNIMPLEMENTED for BYTES that are not
// valid UTF-8 (a JSON string cannot hold them; the protocol has no other form).
StatusOr<std::string> InferRequestJson(const inference::ModelInferRequest& request);

// {"model_name", "model_version", "id"?, "parameters"?, "outputs": [{"name",
// "shape", "datatype", "parameters"?, "data"}]} into `response`, each output's
// values in the typed field of its datatype, or every output in
// raw_output_contents when one is FP16 or BF16 (no typed field exists for
// them, and the protocol wants all outputs raw or none). `data` may be flat or
// nested. INTERNAL for a body the protocol does not allow: not JSON, no
// outputs list, an unknown datatype, a value of the wrong kind or out of the
// datatype's range, or data whose element count is not the shape's.
Status ReadInferResponseJson(std::string_view body, inference::ModelInferResponse* response);

}  // namespace tfinterop

#endif  // TFINTEROP_V2_JSON_H_
