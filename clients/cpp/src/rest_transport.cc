#include "rest_transport.h"

#include <curl/curl.h>
#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "http_client.h"
#include "rest_json.h"
#include "tensorflow_serving/apis/classification.pb.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "tensorflow_serving/apis/regression.pb.h"

namespace tfinterop {
namespace {

namespace tfs = tensorflow::serving;

void WriteKey(const std::string& key, JsonWriter* out) {
  out->Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

// "signature_name", omitted when empty.
void WriteSignatureName(const tfs::ModelSpec& spec, JsonWriter* out) {
  if (spec.signature_name().empty()) return;
  out->Key("signature_name");
  WriteJsonString(spec.signature_name(), out);
}

// {name: [values...]} for every feature, sorted; floats always look like
// floats (TF Serving infers the feature type from the JSON token).
void WriteExample(const tensorflow::Example& example, JsonWriter* out) {
  std::map<std::string, const tensorflow::Feature*> features;
  for (const auto& [name, f] : example.features().feature()) features.emplace(name, &f);
  out->StartObject();
  for (const auto& [name, f] : features) {
    WriteKey(name, out);
    out->StartArray();
    if (f->has_float_list()) {
      for (const float v : f->float_list().value()) WriteJsonDouble(v, out);
    } else if (f->has_int64_list()) {
      for (const int64_t v : f->int64_list().value()) out->Int64(v);
    } else if (f->has_bytes_list()) {
      for (const std::string& v : f->bytes_list().value()) WriteJsonBytes(v, out);
    }
    out->EndArray();
  }
  out->EndObject();
}

class RestTransport : public Transport {
 public:
  RestTransport(std::string base_url, std::chrono::milliseconds deadline)
      : base_url_(std::move(base_url)), http_(deadline) {
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  }

  const char* mode() const override { return "rest"; }

  Status Call(Api api, const google::protobuf::Message& request,
              google::protobuf::Message* response, const CallOptions& options) override {
    switch (api) {
      case Api::kPredict:
        return Predict(static_cast<const tfs::PredictRequest&>(request),
                       static_cast<tfs::PredictResponse*>(response), options);
      case Api::kMetadata:
        return Metadata(static_cast<const tfs::GetModelMetadataRequest&>(request),
                        static_cast<tfs::GetModelMetadataResponse*>(response));
      case Api::kClassify: {
        const auto& req = static_cast<const tfs::ClassificationRequest&>(request);
        return ClassifyOrRegress(req.model_spec(), req.input(), ":classify", response);
      }
      case Api::kRegress: {
        const auto& req = static_cast<const tfs::RegressionRequest&>(request);
        return ClassifyOrRegress(req.model_spec(), req.input(), ":regress", response);
      }
      default:
        return Unimplemented(std::string("TF Serving's REST API has no ") + ApiName(api) +
                             " endpoint");
    }
  }

  nlohmann::json Runtime() const override {
    return {{"curl", curl_version_info(CURLVERSION_NOW)->version}, {"rest", base_url_}};
  }

 private:
  // {rest}/v1/models/{name}[/versions/{v}|/labels/{label}]
  std::string ModelUrl(const tfs::ModelSpec& spec) const {
    std::string url = base_url_ + "/v1/models/" + EscapePathSegment(spec.name());
    if (spec.has_version()) {
      url += "/versions/" + std::to_string(spec.version().value());
    } else if (spec.version_choice_case() == tfs::ModelSpec::kVersionLabel) {
      url += "/labels/" + EscapePathSegment(spec.version_label());
    }
    return url;
  }

  // The SignatureDefMap from GET …/metadata, cached per model URL.
  StatusOr<tfs::SignatureDefMap> Signatures(const std::string& model_url) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (const auto it = signatures_.find(model_url); it != signatures_.end()) return it->second;
    }
    auto reply = http_.Exchange(model_url + "/metadata", nullptr);
    if (!reply.ok()) return reply.status();
    if (reply->status != 200) return HttpError(reply.value());
    auto map = SignatureMapFromMetadata(reply->body);
    if (!map.ok()) return map.status();
    std::lock_guard<std::mutex> lock(mu_);
    signatures_.emplace(model_url, map.value());
    return map;
  }

