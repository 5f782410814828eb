// TF Serving's model config (text-format ModelServerConfig) and ModelSpec
// resolution as ServerCore does it, so in-process runs resolve name, version
// and label exactly like the server: empty name and unknown label are
// INVALID_ARGUMENT, unknown model or version NOT_FOUND.
#ifndef TFINTEROP_MODEL_CONFIG_H_
#define TFINTEROP_MODEL_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "status.h"
#include "tensorflow_serving/apis/model.pb.h"

namespace tfinterop {

// Version folders under `base`, as TF Serving's
// file_system_storage_path_source.cc finds them: a child whose whole name is
// ASCII decimal digits with a value that fits int64 is that version and keeps
// its own name ("00000123" is version 123, loaded from base/00000123); other
// names are ignored. Names are walked in byte order and the last of two names
// giving one number wins ("123" over "0123"), as IndexChildrenByVersion does.
// Whether a folder holds a SavedModel is the loader's business, as in TF
// Serving. A missing or unreadable base has none.
std::map<int64_t, std::filesystem::path> VersionFolders(const std::filesystem::path& base);

struct ModelEntry {
  enum class Policy { kLatest, kAll, kSpecific };

  std::string name;
  std::filesystem::path base_path;  // absolute
  Policy policy = Policy::kLatest;
  int64_t latest_n = 1;
  std::vector<int64_t> specific;
  std::map<std::string, int64_t> labels;
  // VersionFolders() and ServedVersions() when the config was read: like a
  // server, the client loads what is on disk at start and does not poll.
  std::map<int64_t, std::filesystem::path> folders;
  std::vector<int64_t> served;

  // The version numbers under base_path (VersionFolders), ascending.
  std::vector<int64_t> VersionsOnDisk() const;
  // The versions the version policy keeps loaded, ascending.
  std::vector<int64_t> ServedVersions() const;
  // The versions the policy keeps out of the ascending `on_disk`.
  std::vector<int64_t> KeptByPolicy(std::vector<int64_t> on_disk) const;
};

struct ResolvedModel {
  std::string name;
  int64_t version = 0;
  std::filesystem::path path;
};

// Parses a ModelServerConfig file; relative base paths resolve against its
// folder. Throws ToolError naming the file and the problem.
std::vector<ModelEntry> ReadModelConfig(const std::filesystem::path& path);

// Same, from text (for tests); `folder` anchors relative base paths.
std::vector<ModelEntry> ParseModelConfig(const std::string& text,
                                         const std::filesystem::path& folder,
                                         const std::string& source);

// The entry of `entries` a ModelSpec names and the served version it asks for
// (the latest when none), without copying either: what a call resolves on
// every request. TF Serving's codes and messages for a missing model, version
// or label.
struct ServedVersion {
  const ModelEntry* entry = nullptr;
  int64_t version = 0;
};
StatusOr<ServedVersion> ResolveServedVersion(const std::vector<ModelEntry>& entries,
                                             const tensorflow::serving::ModelSpec& spec);

// ResolveServedVersion with the name and folder copied out.
StatusOr<ResolvedModel> ResolveModelSpec(const std::vector<ModelEntry>& entries,
                                         const tensorflow::serving::ModelSpec& spec);

}  // namespace tfinterop

#endif  // TFINTEROP_MODEL_CONFIG_H_
