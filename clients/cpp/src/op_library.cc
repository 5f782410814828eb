#include "op_library.h"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <string>

namespace tfinterop {
namespace {

namespace fs = std::filesystem;

// Process-wide because TensorFlow's op registry is: what was loaded stays.
// Allocated once and never freed, like the libraries and TF_Library handles
// it records (TF_DeleteLibraryHandle would not unload anything either).
struct Registry {
  std::mutex mu;
  std::map<std::string, Status> outcomes;  // by canonical path
  std::vector<void*> mapped;               // dlopen handles
  std::vector<TF_Library*> libraries;      // TF_LoadLibrary handles
};

Registry& GlobalRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

Status Load(const TfApi& api, const std::string& file, Registry& registry) {
  // Mapped first with TensorFlow's own flags (tf_api.h). RTLD_DEEPBIND makes
  // the library resolve its imports in its own dependencies before the
  // process's global scope: libtensorflow_framework.so.2 (matched by soname
  // to the copy already mapped, so the ops land in the session's registries)
  // with its bundled protobuf, not the Debian libprotobuf this binary links,
  // which defines some of the same unversioned symbols. TF_LoadLibrary maps
  // with RTLD_LOCAL alone; here it finds the file mapped, and still answers
  // with TensorFlow's status. A file the loader refuses is left to
  // TF_LoadLibrary, whose status (the same dlerror text) is the one recorded.
  if (void* mapped = dlopen(file.c_str(), kTfDlopenFlags)) registry.mapped.push_back(mapped);
  StatusPtr status = NewStatus(api);
  if (TF_Library* library = api.TF_LoadLibrary(file.c_str(), status.get())) {
    registry.libraries.push_back(library);
  }
  return FromTfStatus(api, status.get(), "loading op library " + file);
}

}  // namespace

Status LoadOpLibrary(const TfApi& api, const fs::path& path) {
  std::error_code ec;
  fs::path file = fs::absolute(path, ec).lexically_normal();
  if (ec) file = path;
  fs::path key = fs::weakly_canonical(file, ec);
  if (ec) key = file;
  Registry& registry = GlobalRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  auto it = registry.outcomes.find(key.string());
  if (it == registry.outcomes.end()) {
    it = registry.outcomes.emplace(key.string(), Load(api, file.string(), registry)).first;
  }
  return it->second;
}

Status LoadOpLibraries(const TfApi& api, const std::vector<fs::path>& paths) {
  Status first;
  for (const fs::path& path : paths) {
    const Status st = LoadOpLibrary(api, path);
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

}  // namespace tfinterop
