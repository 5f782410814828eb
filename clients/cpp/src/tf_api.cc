#include "tf_api.h"

#include <dlfcn.h>

#include <cstdlib>

namespace tfinterop {

const int kTfDlopenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;

namespace {

struct Loaded {
  TfApi api;
  Status status;
};

Loaded Load(const std::string& tf_dir) {
  Loaded out;
  const std::string framework = tf_dir + "/libtensorflow_framework.so.2";
  const std::string cc = tf_dir + "/libtensorflow_cc.so.2";
  // The handles are deliberately never closed: see LoadTfApi.
  if (dlopen(framework.c_str(), kTfDlopenFlags) == nullptr) {
    out.status = FailedPrecondition(std::string("cannot load TensorFlow: ") + dlerror());
    return out;
  }
  void* handle = dlopen(cc.c_str(), kTfDlopenFlags);
  if (handle == nullptr) {
    out.status = FailedPrecondition(std::string("cannot load TensorFlow: ") + dlerror());
    return out;
  }
#define TFINTEROP_RESOLVE(name)                                                           \
  out.api.name = reinterpret_cast<decltype(out.api.name)>(dlsym(handle, #name));          \
  if (out.api.name == nullptr) {                                                          \
    out.status = FailedPrecondition("TensorFlow library " + cc + " lacks symbol " #name); \
    return out;                                                                           \
  }
  TFINTEROP_TF_FUNCTIONS(TFINTEROP_RESOLVE)
#undef TFINTEROP_RESOLVE
  out.api.library = cc;
  return out;
}

}  // namespace

StatusOr<const TfApi*> LoadTfApi(const std::string& tf_dir) {
  // Initialised once, thread-safely; lives as long as the libraries do.
  static const Loaded loaded = Load(tf_dir);
  if (!loaded.status.ok()) return loaded.status;
  return &loaded.api;
}

std::string DefaultTfDir() {
  const char* env = std::getenv("TFINTEROP_TF_DIR");
  return env != nullptr && *env != '\0' ? env : TFINTEROP_TF_DIR;
}

void TfDeleter::operator()(TF_Session* s) const {
  StatusPtr status = NewStatus(*api);
  api->TF_CloseSession(s, status.get());
  api->TF_DeleteSession(s, status.get());
}

void TfDeleter::operator()(TF_Tensor* t) const {
  if (owns_strings && api->TF_TensorType(t) == TF_STRING) {
    auto* strings = static_cast<TF_TString*>(api->TF_TensorData(t));
    const size_t n = api->TF_TensorByteSize(t) / sizeof(TF_TString);
    for (size_t i = 0; i < n; ++i) api->TF_StringDealloc(&strings[i]);
  }
  api->TF_DeleteTensor(t);
}

Status FromTfStatus(const TfApi& api, const TF_Status* status, const std::string& context) {
  const int code = static_cast<int>(api.TF_GetCode(status));
  if (code == TF_OK) return OkStatus();
  std::string message = api.TF_Message(status);
  return Status(CodeFromInt(code), context.empty() ? message : context + ": " + message);
}

}  // namespace tfinterop
