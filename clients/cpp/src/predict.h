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

// A validated Predict request: the signature, its inputs decoded into
// TF_Tensors (one per signature input, in its sorted alias order) and the
// outputs to return.
struct PredictPlan {
  const SignatureBinding* signature = nullptr;
  std::vector<TensorPtr> inputs;
  std::vector<const BoundTensor*> outputs;
};

// Selects the signature ("" -> serving_default; absent -> FAILED_PRECONDITION)
// and checks inputs and output_filter as predict_util.cc does
// (INVALID_ARGUMENT for anything the signature does not accept).
StatusOr<PredictPlan> PlanPredict(const Servable& servable,
                                  const tensorflow::serving::PredictRequest& request);
// The same into `*plan`, whose vectors and input tensors a previous plan left
// there are reused (DecodeIntoTfTensor); `*plan` is unspecified on error.
Status PlanPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                   PredictPlan* plan);

// What one caller's predicts keep from one call to the next, so that a warm
// predict allocates no plan, input tensor or results vector.
struct PredictMemory {
  PredictPlan plan;
  std::vector<TensorPtr> results;  // emptied after each call: TF's outputs are not held
};

// Plan, run, and answer with typed-field outputs keyed by alias and model_spec
// set to the resolved name, version and signature key. `response` may hold a
// previous answer: it is refilled to exactly what a fresh message would get
// (its cleared fields keep their memory); unspecified on error.
Status RunPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                  tensorflow::serving::PredictResponse* response);
// The same, reusing `memory` from the caller's previous predict.
Status RunPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                  tensorflow::serving::PredictResponse* response, PredictMemory* memory);

// metadata_field must be exactly "signature_def"; packs a SignatureDefMap.
Status GetModelMetadata(const Servable& servable,
                        const tensorflow::serving::GetModelMetadataRequest& request,
                        tensorflow::serving::GetModelMetadataResponse* response);

}  // namespace tfinterop

#endif  // TFINTEROP_PREDICT_H_
