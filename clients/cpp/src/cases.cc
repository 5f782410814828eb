#include "cases.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "status.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormat = 1;

std::string ReadFile(const fs::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ToolError(what + ": cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw ToolError(what + ": error reading " + path.string());
  return out.str();
}

std::string VerifiedFile(const fs::path& folder, const json& entry, const std::string& id,
                         const std::string& name) {
  const std::string data = ReadFile(folder / name, "case " + id);
  const auto sums = entry.find("sha256");
  if (sums == entry.end() || !sums->is_object() || !sums->contains(name)) {
    throw ToolError("case " + id + ": manifest has no sha256 for " + name);
  }
  const std::string want = (*sums)[name].get<std::string>();
  const std::string got = Sha256Hex(data);
  if (got != want) {
    throw ToolError("case " + id + ": " + (folder / name).string() + " sha256 " +
                    got.substr(0, 12) + "... != manifest " + want.substr(0, 12) + "...");
  }
  return data;
}

Case ParseCase(const fs::path& folder, const json& entry, size_t index) {
  const fs::path manifest = folder / "manifest.json";
  if (!entry.is_object() || !entry.contains("id") || !entry.contains("request")) {
    throw ToolError(manifest.string() + ": case #" + std::to_string(index) +
                    " lacks id or request");
  }
  Case c;
  c.id = entry["id"].get<std::string>();
  const auto api = ApiFromName(entry.value("api", std::string()));
  if (!api) {
    throw ToolError(manifest.string() + ": case " + c.id + " has unknown api '" +
                    entry.value("api", std::string()) + "'");
  }
  c.api = *api;
  c.description = entry.value("description", std::string());
  c.transports = entry.value("transports", std::vector<std::string>{"inproc", "grpc", "rest"});
  const bool has_response = entry.contains("response");
  const bool has_error = entry.contains("error");
  if (has_response == has_error) {
    throw ToolError(manifest.string() + ": case " + c.id +
                    " needs exactly one of response and error");
  }
  if (has_error) c.expected_error = entry["error"].get<std::string>();
  const std::string format = entry.value("rest_format", std::string("columnar"));
  if (format == "row") {
    c.rest_format = RestFormat::kRow;
  } else if (format != "columnar") {
    throw ToolError(manifest.string() + ": case " + c.id + " has unknown rest_format '" + format +
                    "'");
  }
  c.request_bytes = VerifiedFile(folder, entry, c.id, entry["request"].get<std::string>());
  if (entry.contains("v2")) {
    const json& v2 = entry["v2"];
    if (!v2.is_object() || !v2.contains("request") || !v2["request"].is_string()) {
      throw ToolError(manifest.string() + ": case " + c.id + " has a v2 entry without a request");
    }
    c.v2 = V2Form{VerifiedFile(folder, entry, c.id, v2["request"].get<std::string>())};
    if (v2.contains("response")) {
      VerifiedFile(folder, entry, c.id, v2["response"].get<std::string>());
    }
  }
  // The expected response is the judge's business, but a tampered one still
  // makes the whole set untrustworthy.
  if (has_response) VerifiedFile(folder, entry, c.id, entry["response"].get<std::string>());
  return c;
}

}  // namespace

std::optional<Api> ApiFromName(const std::string& name) {
  if (name == "predict") return Api::kPredict;
  if (name == "classify") return Api::kClassify;
  if (name == "regress") return Api::kRegress;
  if (name == "multi_inference") return Api::kMultiInference;
  if (name == "metadata") return Api::kMetadata;
  return std::nullopt;
}

const char* ApiName(Api api) {
  switch (api) {
    case Api::kPredict: return "predict";
    case Api::kClassify: return "classify";
    case Api::kRegress: return "regress";
    case Api::kMultiInference: return "multi_inference";
    case Api::kMetadata: return "metadata";
  }
  return "?";
}

Protocol ProtocolOfMode(const std::string& mode) {
  return mode == "v2grpc" || mode == "v2rest" ? Protocol::kOpenInference : Protocol::kTfServing;
}

bool Case::AppliesTo(const std::string& mode) const {
  if (ProtocolOfMode(mode) == Protocol::kOpenInference && !v2) return false;
  return std::find(transports.begin(), transports.end(), mode) != transports.end();
}

const std::string& Case::RequestBytes(Protocol protocol) const {
  static const std::string kNone;
  if (protocol == Protocol::kTfServing) return request_bytes;
  return v2 ? v2->request_bytes : kNone;
}

const Case* CaseSet::Find(const std::string& id) const {
  for (const Case& c : cases) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

CaseSet ReadCaseSet(const fs::path& folder) {
  const fs::path path = folder / "manifest.json";
  json data;
  try {
    data = json::parse(ReadFile(path, "case set"));
  } catch (const json::exception& e) {
    throw ToolError(path.string() + " is not valid JSON: " + e.what());
  }
  try {
    if (!data.is_object() || data.value("format", 0) != kFormat) {
      throw ToolError(path.string() + ": unsupported manifest format");
    }
    CaseSet set;
    set.folder = folder;
    set.model = data.at("model").at("name").get<std::string>();
    set.config_path =
        fs::weakly_canonical(folder / data.at("model").at("config").get<std::string>());
    const json& model = data.at("model");
    if (model.contains("op_libraries")) {
      const json& libraries = model["op_libraries"];
      if (!libraries.is_array()) {
        throw ToolError(path.string() + ": model.op_libraries must be a list of paths");
      }
      for (const json& library : libraries) {
        if (!library.is_string() || library.get<std::string>().empty()) {
          throw ToolError(path.string() + ": model.op_libraries holds " + library.dump() +
                          ", not a path");
        }
        set.op_libraries.push_back((folder / library.get<std::string>()).lexically_normal());
      }
    }
    const json producer = data.value("producer", json::object());
    for (const auto& [k, v] : producer.items()) {
      if (v.is_string()) set.producer[k] = v.get<std::string>();
    }
    const json& cases = data.at("cases");
    for (size_t i = 0; i < cases.size(); ++i) set.cases.push_back(ParseCase(folder, cases[i], i));
    return set;
  } catch (const json::exception& e) {
    throw ToolError(path.string() + ": malformed manifest: " + e.what());
  }
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw ToolError("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace tfinterop