  // {"model_spec": ..., "metadata": {"signature_def": {"signature_def": {...}}}}
  static StatusOr<tfs::SignatureDefMap> SignatureMapFromMetadata(const std::string& body) {
    const auto parsed = ParseJson(body);
    if (!parsed.ok()) return Internal("metadata response: " + parsed.status().message());
    const JsonValue* metadata = parsed.value().Find("metadata");
    const JsonValue* sig = metadata ? metadata->Find("signature_def") : nullptr;
    if (sig == nullptr) return Internal("metadata response lacks metadata.signature_def");
    tfs::SignatureDefMap map;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto st =
        google::protobuf::util::JsonStringToMessage(std::string(sig->raw), &map, options);
    if (!st.ok()) return Internal("metadata signature_def does not parse: " + st.ToString());
    return map;
  }

  Status Predict(const tfs::PredictRequest& request, tfs::PredictResponse* response,
                 const CallOptions& options) {
    auto body = PredictRequestJson(request, options.rest_format);
    if (!body.ok()) return body.status();
    const std::string model_url = ModelUrl(request.model_spec());
    auto reply = http_.Exchange(model_url + ":predict", &body->json);
    if (!reply.ok()) return reply.status();
    if (reply->status != 200) return HttpError(reply.value());
    // Output names and dtypes come from the signature, as the JSON has neither.
    auto signatures = Signatures(model_url);
    if (!signatures.ok()) return signatures.status();
    const std::string& asked = request.model_spec().signature_name();
    const std::string key = asked.empty() ? "serving_default" : asked;
    const auto sig = signatures->signature_def().find(key);
    if (sig == signatures->signature_def().end()) {
      return Internal("metadata lacks signature '" + key + "' that the server just ran");
    }
    std::map<std::string, tensorflow::DataType> outputs;
    for (const auto& [alias, info] : sig->second.outputs()) outputs.emplace(alias, info.dtype());
    return ReadPredictResponseJson(reply->body, outputs, body->format, response);
  }

  // POST …:classify or …:regress; {"results": ...} back into the response.
  Status ClassifyOrRegress(const tfs::ModelSpec& spec, const tfs::Input& input, const char* verb,
                           google::protobuf::Message* response) {
    const std::string body = ExamplesRequestJson(spec, input);
    auto reply = http_.Exchange(ModelUrl(spec) + verb, &body);
    if (!reply.ok()) return reply.status();
    if (reply->status != 200) return HttpError(reply.value());
    const auto parsed = ParseJson(reply->body);
    if (!parsed.ok()) {
      return Internal(std::string(verb) + " response: " + parsed.status().message());
    }
    const JsonValue* results = parsed.value().Find("results");
    if (results == nullptr || results->kind != JsonValue::Kind::kArray) {
      return Internal(std::string(verb) + " response has no results list");
    }
    auto number = [](const JsonValue& v, float* out) {
      char* end = nullptr;
      *out = std::strtof(v.text.c_str(), &end);
      return v.kind == JsonValue::Kind::kNumber && end == v.text.c_str() + v.text.size();
    };
    if (std::string(verb) == ":regress") {
      auto* result = static_cast<tfs::RegressionResponse*>(response)->mutable_result();
      for (const JsonValue& v : results->items) {
        float value = 0;
        if (!number(v, &value)) {
          return Internal("regression result " + std::string(v.raw) + " is not a number");
        }
        result->add_regressions()->set_value(value);
      }
      return OkStatus();
    }
    auto* result = static_cast<tfs::ClassificationResponse*>(response)->mutable_result();
    for (const JsonValue& row : results->items) {
      auto* classifications = result->add_classifications();
      for (const JsonValue& pair : row.items) {
        float score = 0;
        if (pair.items.size() != 2 || !number(pair.items[1], &score)) {
          return Internal("classification " + std::string(pair.raw) + " is not [label, score]");
        }
        auto* c = classifications->add_classes();
        const JsonValue& label = pair.items[0];
        if (label.kind == JsonValue::Kind::kString) {
          c->set_label(label.text);
        } else if (const JsonValue* b64 = label.Find("b64");
                   b64 == nullptr || !Base64Decode(b64->text, c->mutable_label())) {
          return Internal("classification label " + std::string(label.raw) + " is not a string");
        }
        c->set_score(score);
      }
    }
    return OkStatus();
  }

