// The TensorFlow C API functions this package calls, reached through dlopen
// and dlsym instead of being linked (see library.go): the wheel's libraries
// log to stderr from their static initializers, so they are mapped only when
// a model is first needed, after the CLI has set up its stderr filter, and
// grpc and rest runs never map TensorFlow at all. Each tfi_<name> forwards to
// TF_<name>; cgo cannot call the function pointers themselves.
#ifndef TFINTEROP_GO_TFAPI_H_
#define TFINTEROP_GO_TFAPI_H_

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/tf_tstring.h"

// Loads libtensorflow_framework.so.2 then libtensorflow_cc.so.2 from dir and
// resolves every function. NULL on success, else a malloc'd message naming
// the library or symbol (the caller frees it). Not thread-safe: call once.
char* tfi_load(const char* dir);

const char* tfi_Version(void);
TF_Status* tfi_NewStatus(void);
void tfi_DeleteStatus(TF_Status* s);
TF_Code tfi_GetCode(const TF_Status* s);
const char* tfi_Message(const TF_Status* s);
TF_SessionOptions* tfi_NewSessionOptions(void);
void tfi_DeleteSessionOptions(TF_SessionOptions* o);
TF_Graph* tfi_NewGraph(void);
void tfi_DeleteGraph(TF_Graph* g);
TF_Buffer* tfi_NewBuffer(void);
void tfi_DeleteBuffer(TF_Buffer* b);
TF_Session* tfi_LoadSessionFromSavedModel(const TF_SessionOptions* opts, const TF_Buffer* run_options,
                                          const char* export_dir, const char* const* tags, int tags_len,
                                          TF_Graph* graph, TF_Buffer* meta_graph_def, TF_Status* status);
TF_Session* tfi_NewSession(TF_Graph* graph, const TF_SessionOptions* opts, TF_Status* status);
void tfi_SessionRun(TF_Session* session, const TF_Buffer* run_options, const TF_Output* inputs,
                    TF_Tensor* const* input_values, int ninputs, const TF_Output* outputs,
                    TF_Tensor** output_values, int noutputs, const TF_Operation* const* targets,
                    int ntargets, TF_Buffer* run_metadata, TF_Status* status);
void tfi_CloseSession(TF_Session* s, TF_Status* status);
void tfi_DeleteSession(TF_Session* s, TF_Status* status);
TF_Operation* tfi_GraphOperationByName(TF_Graph* graph, const char* name);
int tfi_OperationNumOutputs(TF_Operation* op);
TF_OperationDescription* tfi_NewOperation(TF_Graph* graph, const char* op_type, const char* name);
void tfi_SetAttrType(TF_OperationDescription* desc, const char* attr, TF_DataType value);
void tfi_AddInput(TF_OperationDescription* desc, TF_Output input);
TF_Operation* tfi_FinishOperation(TF_OperationDescription* desc, TF_Status* status);
TF_Tensor* tfi_AllocateTensor(TF_DataType dtype, const int64_t* dims, int num_dims, size_t len);
void tfi_DeleteTensor(TF_Tensor* t);
void* tfi_TensorData(const TF_Tensor* t);
TF_DataType tfi_TensorType(const TF_Tensor* t);
int tfi_NumDims(const TF_Tensor* t);
int64_t tfi_Dim(const TF_Tensor* t, int index);
int64_t tfi_TensorElementCount(const TF_Tensor* t);
size_t tfi_TensorByteSize(const TF_Tensor* t);
TF_Tensor* tfi_TensorMaybeMove(TF_Tensor* t);
TF_Library* tfi_LoadLibrary(const char* library_filename, TF_Status* status);

#endif  // TFINTEROP_GO_TFAPI_H_
