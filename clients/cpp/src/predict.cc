#include "predict.h"

#include <algorithm>
#include <set>

#include "tf_tensor.h"
#include "transport.h"

namespace tfinterop {
namespace {

constexpr char kDefaultSignature[] = "serving_default";
constexpr char kPredictMethod[] = "tensorflow/serving/predict";
constexpr char kClassifyMethod[] = "tensorflow/serving/classify";
constexpr char kRegressMethod[] = "tensorflow/serving/regress";

std::string Join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

template <typename Map>
std::set<std::string> Keys(const Map& map) {
  std::set<std::string> keys;
  for (const auto& kv : map) keys.insert(kv.first);
  return keys;
}

std::set<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

// The response of a run: `outputs` (in plan.outputs' order) keyed by alias.
Status Answer(const Servable& servable, const PredictPlan& plan,
              const std::vector<TensorPtr>& outputs,
              tensorflow::serving::PredictResponse* response) {
  // Refilled in place rather than cleared: a caller that reuses the response
  // (bench, a replay loop) keeps the output protos' buffers from call to call.
  auto* answered = response->mutable_outputs();
  for (auto it = answered->begin(); it != answered->end();) {
    const bool wanted = std::any_of(plan.outputs.begin(), plan.outputs.end(),
                                    [&](const BoundTensor* o) { return o->alias == it->first; });
    it = wanted ? std::next(it) : answered->erase(it);
  }
  auto* spec = response->mutable_model_spec();
  spec->Clear();
  spec->set_name(servable.name());
  spec->mutable_version()->set_value(servable.version());
  spec->set_signature_name(plan.signature->key);
  for (size_t i = 0; i < plan.outputs.size(); ++i) {
    const TensorPtr& out = outputs[i];
    TFI_RETURN_IF_ERROR(
        ToTensorProto(servable.api(), out.get(), &(*answered)[plan.outputs[i]->alias]));
  }
  return OkStatus();
}

}  // namespace

StatusOr<PredictPlan> PlanPredict(const Servable& servable,
                                  const tensorflow::serving::PredictRequest& request) {
  PredictPlan plan;
  TFI_RETURN_IF_ERROR(PlanPredict(servable, request, &plan));
  return plan;
}

Status PlanPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                   PredictPlan* out) {
  PredictPlan& plan = *out;
  const std::string& asked = request.model_spec().signature_name();
  plan.signature = servable.Signature(asked.empty() ? kDefaultSignature : asked);
  if (plan.signature == nullptr) {
    return FailedPrecondition("Serving signature key \"" +
                              (asked.empty() ? std::string(kDefaultSignature) : asked) +
                              "\" not found.");
  }
  const tensorflow::SignatureDef& sig = *plan.signature->def;
  const std::string& method = sig.method_name();
  if (method != kPredictMethod && method != kClassifyMethod && method != kRegressMethod) {
    return Internal(std::string("Expected prediction signature method_name to be one of {") +
                    kPredictMethod + ", " + kClassifyMethod + ", " + kRegressMethod +
                    "}. Was: " + method);
  }

  // The name sets are built only for an error's message: a valid request
  // costs one map lookup per input.
  const auto& sent = request.inputs();
  const size_t wanted = plan.signature->inputs.size();
  if (sent.size() > wanted || (sent.size() < wanted && sig.defaults().empty())) {
    const std::set<std::string> sent_names = Keys(sent);
    const std::set<std::string> wanted_names = Keys(sig.inputs());
    return InvalidArgument("input size does not match signature: " + std::to_string(sent.size()) +
                           "!=" + std::to_string(wanted) + " len({" + Join(sent_names) +
                           "}) != len({" + Join(wanted_names) + "}). Sent extra: {" +
                           Join(Minus(sent_names, wanted_names)) + "}. Missing but required: {" +
                           Join(Minus(wanted_names, sent_names)) + "}.");
  }
  const auto invalid_name = [&] {
    return InvalidArgument("Inputs contains invalid name. Used: {" + Join(Keys(sent)) +
                           "}. All: {" + Join(Keys(sig.inputs())) + "}.");
  };
  // Index i keeps the tensor the previous plan fed there, whatever its signature.
  plan.inputs.resize(wanted);
  size_t sent_used = 0;
  int index = 0;
  for (const BoundTensor& input : plan.signature->inputs) {  // sorted, like the signature's map
    const tensorflow::TensorProto* proto = nullptr;
    if (const auto it = sent.find(input.alias); it != sent.end()) {
      proto = &it->second;
      ++sent_used;
    } else if (const auto d = sig.defaults().find(input.alias); d != sig.defaults().end()) {
      proto = &d->second;
    } else {
      return invalid_name();
    }
    if (proto->dtype() != input.info->dtype()) {
      return InvalidArgument("Expects arg[" + std::to_string(index) + "] to be " +
                             DtypeName(input.info->dtype()) + " but " + DtypeName(proto->dtype()) +
                             " is provided");
    }
    const Status decoded = DecodeIntoTfTensor(servable.api(), *proto, &plan.inputs[index]);
    if (!decoded.ok()) {
      if (decoded.code() != Code::kInvalidArgument) return decoded;
      return InvalidArgument("tensor parsing error: " + input.alias + ": " + decoded.message());
    }
    ++index;
  }
  // Every sent name that is no signature input.
  if (sent_used != sent.size()) return invalid_name();

  const auto& outputs = plan.signature->outputs;
  plan.outputs.clear();
  if (request.output_filter().empty()) {
    plan.outputs.reserve(outputs.size());
    for (const BoundTensor& output : outputs) plan.outputs.push_back(&output);
    return OkStatus();
  }
  for (const std::string& alias : request.output_filter()) {
    const BoundTensor* output = plan.signature->FindOutput(alias);
    if (output == nullptr) {
      return InvalidArgument("output tensor alias not found in signature: " + alias +
                             " Outputs expected to be in the set {" + Join(Keys(sig.outputs())) +
                             "}.");
    }
    if (std::find(plan.outputs.begin(), plan.outputs.end(), output) != plan.outputs.end()) {
      return InvalidArgument("duplicate output tensor alias: " + alias);
    }
    plan.outputs.push_back(output);
  }
  return OkStatus();
}

