// rest: TF Serving's REST API (/v1/models/...) over libcurl, JSON bodies as
// docs/CONTRACT.md specifies, responses turned back into protos using the
// signature from the model's metadata.
#ifndef TFINTEROP_REST_TRANSPORT_H_
#define TFINTEROP_REST_TRANSPORT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_serving/apis/input.pb.h"
#include "tensorflow_serving/apis/model.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "transport.h"

namespace tfinterop {

// The REST endpoints the transport calls (TF Serving's REST API has no
// multi_inference: UNIMPLEMENTED).
const std::vector<Api>& RestApis();

// A transport to `base_url` (e.g. http://127.0.0.1:8501). An unreachable
// server shows up per call as UNAVAILABLE.
std::unique_ptr<Transport> MakeRestTransport(const std::string& base_url,
                                             std::chrono::milliseconds deadline);

// The bodies the transport writes and reads, public so that the shared codec
// vectors (build/vectors/rest_json.json, docs/CONTRACT.md) test these very
// functions.

// A predict request body and the format it is in.
struct PredictBody {
  std::string json;
  RestFormat format = RestFormat::kColumnar;
};

// {"signature_name"?, "inputs": {alias: tensor}} or, in row format,
// {"signature_name"?, "instances": [one entry per batch row]} (columnar when
// there are no inputs to batch). INVALID_ARGUMENT for an output_filter (no REST
// form), an input that does not decode, or a row request with a scalar input or
// inputs of different batch sizes; UNIMPLEMENTED for a dtype JSON cannot carry.
StatusOr<PredictBody> PredictRequestJson(const tensorflow::serving::PredictRequest& request,
                                         RestFormat format);

// {"signature_name"?, "context"?, "examples": [...]} for classify and regress.
std::string ExamplesRequestJson(const tensorflow::serving::ModelSpec& spec,
                                const tensorflow::serving::Input& input);

// The outputs of a predict response to a request written in `format`
// ("outputs" or "predictions"), typed by the signature's output dtypes, since
// the JSON names no dtype (nor the output, when there is one). INTERNAL for a
// body TF Serving never writes: not JSON, the wrong key, a missing output,
// ragged nesting, a value of the wrong kind or out of range, bad base64.
Status ReadPredictResponseJson(std::string_view body,
                               const std::map<std::string, tensorflow::DataType>& outputs,
                               RestFormat format, tensorflow::serving::PredictResponse* response);

}  // namespace tfinterop

#endif  // TFINTEROP_REST_TRANSPORT_H_
