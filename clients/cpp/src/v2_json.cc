#include "v2_json.h"

#include <map>
#include <vector>

#include "rest_json.h"
#include "v2_contents.h"

namespace tfinterop {
namespace {

using inference::InferParameter;
using inference::InferTensorContents;
using ParameterMap = google::protobuf::Map<std::string, InferParameter>;

void WriteKey(std::string_view key, JsonWriter* out) {
  out->Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void WriteParameter(const InferParameter& p, JsonWriter* out) {
  switch (p.parameter_choice_case()) {
    case InferParameter::kBoolParam: out->Bool(p.bool_param()); break;
    case InferParameter::kInt64Param: out->Int64(p.int64_param()); break;
    case InferParameter::kStringParam: WriteJsonString(p.string_param(), out); break;
    case InferParameter::kDoubleParam: WriteJsonDouble(p.double_param(), out); break;
    case InferParameter::kUint64Param: out->Uint64(p.uint64_param()); break;
    case InferParameter::PARAMETER_CHOICE_NOT_SET: out->Null(); break;
  }
}

// "parameters": {...}, sorted (a protobuf map has no order); omitted when empty.
void WriteParameters(const ParameterMap& parameters, JsonWriter* out) {
  if (parameters.empty()) return;
  const std::map<std::string, InferParameter> sorted(parameters.begin(), parameters.end());
  out->Key("parameters");
  out->StartObject();
  for (const auto& [key, value] : sorted) {
    WriteKey(key, out);
    WriteParameter(value, out);
  }
  out->EndObject();
}

// InferTensorContents' repeated fields, one per family of datatypes.
enum class Field { kNone, kBool, kInt, kInt64, kUint, kUint64, kFp32, kFp64, kBytes };

Field FieldOfDatatype(std::string_view datatype) {
  switch (DtypeForV2Datatype(datatype)) {
    case tensorflow::DT_BOOL: return Field::kBool;
    case tensorflow::DT_INT8:
    case tensorflow::DT_INT16:
    case tensorflow::DT_INT32: return Field::kInt;
    case tensorflow::DT_INT64: return Field::kInt64;
    case tensorflow::DT_UINT8:
    case tensorflow::DT_UINT16:
    case tensorflow::DT_UINT32: return Field::kUint;
    case tensorflow::DT_UINT64: return Field::kUint64;
    case tensorflow::DT_FLOAT: return Field::kFp32;
    case tensorflow::DT_DOUBLE: return Field::kFp64;
    case tensorflow::DT_STRING: return Field::kBytes;
    default: return Field::kNone;  // FP16, BF16 (no typed field) and unknown names
  }
}

// The one field `contents` sets, or kNone when it sets none or several.
Field OnlyFieldSet(const InferTensorContents& c) {
  const std::pair<Field, int> sizes[] = {
      {Field::kBool, c.bool_contents_size()},     {Field::kInt, c.int_contents_size()},
      {Field::kInt64, c.int64_contents_size()},   {Field::kUint, c.uint_contents_size()},
      {Field::kUint64, c.uint64_contents_size()}, {Field::kFp32, c.fp32_contents_size()},
      {Field::kFp64, c.fp64_contents_size()},     {Field::kBytes, c.bytes_contents_size()}};
  Field found = Field::kNone;
  for (const auto& [field, size] : sizes) {
    if (size == 0) continue;
    if (found != Field::kNone) return Field::kNone;
    found = field;
  }
  return found;
}

Status Utf8Element(const std::string& input, size_t index, const std::string& bytes) {
  if (IsValidUtf8(bytes)) return OkStatus();
  return Unimplemented("input " + input + " element " + std::to_string(index) +
                       " is not valid UTF-8: v2 REST JSON carries BYTES as strings only (Triton's "
                       "binary-data extension carries any bytes; this client sends JSON only)");
}

// The flat "data" list of an input sent in typed contents.
Status WriteTypedData(const inference::ModelInferRequest::InferInputTensor& input,
                      JsonWriter* out) {
  const InferTensorContents& c = input.contents();
  Field field = FieldOfDatatype(input.datatype());
  // A datatype without a field of its own: send what the request holds, so
  // the server, not the client, answers for it.
  if (field == Field::kNone) field = OnlyFieldSet(c);
  out->StartArray();
  switch (field) {
    case Field::kBool:
      for (const bool v : c.bool_contents()) out->Bool(v);
      break;
    case Field::kInt:
      for (const int32_t v : c.int_contents()) out->Int(v);
      break;
    case Field::kInt64:
      for (const int64_t v : c.int64_contents()) out->Int64(v);
      break;
    case Field::kUint:
      for (const uint32_t v : c.uint_contents()) out->Uint(v);
      break;
    case Field::kUint64:
      for (const uint64_t v : c.uint64_contents()) out->Uint64(v);
      break;
    case Field::kFp32:
      for (const float v : c.fp32_contents()) WriteJsonDouble(v, out);
      break;
    case Field::kFp64:
      for (const double v : c.fp64_contents()) WriteJsonDouble(v, out);
      break;
    case Field::kBytes:
      for (int i = 0; i < c.bytes_contents_size(); ++i) {
        TFI_RETURN_IF_ERROR(Utf8Element(input.name(), static_cast<size_t>(i), c.bytes_contents(i)));
        WriteJsonString(c.bytes_contents(i), out);
      }
      break;
    case Field::kNone: break;
  }
  out->EndArray();
  return OkStatus();
}

// The flat "data" list of an input sent in raw_input_contents.
Status WriteRawData(const inference::ModelInferRequest::InferInputTensor& input,
                    const std::string& raw, JsonWriter* out) {
  auto values = DecodeRawContents(input.datatype(), raw);
  if (!values.ok())
    return InvalidArgument("input " + input.name() + ": " + values.status().message());
  for (size_t i = 0; i < values->strings.size(); ++i) {
    TFI_RETURN_IF_ERROR(Utf8Element(input.name(), i, values->strings[i]));
  }
  return WriteTensorJson(values.value(), out);  // flat: its shape is {n}
}

bool HasTypedContents(const InferTensorContents& c) {
  return c.bool_contents_size() + c.int_contents_size() + c.int64_contents_size() +
             c.uint_contents_size() + c.uint64_contents_size() + c.fp32_contents_size() +
             c.fp64_contents_size() + c.bytes_contents_size() >
         0;
}

Status ReadString(const JsonValue& object, std::string_view key, std::string* out) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr) return OkStatus();
  if (v->kind != JsonValue::Kind::kString) {
    return Internal("infer response '" + std::string(key) + "' " + std::string(v->raw) +
                    " is not a string");
  }
  *out = v->text;
  return OkStatus();
}

Status ReadParameters(const JsonValue& object, ParameterMap* out) {
  const JsonValue* v = object.Find("parameters");
  // Optional; KServe writes "parameters": null, which says the same as leaving it out.
  if (v == nullptr || v->kind == JsonValue::Kind::kNull) return OkStatus();
  if (v->kind != JsonValue::Kind::kObject) {
    return Internal("infer response parameters " + std::string(v->raw) + " is not an object");
  }
  for (const auto& [key, value] : v->members) {
    InferParameter& p = (*out)[key];
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    if (value.kind == JsonValue::Kind::kBool) {
      p.set_bool_param(value.boolean);
    } else if (value.kind == JsonValue::Kind::kString) {
      p.set_string_param(value.text);
    } else if (JsonInteger(value, &i).ok()) {
      p.set_int64_param(i);
    } else if (JsonInteger(value, &u).ok()) {
      p.set_uint64_param(u);
    } else if (JsonReal(value, &d).ok()) {
      p.set_double_param(d);
    } else {
      return Internal("infer response parameter " + key + " = " + std::string(value.raw) +
                      " is not a bool, number or string");
    }
  }
  return OkStatus();
}

// True when every leaf under `v` is a JSON string: BYTES data has no other form.
bool AllLeavesAreStrings(const JsonValue& v) {
  if (v.kind != JsonValue::Kind::kArray) return v.kind == JsonValue::Kind::kString;
  for (const JsonValue& item : v.items) {
    if (!AllLeavesAreStrings(item)) return false;
  }
  return true;
}

// One entry of "outputs": its header into `tensor`, its values returned.
StatusOr<HostTensor> ReadOutput(const JsonValue& v,
                                inference::ModelInferResponse::InferOutputTensor* tensor) {
  if (v.kind != JsonValue::Kind::kObject) {
    return Internal("infer response output " + std::string(v.raw) + " is not an object");
  }
  const JsonValue* name = v.Find("name");
  if (name == nullptr || name->kind != JsonValue::Kind::kString) {
    return Internal("infer response output without a name string");
  }
  tensor->set_name(name->text);
  const std::string what = "output " + name->text;
  const JsonValue* datatype = v.Find("datatype");
  if (datatype == nullptr || datatype->kind != JsonValue::Kind::kString) {
    return Internal(what + " has no datatype string");
  }
  const tensorflow::DataType dtype = DtypeForV2Datatype(datatype->text);
  if (dtype == tensorflow::DT_INVALID) {
    return Internal(what + " has unknown datatype '" + datatype->text + "'");
  }
  tensor->set_datatype(datatype->text);
  const JsonValue* shape = v.Find("shape");
  if (shape == nullptr || shape->kind != JsonValue::Kind::kArray) {
    return Internal(what + " has no shape list");
  }
  std::vector<int64_t> dims;
  for (const JsonValue& d : shape->items) {
    int64_t size = 0;
    if (!JsonInteger(d, &size).ok() || size < 0) {
      return Internal(what + " shape " + std::string(shape->raw) + " holds " + std::string(d.raw) +
                      ", not a size");
    }
    dims.push_back(size);
    tensor->add_shape(size);
  }
  const auto count = CheckedNumElements(dims);
  if (!count.ok()) return Internal(what + ": " + count.status().message());
  TFI_RETURN_IF_ERROR(ReadParameters(v, tensor->mutable_parameters()));
  const JsonValue* data = v.Find("data");
  if (data == nullptr) return Internal(what + " has no data");
  if (dtype == tensorflow::DT_STRING && !AllLeavesAreStrings(*data)) {
    return Internal(what + " BYTES data " + std::string(data->raw).substr(0, 80) +
                    " holds a value that is not a string");
  }
  auto values = TensorFromJson(*data, dtype);
  if (!values.ok()) return Internal(what + ": " + values.status().message());
  if (values->NumElements() != count.value()) {
    return Internal(what + " has " + std::to_string(values->NumElements()) +
                    " values for a shape of " + std::to_string(count.value()) + " elements");
  }
  return values;
}

}  // namespace

