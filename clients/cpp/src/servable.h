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

// One tensor of a signature, bound to the graph when the model loads.
struct BoundTensor {
  std::string alias;
  const tensorflow::TensorInfo* info = nullptr;
  TF_Output target{nullptr, 0};
  // INTERNAL when the signature names a tensor the graph lacks: the answer of
  // every call that feeds or fetches it (the model still loads, as in TF Serving).
  Status error;
};

// A signature with its inputs and outputs sorted by alias (the order TF
// Serving feeds and answers them in), resolved once so a call does no name
// lookups in the graph.
struct SignatureBinding {
  std::string key;
  const tensorflow::SignatureDef* def = nullptr;
  std::vector<BoundTensor> inputs;
  std::vector<BoundTensor> outputs;

  // The output named `alias`; nullptr when the signature has none.
  const BoundTensor* FindOutput(const std::string& alias) const;
};

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
  const TfApi& api() const { return *api_; }

  // The signature named `key`, bound at load; nullptr when the model has none.
  const SignatureBinding* Signature(const std::string& key) const;

  // Feeds `inputs` (one per input of `signature`, in its order, already
  // validated) and fetches `outputs` (of `signature`); the binding's INTERNAL
  // error when one of them names a tensor the graph lacks.
  StatusOr<SessionCall> Prepare(const SignatureBinding& signature, std::vector<TensorPtr> inputs,
                                const std::vector<const BoundTensor*>& outputs) const;

  // Prepare and SessionCall::Run in one, with the feeds and fetches on the
  // stack: what each Predict does. `results` gets the outputs in fetch order.
  // Prepare's and Run's errors.
  Status Run(const SignatureBinding& signature, const std::vector<TensorPtr>& inputs,
             const std::vector<const BoundTensor*>& outputs, std::vector<TensorPtr>* results) const;

 private:
  Servable(const TfApi& api, std::string name, int64_t version, GraphPtr graph, SessionPtr session)
      : api_(&api),
        name_(std::move(name)),
        version_(version),
        graph_(std::move(graph)),
        session_(std::move(session)) {}

  // "dense/BiasAdd:0" -> TF_Output; INTERNAL when the graph lacks it.
  StatusOr<TF_Output> Resolve(const std::string& tensor_name) const;
  // Every signature of meta_graph_, for signatures_.
  void BindSignatures();

  const TfApi* api_;
  std::string name_;
  int64_t version_;
  tensorflow::MetaGraphDef meta_graph_;
  std::map<std::string, SignatureBinding> signatures_;  // points into meta_graph_
  GraphPtr graph_;
  SessionPtr session_;  // declared last: closed before the graph is deleted
};

}  // namespace tfinterop

#endif  // TFINTEROP_SERVABLE_H_
