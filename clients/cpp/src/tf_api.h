// The TensorFlow C API of the pinned wheel, reached only through dlopen/dlsym.
//
// Why not link it: libtensorflow_framework.so.2 exports its bundled protobuf
// (~12,000 unversioned google::protobuf symbols) and TF's own generated message
// classes, so a binary that also holds Debian protobuf/gRPC code crashes in
// static initializers (tensorflow issue 24976). Loading the two libraries with
// RTLD_LOCAL | RTLD_DEEPBIND keeps each side bound to its own protobuf; only C
// types cross the boundary. The libraries are loaded on first use, so grpc and
// rest runs never map TensorFlow at all.
#ifndef TFINTEROP_TF_API_H_
#define TFINTEROP_TF_API_H_

#include <memory>
#include <string>

#include "status.h"
#include "tensorflow/c/c_api.h"
#include "tensorflow/c/tf_tstring.h"

namespace tfinterop {

// Every C API function the client calls, as a function pointer.
#define TFINTEROP_TF_FUNCTIONS(X) \
  X(TF_Version)                   \
  X(TF_NewStatus)                 \
  X(TF_DeleteStatus)              \
  X(TF_GetCode)                   \
  X(TF_Message)                   \
  X(TF_NewGraph)                  \
  X(TF_DeleteGraph)               \
  X(TF_GraphOperationByName)      \
  X(TF_OperationNumOutputs)       \
  X(TF_NewSessionOptions)         \
  X(TF_DeleteSessionOptions)      \
  X(TF_SetConfig)                 \
  X(TF_NewBuffer)                 \
  X(TF_DeleteBuffer)              \
  X(TF_LoadSessionFromSavedModel) \
  X(TF_CloseSession)              \
  X(TF_DeleteSession)             \
  X(TF_SessionRun)                \
  X(TF_AllocateTensor)            \
  X(TF_DeleteTensor)              \
  X(TF_TensorMaybeMove)           \
  X(TF_TensorType)                \
  X(TF_NumDims)                   \
  X(TF_Dim)                       \
  X(TF_TensorByteSize)            \
  X(TF_TensorData)                \
  X(TF_StringInit)                \
  X(TF_StringCopy)                \
  X(TF_StringGetDataPointer)      \
  X(TF_StringGetSize)             \
  X(TF_StringDealloc)             \
  X(TF_LoadLibrary)

struct TfApi {
#define TFINTEROP_DECLARE(name) decltype(&::name) name = nullptr;
  TFINTEROP_TF_FUNCTIONS(TFINTEROP_DECLARE)
#undef TFINTEROP_DECLARE

  // Where the libraries came from, for run.json.
  std::string library;
};

// RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND: how the TensorFlow libraries (and the
// custom-op libraries that extend them, op_library.h) are mapped.
extern const int kTfDlopenFlags;

// Loads (once per process) libtensorflow_framework.so.2 then
// libtensorflow_cc.so.2 from `tf_dir` and resolves every function. Later calls
// return the same table whatever `tf_dir` says: TensorFlow cannot be unloaded
// (its op and kernel registries live for the process), so neither can this.
// FAILED_PRECONDITION naming the library or symbol when anything is missing.
StatusOr<const TfApi*> LoadTfApi(const std::string& tf_dir);

// The wheel folder the build found (…/site-packages/tensorflow), unless the
// TFINTEROP_TF_DIR environment variable names another.
std::string DefaultTfDir();

// One deleter for every handle type, bound to the table that made it.
struct TfDeleter {
  const TfApi* api = nullptr;
  // Set for string tensors the client built with TF_AllocateTensor: their
  // TF_TStrings are released here before the tensor. TF 2.21 also destroys
  // them in TF_DeleteTensor (older releases freed only the buffer);
  // TF_StringDealloc re-initialises each string, so releasing twice is safe.
  bool owns_strings = false;
  void operator()(TF_Status* s) const { api->TF_DeleteStatus(s); }
  void operator()(TF_Graph* g) const { api->TF_DeleteGraph(g); }
  void operator()(TF_SessionOptions* o) const { api->TF_DeleteSessionOptions(o); }
  void operator()(TF_Buffer* b) const { api->TF_DeleteBuffer(b); }
  void operator()(TF_Tensor* t) const;
  // A session is closed, then deleted; a failure here has nobody to report to.
  void operator()(TF_Session* s) const;
};

using StatusPtr = std::unique_ptr<TF_Status, TfDeleter>;
using GraphPtr = std::unique_ptr<TF_Graph, TfDeleter>;
using SessionOptionsPtr = std::unique_ptr<TF_SessionOptions, TfDeleter>;
using BufferPtr = std::unique_ptr<TF_Buffer, TfDeleter>;
using TensorPtr = std::unique_ptr<TF_Tensor, TfDeleter>;
using SessionPtr = std::unique_ptr<TF_Session, TfDeleter>;

inline StatusPtr NewStatus(const TfApi& api) { return StatusPtr(api.TF_NewStatus(), {&api}); }

// The TF_Status as ours (TF_Code numbers are the canonical codes).
Status FromTfStatus(const TfApi& api, const TF_Status* status, const std::string& context);

}  // namespace tfinterop

#endif  // TFINTEROP_TF_API_H_
