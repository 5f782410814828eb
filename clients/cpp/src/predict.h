// Predict and GetModelMetadata over a Servable, as TF Serving's
// predict_util.cc and get_model_metadata_impl.cc implement them.
#ifndef TFINTEROP_PREDICT_H_
#define TFINTEROP_PREDICT_H_

#include <string>
#include <utility>
#include <vector>

#include "servable.h"
#include "status.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"

namespace tfinterop {

// A validated Predict request: the signature key, decoded inputs in the
// signature's (sorted) alias order, and the outputs to return.
struct PredictPlan {
  std::string signature_key;
  std::vector<std::pair<std::string, HostTensor>> inputs;
  std::vector<std::string> outputs;
};

// Selects the signature ("" -> serving_default; absent -> FAILED_PRECONDITION)
// and checks inputs and output_filter as predict_util.cc does
// (INVALID_ARGUMENT for anything the signature does not accept).
StatusOr<PredictPlan> PlanPredict(const tensorflow::MetaGraphDef& meta_graph,
                                  const tensorflow::serving::PredictRequest& request);

// Plan, run, and answer with typed-field outputs keyed by alias and model_spec
// set to the resolved name, version and signature key.
Status RunPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                  tensorflow::serving::PredictResponse* response);

// metadata_field must be exactly "signature_def"; packs a SignatureDefMap.
Status GetModelMetadata(const Servable& servable,
                        const tensorflow::serving::GetModelMetadataRequest& request,
                        tensorflow::serving::GetModelMetadataResponse* response);

}  // namespace tfinterop

#endif  // TFINTEROP_PREDICT_H_
