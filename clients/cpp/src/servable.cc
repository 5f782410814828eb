#include "servable.h"

#include <algorithm>
#include <array>

#include "tf_tensor.h"

namespace tfinterop {
namespace {

// Up to kInline elements on the stack, more on the heap: one run's feeds and
// fetches, which are few for every model but not bounded.
template <typename T, size_t kInline = 8>
class SmallArray {
 public:
  explicit SmallArray(size_t n) : n_(n) {
    if (n > kInline) heap_.resize(n);
  }
  T* data() { return n_ > kInline ? heap_.data() : inline_.data(); }
  T& operator[](size_t i) { return data()[i]; }

 private:
  size_t n_;
  std::array<T, kInline> inline_{};
  std::vector<T> heap_;
};

// One TF_SessionRun; the fetched tensors owned in `results` (in fetch order)
// before the status is looked at, so no path leaks one.
Status RunSession(const TfApi& api, TF_Session* session, const TF_Output* feeds,
                  TF_Tensor* const* values, size_t num_feeds, const TF_Output* fetches,
                  size_t num_fetches, std::vector<TensorPtr>* results) {
  SmallArray<TF_Tensor*> raw(num_fetches);
  StatusPtr status = NewStatus(api);
  api.TF_SessionRun(session, nullptr, feeds, values, static_cast<int>(num_feeds), fetches,
                    raw.data(), static_cast<int>(num_fetches), nullptr, 0, nullptr, status.get());
  results->clear();
  results->reserve(num_fetches);
  for (size_t i = 0; i < num_fetches; ++i) results->emplace_back(raw[i], TfDeleter{&api});
  TFI_RETURN_IF_ERROR(FromTfStatus(api, status.get(), ""));
  for (const TensorPtr& t : *results) {
    if (t == nullptr) return Internal("TF_SessionRun returned no tensor for a fetch");
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<Servable>> Servable::Load(const TfApi& api, const ResolvedModel& model) {
  SessionOptionsPtr options(api.TF_NewSessionOptions(), {&api});
  GraphPtr graph(api.TF_NewGraph(), {&api});
  BufferPtr meta_graph(api.TF_NewBuffer(), {&api});
  StatusPtr status = NewStatus(api);
  const std::string dir = model.path.string();
  const char* tags[] = {"serve"};
  SessionPtr session(api.TF_LoadSessionFromSavedModel(options.get(), nullptr, dir.c_str(), tags, 1,
                                                      graph.get(), meta_graph.get(), status.get()),
                     {&api});
  const Status loaded = FromTfStatus(api, status.get(), "loading " + dir);
  if (!loaded.ok()) return loaded;
  if (session == nullptr) return Internal("loading " + dir + ": no session and no error");
  std::unique_ptr<Servable> servable(
      new Servable(api, model.name, model.version, std::move(graph), std::move(session)));
  if (!servable->meta_graph_.ParseFromArray(meta_graph->data,
                                            static_cast<int>(meta_graph->length))) {
    return Internal("loading " + dir + ": the MetaGraphDef does not parse");
  }
  servable->BindSignatures();
  return servable;
}

StatusOr<TF_Output> Servable::Resolve(const std::string& tensor_name) const {
  std::string op = tensor_name;
  int index = 0;
  const size_t colon = tensor_name.rfind(':');
  if (colon != std::string::npos) {
    op = tensor_name.substr(0, colon);
    try {
      index = std::stoi(tensor_name.substr(colon + 1));
    } catch (const std::exception&) {
      return Internal("signature names a malformed tensor '" + tensor_name + "'");
    }
  }
  TF_Operation* oper = api_->TF_GraphOperationByName(graph_.get(), op.c_str());
  if (oper == nullptr || index < 0 || index >= api_->TF_OperationNumOutputs(oper)) {
    return Internal("signature names tensor '" + tensor_name + "', which the graph lacks");
  }
  return TF_Output{oper, index};
}

const BoundTensor* SignatureBinding::FindOutput(const std::string& alias) const {
  const auto it =
      std::lower_bound(outputs.begin(), outputs.end(), alias,
                       [](const BoundTensor& t, const std::string& a) { return t.alias < a; });
  return it != outputs.end() && it->alias == alias ? &*it : nullptr;
}

void Servable::BindSignatures() {
  const auto bind = [this](const google::protobuf::Map<std::string, tensorflow::TensorInfo>& map) {
    std::vector<BoundTensor> bound;
    for (const auto& [alias, info] : map) {
      BoundTensor t;
      t.alias = alias;
      t.info = &info;
      const auto target = Resolve(info.name());
      if (target.ok()) {
        t.target = target.value();
      } else {
        t.error = target.status();
      }
      bound.push_back(std::move(t));
    }
    std::sort(bound.begin(), bound.end(),
              [](const BoundTensor& a, const BoundTensor& b) { return a.alias < b.alias; });
    return bound;
  };
  for (const auto& [key, def] : meta_graph_.signature_def()) {
    SignatureBinding& sig = signatures_[key];
    sig.key = key;
    sig.def = &def;
    sig.inputs = bind(def.inputs());
    sig.outputs = bind(def.outputs());
  }
}

const SignatureBinding* Servable::Signature(const std::string& key) const {
  const auto it = signatures_.find(key);
  return it == signatures_.end() ? nullptr : &it->second;
}

StatusOr<SessionCall> Servable::Prepare(const SignatureBinding& signature,
                                        std::vector<TensorPtr> inputs,
                                        const std::vector<const BoundTensor*>& outputs) const {
  if (inputs.size() != signature.inputs.size()) {
    return Internal("signature " + signature.key + " takes " +
                    std::to_string(signature.inputs.size()) + " inputs, not " +
                    std::to_string(inputs.size()));
  }
  SessionCall call(*api_, session_.get());
  call.feeds_.reserve(inputs.size());
  call.feed_raw_.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const BoundTensor& input = signature.inputs[i];
    if (!input.error.ok()) return input.error;
    call.feeds_.push_back(input.target);
    call.feed_raw_.push_back(inputs[i].get());
  }
  call.feed_values_ = std::move(inputs);
  call.fetches_.reserve(outputs.size());
  for (const BoundTensor* output : outputs) {
    if (!output->error.ok()) return output->error;
    call.fetches_.push_back(output->target);
  }
  return call;
}

Status Servable::Run(const SignatureBinding& signature, const std::vector<TensorPtr>& inputs,
                     const std::vector<const BoundTensor*>& outputs,
                     std::vector<TensorPtr>* results) const {
  if (inputs.size() != signature.inputs.size()) {
    return Internal("signature " + signature.key + " takes " +
                    std::to_string(signature.inputs.size()) + " inputs, not " +
                    std::to_string(inputs.size()));
  }
  SmallArray<TF_Output> feeds(inputs.size());
  SmallArray<TF_Tensor*> values(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const BoundTensor& input = signature.inputs[i];
    if (!input.error.ok()) return input.error;
    feeds[i] = input.target;
    values[i] = inputs[i].get();
  }
  SmallArray<TF_Output> fetches(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i]->error.ok()) return outputs[i]->error;
    fetches[i] = outputs[i]->target;
  }
  return RunSession(*api_, session_.get(), feeds.data(), values.data(), inputs.size(),
                    fetches.data(), outputs.size(), results);
}

StatusOr<std::vector<TensorPtr>> SessionCall::Run() const {
  std::vector<TensorPtr> out;
  TFI_RETURN_IF_ERROR(RunSession(*api_, session_, feeds_.data(), feed_raw_.data(), feeds_.size(),
                                 fetches_.data(), fetches_.size(), &out));
  return out;
}

}  // namespace tfinterop