StatusOr<std::string> InferRequestJson(const inference::ModelInferRequest& request) {
  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != request.inputs_size()) {
    return InvalidArgument("raw_input_contents holds " +
                           std::to_string(request.raw_input_contents_size()) + " entries for " +
                           std::to_string(request.inputs_size()) + " inputs");
  }
  rapidjson::StringBuffer buffer;
  JsonWriter out(buffer);
  out.StartObject();
  if (!request.id().empty()) {
    out.Key("id");
    WriteJsonString(request.id(), &out);
  }
  WriteParameters(request.parameters(), &out);
  out.Key("inputs");
  out.StartArray();
  for (int i = 0; i < request.inputs_size(); ++i) {
    const auto& input = request.inputs(i);
    if (raw && HasTypedContents(input.contents())) {
      return InvalidArgument("input " + input.name() +
                             " has contents while the request uses raw_input_contents");
    }
    out.StartObject();
    out.Key("name");
    WriteJsonString(input.name(), &out);
    out.Key("shape");
    out.StartArray();
    for (const int64_t d : input.shape()) out.Int64(d);
    out.EndArray();
    out.Key("datatype");
    WriteJsonString(input.datatype(), &out);
    WriteParameters(input.parameters(), &out);
    out.Key("data");
    TFI_RETURN_IF_ERROR(raw ? WriteRawData(input, request.raw_input_contents(i), &out)
                            : WriteTypedData(input, &out));
    out.EndObject();
  }
  out.EndArray();
  if (request.outputs_size() > 0) {
    out.Key("outputs");
    out.StartArray();
    for (const auto& output : request.outputs()) {
      out.StartObject();
      out.Key("name");
      WriteJsonString(output.name(), &out);
      WriteParameters(output.parameters(), &out);
      out.EndObject();
    }
    out.EndArray();
  }
  out.EndObject();
  return JsonText(buffer);
}

