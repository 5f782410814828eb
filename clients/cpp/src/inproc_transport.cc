#include "inproc_transport.h"

#include "op_library.h"

namespace tfinterop {

namespace tfs = tensorflow::serving;

namespace {

const TfApi* MustLoadTf(const std::string& tf_dir) {
  auto api = LoadTfApi(tf_dir);
  if (!api.ok()) throw ToolError(api.status().message());
  return api.value();
}

}  // namespace

const std::vector<Api>& InprocApis() {
  static const std::vector<Api> apis = {Api::kPredict, Api::kMetadata};
  return apis;
}

InprocTransport::InprocTransport(const std::filesystem::path& model_config,
                                 const std::string& tf_dir,
                                 const std::vector<std::filesystem::path>& op_libraries)
    : InprocTransport(model_config, *MustLoadTf(tf_dir), op_libraries) {}

InprocTransport::InprocTransport(const std::filesystem::path& model_config, const TfApi& api,
                                 const std::vector<std::filesystem::path>& op_libraries)
    : api_(&api),
      entries_(ReadModelConfig(model_config)),
      op_library_failure_(LoadOpLibraries(api, op_libraries)) {}

StatusOr<const Servable*> InprocTransport::ServableFor(const tfs::ModelSpec& spec) {
  if (!op_library_failure_.ok()) return op_library_failure_;
  const auto served = ResolveServedVersion(entries_, spec);
  if (!served.ok()) return served.status();
  std::lock_guard<std::mutex> lock(mu_);
  const auto key = std::make_pair(served->entry, served->version);
  auto it = loaded_.find(key);
  if (it == loaded_.end()) {
    const auto model = ResolveModelSpec(entries_, spec);  // resolves as above: the copies
    it = loaded_.emplace(key, Servable::Load(*api_, model.value())).first;
  }
  if (!it->second.ok()) return it->second.status();
  return it->second.value().get();
}

class InprocTransport::MemoryCaller : public Caller {
 public:
  explicit MemoryCaller(InprocTransport* transport) : transport_(transport) {}
  Status Call(Api api, const google::protobuf::Message& request,
              google::protobuf::Message* response, const CallOptions&) override {
    return transport_->CallWith(api, request, response, &memory_);
  }

 private:
  InprocTransport* transport_;
  PredictMemory memory_;
};

std::unique_ptr<Caller> InprocTransport::NewCaller() {
  return std::make_unique<MemoryCaller>(this);
}

Status InprocTransport::Call(Api api, const google::protobuf::Message& request,
                             google::protobuf::Message* response, const CallOptions&) {
  PredictMemory memory;
  return CallWith(api, request, response, &memory);
}

Status InprocTransport::CallWith(Api api, const google::protobuf::Message& request,
                                 google::protobuf::Message* response, PredictMemory* memory) {
  // The contract: every in-process case of a set whose library failed gets
  // that failure, whatever else the request would have met.
  if (!op_library_failure_.ok()) return op_library_failure_;
  switch (api) {
    case Api::kPredict: {
      const auto& req = static_cast<const tfs::PredictRequest&>(request);
      const auto servable = ServableFor(req.model_spec());
      if (!servable.ok()) return servable.status();
      return RunPredict(*servable.value(), req, static_cast<tfs::PredictResponse*>(response),
                        memory);
    }
    case Api::kMetadata: {
      const auto& req = static_cast<const tfs::GetModelMetadataRequest&>(request);
      const auto servable = ServableFor(req.model_spec());
      if (!servable.ok()) return servable.status();
      return GetModelMetadata(*servable.value(), req,
                              static_cast<tfs::GetModelMetadataResponse*>(response));
    }
    default:
      return Unimplemented(std::string(ApiName(api)) +
                           " is a server API; not available in-process");
  }
}

nlohmann::json InprocTransport::Runtime() const {
  const std::string version = api_->TF_Version();
  // The judge demands bit-exact outputs when this equals the producer's build.
  return {{"tensorflow", version},
          {"tensorflow_build", "pip:tensorflow==" + version},
          {"library", api_->library + " (tensorflow wheel, C API via dlopen)"}};
}

}  // namespace tfinterop
