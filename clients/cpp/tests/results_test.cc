#include "results.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_util.h"

namespace tfinterop {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ResultWriterTest, CommitRenamesACompleteFolderIntoPlace) {
  TempDir out;
  fs::path final_dir;
  {
    ResultWriter w(out.path(), "grpc", "mnist");
    w.WriteResponse("a", std::string("\x00\x01", 2));
    w.WriteError("b", Status(Code::kNotFound, "gone").set_http_status(404));
    w.WriteError("c", Status(Code::kInternal, std::string("bad \xff byte")));
    w.WriteSkipped("d", "case does not apply to grpc");
    EXPECT_FALSE(fs::exists(out.path() / "cpp/grpc/mnist"));  // staged until commit
    final_dir = w.Commit({{"client", "cpp"}});
  }
  EXPECT_EQ(final_dir, out.path() / "cpp/grpc/mnist");
  EXPECT_EQ(Slurp(final_dir / "a.response.pb"), std::string("\x00\x01", 2));
  const auto b = nlohmann::json::parse(Slurp(final_dir / "b.error.json"));
  EXPECT_EQ(b["code"], "NOT_FOUND");
  EXPECT_EQ(b["http_status"], 404);
  const auto c = nlohmann::json::parse(Slurp(final_dir / "c.error.json"));
  EXPECT_EQ(c["code"], "INTERNAL");
  EXPECT_FALSE(c.contains("http_status"));
  EXPECT_EQ(nlohmann::json::parse(Slurp(final_dir / "d.skipped.json"))["reason"],
            "case does not apply to grpc");
  EXPECT_TRUE(fs::exists(final_dir / "run.json"));
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(out.path() / "cpp/grpc")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);  // no staging leftovers
}

TEST(ResultWriterTest, AnUncommittedWriterLeavesNothingAndKeepsTheOldSet) {
  TempDir out;
  {
    ResultWriter w(out.path(), "rest", "m");
    w.WriteSkipped("x", "old");
    w.Commit({});
  }
  {
    ResultWriter w(out.path(), "rest", "m");
    w.WriteSkipped("y", "interrupted");
  }
  EXPECT_TRUE(fs::exists(out.path() / "cpp/rest/m/x.skipped.json"));
  EXPECT_FALSE(fs::exists(out.path() / "cpp/rest/m/y.skipped.json"));
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(out.path() / "cpp/rest")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace tfinterop
