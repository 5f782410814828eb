// inproc: the client loads the SavedModel itself through the TF C API and
// answers Predict and GetModelMetadata as TF Serving would.
#ifndef TFINTEROP_INPROC_TRANSPORT_H_
#define TFINTEROP_INPROC_TRANSPORT_H_

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "model_config.h"
#include "predict.h"
#include "servable.h"
#include "tf_api.h"
#include "transport.h"

namespace tfinterop {

// The APIs InprocTransport::Call runs (the rest are server APIs:
// UNIMPLEMENTED); `info` prints them, a test holds Call to them.
const std::vector<Api>& InprocApis();

class InprocTransport : public Transport {
 public:
  // Reads the model config (ToolError if unreadable), loads TensorFlow from
  // `tf_dir` (ToolError if it cannot), then the custom-op libraries the
  // models need (op_library.h: once per process). Models load on first use.
  // A library that fails to load is every call's answer, with its status.
  InprocTransport(const std::filesystem::path& model_config, const std::string& tf_dir,
                  const std::vector<std::filesystem::path>& op_libraries = {});
  // With a given C API table (tests count handles through one).
  InprocTransport(const std::filesystem::path& model_config, const TfApi& api,
                  const std::vector<std::filesystem::path>& op_libraries = {});

  const char* mode() const override { return "inproc"; }
  Status Call(Api api, const google::protobuf::Message& request,
              google::protobuf::Message* response, const CallOptions& options) override;
  nlohmann::json Runtime() const override;
  // A caller whose predicts refill the response it is given and reuse the
  // plan, input tensors and results of its previous predict (PredictMemory),
  // so a warm predict touches no fresh heap between two session runs.
  std::unique_ptr<Caller> NewCaller() override;

  // The servable a ModelSpec resolves to, loaded once (a failed load is
  // remembered and answered again, as a server would); the op library's
  // failure when one did not load.
  StatusOr<const Servable*> ServableFor(const tensorflow::serving::ModelSpec& spec);
  const TfApi& api() const { return *api_; }

 private:
  class MemoryCaller;
  // Call, with the predict memory of one caller (a fresh one for Call itself).
  Status CallWith(Api api, const google::protobuf::Message& request,
                  google::protobuf::Message* response, PredictMemory* memory);

  const TfApi* api_;
  std::vector<ModelEntry> entries_;
  Status op_library_failure_;  // the first op library that did not load
  std::mutex mu_;
  // Keyed by the entry (entries_ never changes after construction) and version,
  // so a call finds its servable without copying a name or a path.
  std::map<std::pair<const ModelEntry*, int64_t>, StatusOr<std::unique_ptr<Servable>>> loaded_;
};

}  // namespace tfinterop

#endif  // TFINTEROP_INPROC_TRANSPORT_H_
