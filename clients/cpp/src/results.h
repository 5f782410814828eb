// The result folder of docs/CONTRACT.md: OUT/<client>/<mode>/<model>/ with one
// file per case and run.json, staged under a temporary name and renamed into
// place when complete, so an interrupted client never leaves half a set.
#ifndef TFINTEROP_RESULTS_H_
#define TFINTEROP_RESULTS_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "status.h"

namespace tfinterop {

inline constexpr char kClientName[] = "cpp";

class ResultWriter {
 public:
  // Creates the staging folder (removing stale ones); ToolError if it cannot.
  ResultWriter(const std::filesystem::path& out_root, const std::string& mode,
               const std::string& model);
  // Removes the staging folder unless Commit() ran.
  ~ResultWriter();
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  void WriteResponse(const std::string& case_id, const std::string& serialized);
  // {"code", "message"[, "http_status"]}.
  void WriteError(const std::string& case_id, const Status& status);
  void WriteSkipped(const std::string& case_id, const std::string& reason);
  // Writes run.json and renames the folder into place; returns the final path.
  std::filesystem::path Commit(const nlohmann::json& run);

 private:
  void WriteFile(const std::string& name, const std::string& data);

  std::filesystem::path final_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

// JSON as the result files hold it: sorted keys, 2-space indent, invalid UTF-8
// replaced rather than thrown on (TF messages may quote raw bytes).
std::string DumpJson(const nlohmann::json& value);

}  // namespace tfinterop

#endif  // TFINTEROP_RESULTS_H_