  Status Metadata(const tfs::GetModelMetadataRequest& request,
                  tfs::GetModelMetadataResponse* response) {
    // REST has one metadata resource: it answers signature_def, nothing else.
    for (const std::string& field : request.metadata_field()) {
      if (field != "signature_def") {
        return InvalidArgument("Metadata field " + field + " has no REST form");
      }
    }
    const std::string model_url = ModelUrl(request.model_spec());
    auto reply = http_.Exchange(model_url + "/metadata", nullptr);
    if (!reply.ok()) return reply.status();
    if (reply->status != 200) return HttpError(reply.value());
    auto map = SignatureMapFromMetadata(reply->body);
    if (!map.ok()) return map.status();
    response->Clear();
    // Unlike a predict reply, the metadata reply names the model_spec it answered.
    const auto parsed = ParseJson(reply->body);
    if (const JsonValue* spec = parsed.ok() ? parsed.value().Find("model_spec") : nullptr) {
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = true;
      const auto st = google::protobuf::util::JsonStringToMessage(
          std::string(spec->raw), response->mutable_model_spec(), options);
      if (!st.ok()) return Internal("metadata model_spec does not parse: " + st.ToString());
    }
    google::protobuf::Any& any = (*response->mutable_metadata())["signature_def"];
    any.set_type_url("type.googleapis.com/" + map->GetDescriptor()->full_name());
    any.set_value(SerializeDeterministic(map.value()));
    return OkStatus();
  }

  std::string base_url_;
  HttpClient http_;
  std::mutex mu_;  // guards signatures_
  std::map<std::string, tfs::SignatureDefMap> signatures_;
};

}  // namespace

const std::vector<Api>& RestApis() {
  static const std::vector<Api> apis = {Api::kPredict, Api::kClassify, Api::kRegress,
                                        Api::kMetadata};
  return apis;
}

std::unique_ptr<Transport> MakeRestTransport(const std::string& base_url,
                                             std::chrono::milliseconds deadline) {
  return std::make_unique<RestTransport>(base_url, deadline);
}

StatusOr<PredictBody> PredictRequestJson(const tfs::PredictRequest& request, RestFormat format) {
  if (!request.output_filter().empty()) {
    return InvalidArgument("output_filter has no form in TF Serving's REST API");
  }
  std::map<std::string, HostTensor> inputs;  // sorted, deterministic bodies
  for (const auto& [alias, proto] : request.inputs()) {
    auto t = DecodeTensorProto(proto);
    if (!t.ok()) return InvalidArgument("input " + alias + ": " + t.status().message());
    inputs.emplace(alias, std::move(t).value());
  }
  // TF Serving stacks row-format instances along a new dimension 0, so a
  // scalar input, or inputs of different batch sizes, have no row form: refused,
  // not sent columnar behind the caller's back. No inputs at all go columnar.
  const bool row = format == RestFormat::kRow && !inputs.empty();
  int64_t batch = 0;
  if (row) {
    const std::string* first = nullptr;
    for (const auto& [alias, t] : inputs) {
      if (t.shape.empty()) {
        return InvalidArgument("input " + alias +
                               " is a scalar; the row format needs a batch dimension");
      }
      if (first != nullptr && t.shape[0] != batch) {
        return InvalidArgument("inputs " + *first + " and " + alias +
                               " disagree on the batch size (" + std::to_string(batch) + " and " +
                               std::to_string(t.shape[0]) + "); the row format needs one");
      }
      if (first == nullptr) first = &alias;
      batch = t.shape[0];
    }
  }
  rapidjson::StringBuffer buffer;
  JsonWriter body(buffer);
  body.StartObject();
  WriteSignatureName(request.model_spec(), &body);
  if (!row) {
    body.Key("inputs");
    body.StartObject();
    for (const auto& [alias, t] : inputs) {
      WriteKey(alias, &body);
      TFI_RETURN_IF_ERROR(WriteTensorJson(t, &body));
    }
    body.EndObject();
  } else {
    body.Key("instances");
    body.StartArray();
    for (int64_t i = 0; i < batch; ++i) {
      if (inputs.size() == 1) {
        TFI_RETURN_IF_ERROR(WriteTensorRowJson(inputs.begin()->second, i, &body));
        continue;
      }
      body.StartObject();
      for (const auto& [alias, t] : inputs) {
        WriteKey(alias, &body);
        TFI_RETURN_IF_ERROR(WriteTensorRowJson(t, i, &body));
      }
      body.EndObject();
    }
    body.EndArray();
  }
  body.EndObject();
  return PredictBody{JsonText(buffer), row ? RestFormat::kRow : RestFormat::kColumnar};
}

