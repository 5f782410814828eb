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

}  // namespace

StatusOr<PredictPlan> PlanPredict(const tensorflow::MetaGraphDef& meta_graph,
                                  const tensorflow::serving::PredictRequest& request) {
  PredictPlan plan;
  const std::string& asked = request.model_spec().signature_name();
  plan.signature_key = asked.empty() ? kDefaultSignature : asked;
  const auto found = meta_graph.signature_def().find(plan.signature_key);
  if (found == meta_graph.signature_def().end()) {
    return FailedPrecondition("Serving signature key \"" + plan.signature_key + "\" not found.");
  }
  const tensorflow::SignatureDef& sig = found->second;
  const std::string& method = sig.method_name();
  if (method != kPredictMethod && method != kClassifyMethod && method != kRegressMethod) {
    return Internal(std::string("Expected prediction signature method_name to be one of {") +
                    kPredictMethod + ", " + kClassifyMethod + ", " + kRegressMethod +
                    "}. Was: " + method);
  }

  const std::set<std::string> sent = Keys(request.inputs());
  const std::set<std::string> wanted = Keys(sig.inputs());
  if (sent.size() > wanted.size() || (sent.size() < wanted.size() && sig.defaults().empty())) {
    return InvalidArgument("input size does not match signature: " + std::to_string(sent.size()) +
                           "!=" + std::to_string(wanted.size()) + " len({" + Join(sent) +
                           "}) != len({" + Join(wanted) + "}). Sent extra: {" +
                           Join(Minus(sent, wanted)) + "}. Missing but required: {" +
                           Join(Minus(wanted, sent)) + "}.");
  }
  int index = 0;
  for (const std::string& alias : wanted) {  // sorted, like the signature's map
    const tensorflow::TensorInfo& info = sig.inputs().at(alias);
    const tensorflow::TensorProto* proto = nullptr;
    if (const auto it = request.inputs().find(alias); it != request.inputs().end()) {
      proto = &it->second;
    } else if (const auto d = sig.defaults().find(alias); d != sig.defaults().end()) {
      proto = &d->second;
    } else {
      return InvalidArgument("Inputs contains invalid name. Used: {" + Join(sent) + "}. All: {" +
                             Join(wanted) + "}.");
    }
    if (proto->dtype() != info.dtype()) {
      return InvalidArgument("Expects arg[" + std::to_string(index) + "] to be " +
                             DtypeName(info.dtype()) + " but " + DtypeName(proto->dtype()) +
                             " is provided");
    }
    auto tensor = DecodeTensorProto(*proto);
    if (!tensor.ok()) {
      return InvalidArgument("tensor parsing error: " + alias + ": " + tensor.status().message());
    }
    plan.inputs.emplace_back(alias, std::move(tensor).value());
    ++index;
  }
  if (const auto extra = Minus(sent, wanted); !extra.empty()) {
    return InvalidArgument("Inputs contains invalid name. Used: {" + Join(sent) + "}. All: {" +
                           Join(wanted) + "}.");
  }

  if (request.output_filter().empty()) {
    for (const std::string& alias : Keys(sig.outputs())) plan.outputs.push_back(alias);
    return plan;
  }
  std::set<std::string> seen;
  for (const std::string& alias : request.output_filter()) {
    if (sig.outputs().count(alias) == 0) {
      return InvalidArgument("output tensor alias not found in signature: " + alias +
                             " Outputs expected to be in the set {" + Join(Keys(sig.outputs())) +
                             "}.");
    }
    if (!seen.insert(alias).second) {
      return InvalidArgument("duplicate output tensor alias: " + alias);
    }
    plan.outputs.push_back(alias);
  }
  return plan;
}

Status RunPredict(const Servable& servable, const tensorflow::serving::PredictRequest& request,
                  tensorflow::serving::PredictResponse* response) {
  auto plan = PlanPredict(servable.meta_graph(), request);
  if (!plan.ok()) return plan.status();
  auto call = servable.Prepare(plan->signature_key, plan->inputs, plan->outputs);
  if (!call.ok()) return call.status();
  auto outputs = call->Run();
  if (!outputs.ok()) return outputs.status();
  response->Clear();
  auto* spec = response->mutable_model_spec();
  spec->set_name(servable.name());
  spec->mutable_version()->set_value(servable.version());
  spec->set_signature_name(plan->signature_key);
  for (size_t i = 0; i < plan->outputs.size(); ++i) {
    const TensorPtr& out = outputs.value()[i];
    auto host = FromTfTensor(*out.get_deleter().api, out.get());
    if (!host.ok()) return host.status();
    EncodeTensorProto(host.value(), &(*response->mutable_outputs())[plan->outputs[i]]);
  }
  return OkStatus();
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