Status RunPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                  tensorflow::serving::PredictResponse* response) {
  PredictMemory memory;
  return RunPredict(servable, request, response, &memory);
}

Status RunPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                  tensorflow::serving::PredictResponse* response, PredictMemory* memory) {
  PredictPlan* plan = &memory->plan;
  TFI_RETURN_IF_ERROR(PlanPredict(servable, request, plan));
  std::vector<TensorPtr>& outputs = memory->results;
  const Status ran = servable.Run(*plan->signature, plan->inputs, plan->outputs, &outputs);
  const Status answered = ran.ok() ? Answer(servable, *plan, outputs, response) : ran;
  // Released now rather than at the next call, so TensorFlow gets its output
  // buffers back as the bare loop gives them back; the vector keeps its memory.
  outputs.clear();
  return answered;
}
Status GetModelMetadata(const Servable& servable,
                        const tensorflow::serving::GetModelMetadataRequest& request,
                        tensorflow::serving::GetModelMetadataResponse* response) {
  if (request.metadata_field().empty()) {
    return InvalidArgument("GetModelMetadataRequest must specify at least one metadata_field");
  }
  for (const std::string& field : request.metadata_field()) {
    if (field != "signature_def") {
      return InvalidArgument("Metadata field " + field + " is not supported");
    }
  }
  response->Clear();
  response->mutable_model_spec()->set_name(servable.name());
  response->mutable_model_spec()->mutable_version()->set_value(servable.version());
  tensorflow::serving::SignatureDefMap map;
  *map.mutable_signature_def() = servable.meta_graph().signature_def();
  // Packed by hand so the bytes are deterministic, as the golden's are.
  google::protobuf::Any& any = (*response->mutable_metadata())["signature_def"];
  any.set_type_url("type.googleapis.com/" + map.GetDescriptor()->full_name());
  any.set_value(SerializeDeterministic(map));
  return OkStatus();
}

}  // namespace tfinterop