Status ReadInferResponseJson(std::string_view body, inference::ModelInferResponse* response) {
  const auto parsed = ParseJson(body);
  if (!parsed.ok()) return Internal("infer response: " + parsed.status().message());
  const JsonValue& root = parsed.value();
  if (root.kind != JsonValue::Kind::kObject) return Internal("infer response is not an object");
  response->Clear();
  TFI_RETURN_IF_ERROR(ReadString(root, "model_name", response->mutable_model_name()));
  TFI_RETURN_IF_ERROR(ReadString(root, "model_version", response->mutable_model_version()));
  TFI_RETURN_IF_ERROR(ReadString(root, "id", response->mutable_id()));
  TFI_RETURN_IF_ERROR(ReadParameters(root, response->mutable_parameters()));
  const JsonValue* outputs = root.Find("outputs");
  if (outputs == nullptr || outputs->kind != JsonValue::Kind::kArray) {
    return Internal("infer response has no outputs list");
  }
  std::vector<HostTensor> values;
  bool raw = false;
  for (const JsonValue& item : outputs->items) {
    auto t = ReadOutput(item, response->add_outputs());
    if (!t.ok()) return t.status();
    raw = raw || t->dtype == tensorflow::DT_HALF || t->dtype == tensorflow::DT_BFLOAT16;
    values.push_back(std::move(t).value());
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (raw) {
      response->add_raw_output_contents(EncodeRawContents(values[i]));
    } else {
      EncodeTypedContents(values[i],
                          response->mutable_outputs(static_cast<int>(i))->mutable_contents());
    }
  }
  return OkStatus();
}

}  // namespace tfinterop
