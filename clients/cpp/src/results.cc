#include "results.h"

#include <unistd.h>

#include <fstream>
#include <random>

namespace tfinterop {

namespace fs = std::filesystem;

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

ResultWriter::ResultWriter(const fs::path& out_root, const std::string& mode,
                           const std::string& model)
    : final_(out_root / kClientName / mode / model) {
  std::error_code ec;
  fs::create_directories(final_.parent_path(), ec);
  if (ec) throw ToolError("cannot create " + final_.parent_path().string() + ": " + ec.message());
  const std::string prefix = "." + final_.filename().string() + ".tmp-";
  for (const auto& entry : fs::directory_iterator(final_.parent_path(), ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(entry.path(), ec);
  }
  staging_ = final_.parent_path() / (prefix + std::to_string(getpid()));
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec) || ec) {
    throw ToolError("cannot create " + staging_.string() + ": " + ec.message());
  }
}

ResultWriter::~ResultWriter() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

void ResultWriter::WriteFile(const std::string& name, const std::string& data) {
  const fs::path path = staging_ / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) throw ToolError("cannot write " + path.string());
}

void ResultWriter::WriteResponse(const std::string& case_id, const std::string& serialized) {
  WriteFile(case_id + ".response.pb", serialized);
}

void ResultWriter::WriteError(const std::string& case_id, const Status& status) {
  nlohmann::json body = {{"code", std::string(CodeName(status.code()))},
                         {"message", status.message()}};
  if (status.http_status()) body["http_status"] = *status.http_status();
  WriteFile(case_id + ".error.json", DumpJson(body));
}

void ResultWriter::WriteSkipped(const std::string& case_id, const std::string& reason) {
  WriteFile(case_id + ".skipped.json", DumpJson({{"reason", reason}}));
}

fs::path ResultWriter::Commit(const nlohmann::json& run) {
  WriteFile("run.json", DumpJson(run));
  std::error_code ec;
  const fs::path old = final_.parent_path() /
                       ("." + final_.filename().string() + ".tmp-old-" + std::to_string(getpid()));
  if (fs::exists(final_, ec)) {
    fs::rename(final_, old, ec);
    if (ec) throw ToolError("cannot move aside " + final_.string() + ": " + ec.message());
  }
  fs::rename(staging_, final_, ec);
  if (ec) throw ToolError("cannot rename " + staging_.string() + " to " + final_.string());
  committed_ = true;
  fs::remove_all(old, ec);
  return final_;
}

}  // namespace tfinterop
