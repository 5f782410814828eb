// One SavedModel version loaded through the C API (tag "serve"), with the
// MetaGraphDef TF_LoadSessionFromSavedModel returned, parsed with the
// descriptor-set-generated classes.
#ifndef TFINTEROP_SERVABLE_H_
#define TFINTEROP_SERVABLE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model_config.h"
#include "status.h"
#include "tensor_codec.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tf_api.h"

namespace tfinterop {

// A prepared TF_SessionRun: feeds converted to TF_Tensors once, fetches
// resolved. Run() may be called repeatedly (the bench's bare reference).
class SessionCall {
 public:
  // Runs the session; outputs in fetch order. TF's code on failure.
  StatusOr<std::vector<TensorPtr>> Run() const;

 private:
  friend class Servable;
  SessionCall(const TfApi& api, TF_Session* session) : api_(&api), session_(session) {}

  const TfApi* api_;
  TF_Session* session_;
  std::vector<TF_Output> feeds_;
  std::vector<TensorPtr> feed_values_;
  std::vector<TF_Tensor*> feed_raw_;
  std::vector<TF_Output> fetches_;
};

class Servable {
 public:
  // Loads `model.path`; the loader's own code on failure (e.g. NOT_FOUND).
  static StatusOr<std::unique_ptr<Servable>> Load(const TfApi& api, const ResolvedModel& model);

  const std::string& name() const { return name_; }
  int64_t version() const { return version_; }
  const tensorflow::MetaGraphDef& meta_graph() const { return meta_graph_; }

  // Binds alias-keyed inputs and output aliases of signature `key` (already
  // validated) to graph tensors and converts the inputs.
  StatusOr<SessionCall> Prepare(const std::string& key,
                                const std::vector<std::pair<std::string, HostTensor>>& inputs,
                                const std::vector<std::string>& outputs) const;

 private:
  Servable(const TfApi& api, std::string name, int64_t version, GraphPtr graph, SessionPtr session)
      : api_(&api),
        name_(std::move(name)),
        version_(version),
        graph_(std::move(graph)),
        session_(std::move(session)) {}

  // "dense/BiasAdd:0" -> TF_Output; INTERNAL when the graph lacks it.
  StatusOr<TF_Output> Resolve(const std::string& tensor_name) const;

  const TfApi* api_;
  std::string name_;
  int64_t version_;
  tensorflow::MetaGraphDef meta_graph_;
  GraphPtr graph_;
  SessionPtr session_;  // declared last: closed before the graph is deleted
};

}  // namespace tfinterop

#endif  // TFINTEROP_SERVABLE_H_
