// The case-set format of docs/CONTRACT.md: manifest.json plus binary request
// and response protos, every file checked against the manifest's sha256.
#ifndef TFINTEROP_CASES_H_
#define TFINTEROP_CASES_H_

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tfinterop {

enum class Api { kPredict, kClassify, kRegress, kMultiInference, kMetadata };
enum class RestFormat { kColumnar, kRow };
// The message family of a request: TF Serving's APIs (PredictRequest, ...) or
// the Open Inference Protocol's ModelInferRequest (predict cases only).
enum class Protocol { kTfServing, kOpenInference };

// kOpenInference for the v2 modes (v2grpc, v2rest), else kTfServing.
Protocol ProtocolOfMode(const std::string& mode);

// "predict" etc. -> Api; nullopt for a name the contract does not define.
std::optional<Api> ApiFromName(const std::string& name);
const char* ApiName(Api api);

// A predict case's Open Inference Protocol form (the manifest's "v2" entry).
struct V2Form {
  std::string request_bytes;  // an inference.ModelInferRequest, verified against sha256
};

struct Case {
  std::string id;
  Api api = Api::kPredict;
  std::string description;
  std::vector<std::string> transports;
  std::string request_bytes;  // verified against sha256
  std::optional<std::string> expected_error;
  RestFormat rest_format = RestFormat::kColumnar;
  std::optional<V2Form> v2;

  // `mode` is in transports and, for a v2 mode, the case has a v2 form.
  bool AppliesTo(const std::string& mode) const;
  // The serialized request a transport of `protocol` sends (empty for
  // kOpenInference without a v2 form, which AppliesTo already refuses).
  const std::string& RequestBytes(Protocol protocol) const;
};

struct CaseSet {
  std::filesystem::path folder;
  std::string model;
  std::filesystem::path config_path;  // the manifest's model config, resolved
  // model.op_libraries, resolved against the folder (custom ops the model needs).
  std::vector<std::filesystem::path> op_libraries;
  std::map<std::string, std::string> producer;
  std::vector<Case> cases;

  // The case with `id`, or nullptr.
  const Case* Find(const std::string& id) const;
};

// Reads folder/manifest.json and every file it names, verifying each sha256.
// Throws ToolError (one line naming the file) on anything missing or tampered.
CaseSet ReadCaseSet(const std::filesystem::path& folder);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(const std::string& data);

}  // namespace tfinterop

#endif  // TFINTEROP_CASES_H_
