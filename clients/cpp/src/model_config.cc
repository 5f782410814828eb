#include "model_config.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "tensorflow_serving/config/model_server_config.pb.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;

// Collects text-format parse errors into one line instead of stderr.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      first_ =
          "line " + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
    }
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

// A version folder name: digits only (no sign, no spaces), at most int64's maximum.
std::optional<int64_t> VersionNumber(const std::string& name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(),
                                   [](unsigned char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (error != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return value;
}

Status ServableNotFound(const std::string& name, const int64_t* version) {
  const std::string request = version == nullptr
                                  ? "Latest(" + name + ")"
                                  : "Specific(" + name + ", " + std::to_string(*version) + ")";
  return NotFound("Servable not found for request: " + request);
}

}  // namespace

std::map<int64_t, fs::path> VersionFolders(const fs::path& base) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());  // byte order
  std::map<int64_t, fs::path> found;
  for (const std::string& name : names) {
    if (const auto version = VersionNumber(name)) found[*version] = base / name;
  }
  return found;
}

std::vector<int64_t> ModelEntry::VersionsOnDisk() const {
  std::vector<int64_t> found;
  for (const auto& [version, path] : VersionFolders(base_path)) found.push_back(version);
  return found;
}

std::vector<int64_t> ModelEntry::ServedVersions() const { return KeptByPolicy(VersionsOnDisk()); }

std::vector<int64_t> ModelEntry::KeptByPolicy(std::vector<int64_t> on_disk) const {
  switch (policy) {
    case Policy::kAll: return on_disk;
    case Policy::kSpecific: {
      std::vector<int64_t> kept;
      for (int64_t v : on_disk) {
        if (std::find(specific.begin(), specific.end(), v) != specific.end()) kept.push_back(v);
      }
      return kept;
    }
    case Policy::kLatest: {
      const size_t n = static_cast<size_t>(std::max<int64_t>(latest_n, 1));
      if (on_disk.size() > n) on_disk.erase(on_disk.begin(), on_disk.end() - n);
      return on_disk;
    }
  }
  return on_disk;
}

std::vector<ModelEntry> ParseModelConfig(const std::string& text, const fs::path& folder,
                                         const std::string& source) {
  tensorflow::serving::ModelServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    throw ToolError("model config " + source + " does not parse: " + errors.first());
  }
  if (config.has_custom_model_config()) {
    throw ToolError("model config " + source + ": custom_model_config is not supported");
  }
  std::vector<ModelEntry> entries;
  for (const auto& mc : config.model_config_list().config()) {
    if (mc.name().empty()) throw ToolError("model config " + source + ": a model has no name");
    if (mc.base_path().empty()) {
      throw ToolError("model config " + source + ": model '" + mc.name() + "' has no base_path");
    }
    if (!mc.model_platform().empty() && mc.model_platform() != "tensorflow") {
      throw ToolError("model config " + source + ": model '" + mc.name() + "' has platform '" +
                      mc.model_platform() + "'; only 'tensorflow' is served");
    }
    ModelEntry e;
    e.name = mc.name();
    e.base_path = fs::path(mc.base_path());
    if (e.base_path.is_relative()) e.base_path = fs::weakly_canonical(folder / e.base_path);
    const auto& policy = mc.model_version_policy();
    if (policy.has_all()) {
      e.policy = ModelEntry::Policy::kAll;
    } else if (policy.has_specific()) {
      e.policy = ModelEntry::Policy::kSpecific;
      e.specific.assign(policy.specific().versions().begin(), policy.specific().versions().end());
    } else if (policy.has_latest()) {
      e.latest_n = policy.latest().num_versions() > 0 ? policy.latest().num_versions() : 1;
    }
    for (const auto& [label, version] : mc.version_labels()) e.labels[label] = version;
    e.folders = VersionFolders(e.base_path);
    std::vector<int64_t> on_disk;
    for (const auto& [version, path] : e.folders) on_disk.push_back(version);
    e.served = e.KeptByPolicy(std::move(on_disk));
    entries.push_back(std::move(e));
  }
  return entries;
}

std::vector<ModelEntry> ReadModelConfig(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw ToolError("cannot read model config " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return ParseModelConfig(text.str(), path.parent_path(), path.string());
}

StatusOr<ServedVersion> ResolveServedVersion(const std::vector<ModelEntry>& entries,
                                             const tensorflow::serving::ModelSpec& spec) {
  if (spec.name().empty()) return InvalidArgument("Missing model name in request.");
  const auto it = std::find_if(entries.begin(), entries.end(),
                               [&](const ModelEntry& e) { return e.name == spec.name(); });
  const ModelEntry* entry = it == entries.end() ? nullptr : &*it;
  int64_t wanted = 0;
  bool has_wanted = true;
  switch (spec.version_choice_case()) {
    case tensorflow::serving::ModelSpec::kVersionLabel: {
      if (entry == nullptr || entry->labels.count(spec.version_label()) == 0) {
        return InvalidArgument("Unrecognized servable version label: " + spec.version_label());
      }
      wanted = entry->labels.at(spec.version_label());
      break;
    }
    case tensorflow::serving::ModelSpec::kVersion: wanted = spec.version().value(); break;
    default: has_wanted = false;
  }
  if (entry == nullptr) return ServableNotFound(spec.name(), has_wanted ? &wanted : nullptr);
  const std::vector<int64_t>& served = entry->served;
  int64_t version = 0;
  if (!has_wanted) {
    if (served.empty()) return ServableNotFound(spec.name(), nullptr);
    version = served.back();
  } else if (std::find(served.begin(), served.end(), wanted) != served.end()) {
    version = wanted;
  } else {
    return ServableNotFound(spec.name(), &wanted);
  }
  return ServedVersion{entry, version};
}

StatusOr<ResolvedModel> ResolveModelSpec(const std::vector<ModelEntry>& entries,
                                         const tensorflow::serving::ModelSpec& spec) {
  const auto served = ResolveServedVersion(entries, spec);
  if (!served.ok()) return served.status();
  const ModelEntry& entry = *served->entry;
  // served was taken from folders: every served version has its folder.
  return ResolvedModel{entry.name, served->version, entry.folders.at(served->version)};
}

}  // namespace tfinterop
