// Custom-op libraries (docs/CONTRACT.md "Op libraries"): a model whose graph
// uses an op TensorFlow does not ship runs only once the library holding its
// kernel is loaded into the TensorFlow that runs the session.
#ifndef TFINTEROP_OP_LIBRARY_H_
#define TFINTEROP_OP_LIBRARY_H_

#include <filesystem>
#include <vector>

#include "status.h"
#include "tf_api.h"

namespace tfinterop {

// Loads the op library at `path` (relative paths against the working folder)
// into `api`'s TensorFlow, once per process and file: a later call answers
// the first outcome again, because a loaded library cannot be unloaded (its
// ops and kernels live in TensorFlow's process-wide registries). Fails with
// TF_LoadLibrary's own code and message (NOT_FOUND with the dynamic loader's
// text for a missing file or an unresolved symbol), prefixed with the path.
Status LoadOpLibrary(const TfApi& api, const std::filesystem::path& path);

// Loads every library of `paths` in order; the first failure, or OK.
Status LoadOpLibraries(const TfApi& api, const std::vector<std::filesystem::path>& paths);

}  // namespace tfinterop

#endif  // TFINTEROP_OP_LIBRARY_H_