std::string ExamplesRequestJson(const tfs::ModelSpec& spec, const tfs::Input& input) {
  rapidjson::StringBuffer buffer;
  JsonWriter body(buffer);
  body.StartObject();
  WriteSignatureName(spec, &body);
  const google::protobuf::RepeatedPtrField<tensorflow::Example>* examples = nullptr;
  if (input.has_example_list_with_context()) {
    body.Key("context");
    WriteExample(input.example_list_with_context().context(), &body);
    examples = &input.example_list_with_context().examples();
  } else if (input.has_example_list()) {
    examples = &input.example_list().examples();
  }
  body.Key("examples");
  body.StartArray();
  for (int i = 0; examples != nullptr && i < examples->size(); ++i) {
    WriteExample(examples->Get(i), &body);
  }
  body.EndArray();
  body.EndObject();
  return JsonText(buffer);
}

Status ReadPredictResponseJson(std::string_view body,
                               const std::map<std::string, tensorflow::DataType>& outputs,
                               RestFormat format, tfs::PredictResponse* response) {
  const auto parsed = ParseJson(body);
  if (!parsed.ok()) return Internal("predict response: " + parsed.status().message());
  response->Clear();
  // TF Serving answers in the request's format (MakeJsonFromTensors): a
  // columnar request under "outputs", a row request under "predictions".
  const bool row = format == RestFormat::kRow;
  const char* key = row ? "predictions" : "outputs";
  const JsonValue* answer = parsed.value().Find(key);
  if (answer == nullptr) {
    return Internal(std::string("predict response to a ") + (row ? "row" : "columnar") +
                    " request has no '" + key + "'");
  }
  if (!row) {
    if (outputs.size() > 1 && answer->kind != JsonValue::Kind::kObject) {
      return Internal("predict response 'outputs' of several outputs is not an object");
    }
    for (const auto& [alias, dtype] : outputs) {
      const JsonValue* value = outputs.size() > 1 ? answer->Find(alias) : answer;
      if (value == nullptr) return Internal("predict response lacks output " + alias);
      auto t = TensorFromJson(*value, dtype);
      if (!t.ok()) return Internal("output " + alias + ": " + t.status().message());
      EncodeTensorProto(t.value(), &(*response->mutable_outputs())[alias]);
    }
    return OkStatus();
  }
  if (answer->kind != JsonValue::Kind::kArray) {
    return Internal("predict response 'predictions' is not a list");
  }
  for (const auto& [alias, dtype] : outputs) {
    std::vector<const JsonValue*> slices;
    for (const JsonValue& item : answer->items) {
      const JsonValue* value = outputs.size() > 1 ? item.Find(alias) : &item;
      if (value == nullptr) return Internal("a prediction lacks output " + alias);
      slices.push_back(value);
    }
    auto t = TensorFromJsonRows(slices, dtype);
    if (!t.ok()) return Internal("output " + alias + ": " + t.status().message());
    EncodeTensorProto(t.value(), &(*response->mutable_outputs())[alias]);
  }
  return OkStatus();
}

}  // namespace tfinterop
