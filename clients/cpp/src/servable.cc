#include "servable.h"

#include "tf_tensor.h"

namespace tfinterop {

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

StatusOr<SessionCall> Servable::Prepare(
    const std::string& key, const std::vector<std::pair<std::string, HostTensor>>& inputs,
    const std::vector<std::string>& outputs) const {
  const auto& sig = meta_graph_.signature_def().at(key);
  SessionCall call(*api_, session_.get());
  for (const auto& [alias, tensor] : inputs) {
    const auto target = Resolve(sig.inputs().at(alias).name());
    if (!target.ok()) return target.status();
    auto value = ToTfTensor(*api_, tensor);
    if (!value.ok()) return value.status();
    call.feeds_.push_back(target.value());
    call.feed_raw_.push_back(value.value().get());
    call.feed_values_.push_back(std::move(value).value());
  }
  for (const std::string& alias : outputs) {
    const auto target = Resolve(sig.outputs().at(alias).name());
    if (!target.ok()) return target.status();
    call.fetches_.push_back(target.value());
  }
  return call;
}

StatusOr<std::vector<TensorPtr>> SessionCall::Run() const {
  std::vector<TF_Tensor*> raw(fetches_.size(), nullptr);
  StatusPtr status = NewStatus(*api_);
  api_->TF_SessionRun(session_, nullptr, feeds_.data(), feed_raw_.data(),
                      static_cast<int>(feeds_.size()), fetches_.data(), raw.data(),
                      static_cast<int>(fetches_.size()), nullptr, 0, nullptr, status.get());
  // Own whatever came back before looking at the status: no leak on any path.
  std::vector<TensorPtr> out;
  out.reserve(raw.size());
  for (TF_Tensor* t : raw) out.emplace_back(t, TfDeleter{api_});
  const Status st = FromTfStatus(*api_, status.get(), "");
  if (!st.ok()) return st;
  for (const TensorPtr& t : out) {
    if (t == nullptr) return Internal("TF_SessionRun returned no tensor for a fetch");
  }
  return out;
}

}  // namespace tfinterop
