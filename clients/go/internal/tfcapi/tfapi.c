// Function pointers into the dlopen'ed TensorFlow C API and the tfi_*
// forwarders cgo calls (see tfapi.h).
#include "tfapi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TFI_FUNCTIONS(X)                                                                   \
  X(TF_Version) X(TF_NewStatus) X(TF_DeleteStatus) X(TF_GetCode) X(TF_Message)             \
  X(TF_NewSessionOptions) X(TF_DeleteSessionOptions) X(TF_NewGraph) X(TF_DeleteGraph)      \
  X(TF_NewBuffer) X(TF_DeleteBuffer) X(TF_LoadSessionFromSavedModel) X(TF_NewSession)      \
  X(TF_SessionRun) X(TF_CloseSession) X(TF_DeleteSession) X(TF_GraphOperationByName)       \
  X(TF_OperationNumOutputs) X(TF_NewOperation) X(TF_SetAttrType) X(TF_AddInput)            \
  X(TF_FinishOperation) X(TF_AllocateTensor) X(TF_DeleteTensor) X(TF_TensorData)           \
  X(TF_TensorType) X(TF_NumDims) X(TF_Dim) X(TF_TensorElementCount) X(TF_TensorByteSize)   \
  X(TF_TensorMaybeMove) X(TF_LoadLibrary)

#define TFI_POINTER(name) static __typeof__(&name) p_##name;
TFI_FUNCTIONS(TFI_POINTER)
#undef TFI_POINTER

static char* tfi_error(const char* what, const char* detail) {
  size_t n = strlen(what) + strlen(detail) + 3;
  char* out = malloc(n);
  if (out != NULL) snprintf(out, n, "%s: %s", what, detail);
  return out;
}

char* tfi_load(const char* dir) {
  // The handles stay open for the process: TensorFlow's op and kernel
  // registries cannot be unloaded.
  const int flags = RTLD_NOW | RTLD_LOCAL;
  char path[4096];
  snprintf(path, sizeof path, "%s/libtensorflow_framework.so.2", dir);
  if (dlopen(path, flags) == NULL) return tfi_error("cannot load TensorFlow", dlerror());
  snprintf(path, sizeof path, "%s/libtensorflow_cc.so.2", dir);
  void* cc = dlopen(path, flags);
  if (cc == NULL) return tfi_error("cannot load TensorFlow", dlerror());
#define TFI_RESOLVE(name)                                        \
  p_##name = (__typeof__(&name))dlsym(cc, #name);                \
  if (p_##name == NULL) return tfi_error(path, "lacks " #name);
  TFI_FUNCTIONS(TFI_RESOLVE)
#undef TFI_RESOLVE
  return NULL;
}

const char* tfi_Version(void) { return p_TF_Version(); }
TF_Status* tfi_NewStatus(void) { return p_TF_NewStatus(); }
void tfi_DeleteStatus(TF_Status* s) { p_TF_DeleteStatus(s); }
TF_Code tfi_GetCode(const TF_Status* s) { return p_TF_GetCode(s); }
const char* tfi_Message(const TF_Status* s) { return p_TF_Message(s); }
TF_SessionOptions* tfi_NewSessionOptions(void) { return p_TF_NewSessionOptions(); }
void tfi_DeleteSessionOptions(TF_SessionOptions* o) { p_TF_DeleteSessionOptions(o); }
TF_Graph* tfi_NewGraph(void) { return p_TF_NewGraph(); }
void tfi_DeleteGraph(TF_Graph* g) { p_TF_DeleteGraph(g); }
TF_Buffer* tfi_NewBuffer(void) { return p_TF_NewBuffer(); }
void tfi_DeleteBuffer(TF_Buffer* b) { p_TF_DeleteBuffer(b); }

TF_Session* tfi_LoadSessionFromSavedModel(const TF_SessionOptions* opts, const TF_Buffer* run_options,
                                          const char* export_dir, const char* const* tags, int tags_len,
                                          TF_Graph* graph, TF_Buffer* meta_graph_def, TF_Status* status) {
  return p_TF_LoadSessionFromSavedModel(opts, run_options, export_dir, tags, tags_len, graph,
                                        meta_graph_def, status);
}

TF_Session* tfi_NewSession(TF_Graph* graph, const TF_SessionOptions* opts, TF_Status* status) {
  return p_TF_NewSession(graph, opts, status);
}

void tfi_SessionRun(TF_Session* session, const TF_Buffer* run_options, const TF_Output* inputs,
                    TF_Tensor* const* input_values, int ninputs, const TF_Output* outputs,
                    TF_Tensor** output_values, int noutputs, const TF_Operation* const* targets,
                    int ntargets, TF_Buffer* run_metadata, TF_Status* status) {
  p_TF_SessionRun(session, run_options, inputs, input_values, ninputs, outputs, output_values,
                  noutputs, targets, ntargets, run_metadata, status);
}

void tfi_CloseSession(TF_Session* s, TF_Status* status) { p_TF_CloseSession(s, status); }
void tfi_DeleteSession(TF_Session* s, TF_Status* status) { p_TF_DeleteSession(s, status); }
TF_Operation* tfi_GraphOperationByName(TF_Graph* graph, const char* name) {
  return p_TF_GraphOperationByName(graph, name);
}
int tfi_OperationNumOutputs(TF_Operation* op) { return p_TF_OperationNumOutputs(op); }
TF_OperationDescription* tfi_NewOperation(TF_Graph* graph, const char* op_type, const char* name) {
  return p_TF_NewOperation(graph, op_type, name);
}
void tfi_SetAttrType(TF_OperationDescription* desc, const char* attr, TF_DataType value) {
  p_TF_SetAttrType(desc, attr, value);
}
void tfi_AddInput(TF_OperationDescription* desc, TF_Output input) { p_TF_AddInput(desc, input); }
TF_Operation* tfi_FinishOperation(TF_OperationDescription* desc, TF_Status* status) {
  return p_TF_FinishOperation(desc, status);
}
TF_Tensor* tfi_AllocateTensor(TF_DataType dtype, const int64_t* dims, int num_dims, size_t len) {
  return p_TF_AllocateTensor(dtype, dims, num_dims, len);
}
void tfi_DeleteTensor(TF_Tensor* t) { p_TF_DeleteTensor(t); }
void* tfi_TensorData(const TF_Tensor* t) { return p_TF_TensorData(t); }
TF_DataType tfi_TensorType(const TF_Tensor* t) { return p_TF_TensorType(t); }
int tfi_NumDims(const TF_Tensor* t) { return p_TF_NumDims(t); }
int64_t tfi_Dim(const TF_Tensor* t, int index) { return p_TF_Dim(t, index); }
int64_t tfi_TensorElementCount(const TF_Tensor* t) { return p_TF_TensorElementCount(t); }
size_t tfi_TensorByteSize(const TF_Tensor* t) { return p_TF_TensorByteSize(t); }
TF_Tensor* tfi_TensorMaybeMove(TF_Tensor* t) { return p_TF_TensorMaybeMove(t); }
TF_Library* tfi_LoadLibrary(const char* library_filename, TF_Status* status) {
  return p_TF_LoadLibrary(library_filename, status);
}
