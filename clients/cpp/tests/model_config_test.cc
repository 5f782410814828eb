#include "model_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>

#include "test_util.h"

namespace tfinterop {
namespace {

using tensorflow::serving::ModelSpec;
using testing::TempDir;
using testing::WriteFile;

class ModelConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"1", "2", "10"}) WriteFile(dir_.path() / "m" / v / "saved_model.pb", "");
    // No SavedModel, still a version: TF Serving leaves judging it to the loader.
    WriteFile(dir_.path() / "m" / "3" / "variables" / "x", "");
    WriteFile(dir_.path() / "m" / "tmp" / "saved_model.pb", "");  // not a number: ignored
  }

  std::vector<ModelEntry> Parse(const std::string& policy) {
    return ParseModelConfig(
        "model_config_list { config { name: 'm' base_path: 'm' model_platform: 'tensorflow' " +
            policy + " version_labels { key: 'stable' value: 1 } } }",
        dir_.path(), "test.config");
  }

  static ModelSpec Spec(const std::string& name) {
    ModelSpec spec;
    spec.set_name(name);
    return spec;
  }

  TempDir dir_;
};

TEST_F(ModelConfigTest, RelativeBasePathResolvesAgainstTheConfigFolder) {
  const auto entries = Parse("model_version_policy { all {} }");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].base_path, std::filesystem::weakly_canonical(dir_.path() / "m"));
  EXPECT_EQ(entries[0].VersionsOnDisk(), (std::vector<int64_t>{1, 2, 3, 10}));
}

TEST_F(ModelConfigTest, DefaultPolicyServesOnlyTheLatestVersion) {
  const auto entries = Parse("");
  EXPECT_EQ(entries[0].served, (std::vector<int64_t>{10}));
  ModelSpec old = Spec("m");
  old.mutable_version()->set_value(1);
  EXPECT_EQ(ResolveModelSpec(entries, old).status().code(), Code::kNotFound);
}

TEST_F(ModelConfigTest, SpecificAndLatestNPolicies) {
  EXPECT_EQ(Parse("model_version_policy { specific { versions: 2 versions: 7 } }")[0].served,
            (std::vector<int64_t>{2}));
  EXPECT_EQ(Parse("model_version_policy { latest { num_versions: 2 } }")[0].served,
            (std::vector<int64_t>{3, 10}));
}

TEST_F(ModelConfigTest, ResolutionFollowsServerCore) {
  const auto entries = Parse("model_version_policy { all {} }");
  const auto latest = ResolveModelSpec(entries, Spec("m"));
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, 10);
  EXPECT_EQ(latest->path, entries[0].base_path / "10");

  ModelSpec v2 = Spec("m");
  v2.mutable_version()->set_value(2);
  EXPECT_EQ(ResolveModelSpec(entries, v2)->version, 2);

  ModelSpec label = Spec("m");
  label.set_version_label("stable");
  EXPECT_EQ(ResolveModelSpec(entries, label)->version, 1);
}

TEST_F(ModelConfigTest, AFolderWithoutASavedModelIsStillAVersion) {
  ModelSpec v3 = Spec("m");
  v3.mutable_version()->set_value(3);
  const auto resolved = ResolveModelSpec(Parse("model_version_policy { all {} }"), v3);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->path.filename(), "3");
}

struct FolderCase {
  const char* name;
  std::vector<std::string> children;
  std::map<int64_t, std::string> want;  // version -> folder name
};

void PrintTo(const FolderCase& c, std::ostream* os) { *os << c.name; }

class VersionFoldersTest : public ::testing::TestWithParam<FolderCase> {};

TEST_P(VersionFoldersTest, FollowTfServingsRule) {
  TempDir dir;
  for (const std::string& child : GetParam().children) {
    std::filesystem::create_directories(dir.path() / child);
  }
  std::map<int64_t, std::filesystem::path> want;
  for (const auto& [version, name] : GetParam().want) want[version] = dir.path() / name;
  EXPECT_EQ(VersionFolders(dir.path()), want);
}

INSTANTIATE_TEST_SUITE_P(
    Names, VersionFoldersTest,
    ::testing::Values(
        FolderCase{"plain", {"1", "2", "10"}, {{1, "1"}, {2, "2"}, {10, "10"}}},
        FolderCase{"zero_padded", {"00000123"}, {{123, "00000123"}}},
        FolderCase{"zero", {"0", "000"}, {{0, "000"}}},
        FolderCase{"last_in_byte_order_wins", {"123", "0123", "00123"}, {{123, "123"}}},
        FolderCase{"non_numeric", {"v1", "1a", "tmp", "1.5", "+1", "0x1f", "\xd9\xa1"}, {}},
        FolderCase{"negative", {"-1", "-0"}, {}}, FolderCase{"spaces", {" 12", "12 ", "1 2"}, {}},
        FolderCase{"int64_max", {"9223372036854775807"}, {{INT64_MAX, "9223372036854775807"}}},
        FolderCase{"overflow", {"9223372036854775808", "99999999999999999999"}, {}},
        FolderCase{"long_padding",
                   {"000000000000000000000000000007"},
                   {{7, "000000000000000000000000000007"}}}),
    [](const ::testing::TestParamInfo<FolderCase>& info) { return std::string(info.param.name); });

TEST(VersionFolders, CountFilesAndIgnoreAMissingBase) {
  TempDir dir;
  WriteFile(dir.path() / "4", "");  // a file: listed, as TF Serving lists children
  EXPECT_EQ(VersionFolders(dir.path()).count(4), 1u);
  EXPECT_TRUE(VersionFolders(dir.path() / "absent").empty());
}

TEST(ModelConfig, ResolutionKeepsTheFolderName) {
  TempDir dir;
  for (const char* v : {"00000001", "0002", "2", "00000123", "v9"}) {
    std::filesystem::create_directories(dir.path() / "m" / v);
  }
  const auto entries = ParseModelConfig(
      "model_config_list {"
      " config { name: 'all' base_path: 'm' model_version_policy { all {} }"
      "          version_labels { key: 'stable' value: 1 } }"
      " config { name: 'latest2' base_path: 'm' model_version_policy { latest { num_versions: 2 } "
      "} }"
      " config { name: 'specific' base_path: 'm'"
      "          model_version_policy { specific { versions: 2 versions: 9 } } } }",
      dir.path(), "test.config");
  const auto base = std::filesystem::weakly_canonical(dir.path() / "m");
  struct Want {
    const char* model;
    int64_t version;  // 0: latest
    const char* label;
    Code code;
    int64_t resolved;
    const char* folder;
  };
  for (const Want& w : std::vector<Want>{
           {"all", 0, "", Code::kOk, 123, "00000123"},
           {"all", 1, "", Code::kOk, 1, "00000001"},
           {"all", 0, "stable", Code::kOk, 1, "00000001"},
           {"all", 2, "", Code::kOk, 2, "2"},  // "2" sorts after "0002"
           {"all", 9, "", Code::kNotFound, 0, ""},
           {"latest2", 0, "", Code::kOk, 123, "00000123"},
           {"latest2", 2, "", Code::kOk, 2, "2"},
           {"latest2", 1, "", Code::kNotFound, 0, ""},
           {"specific", 0, "", Code::kOk, 2, "2"},
           {"specific", 123, "", Code::kNotFound, 0, ""},
       }) {
    ModelSpec spec;
    spec.set_name(w.model);
    if (w.version != 0) spec.mutable_version()->set_value(w.version);
    if (*w.label != '\0') spec.set_version_label(w.label);
    SCOPED_TRACE(spec.ShortDebugString());
    const auto resolved = ResolveModelSpec(entries, spec);
    ASSERT_EQ(resolved.status().code(), w.code) << resolved.status().ToString();
    if (!resolved.ok()) continue;
    EXPECT_EQ(resolved->version, w.resolved);
    EXPECT_EQ(resolved->path, base / w.folder);
  }
}

TEST_F(ModelConfigTest, ErrorsCarryTfServingsCodes) {
  const auto entries = Parse("model_version_policy { all {} }");
  EXPECT_EQ(ResolveModelSpec(entries, Spec("")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ResolveModelSpec(entries, Spec("other")).status().code(), Code::kNotFound);
  ModelSpec v99 = Spec("m");
  v99.mutable_version()->set_value(99);
  EXPECT_EQ(ResolveModelSpec(entries, v99).status().code(), Code::kNotFound);
  ModelSpec label = Spec("m");
  label.set_version_label("canary");
  EXPECT_EQ(ResolveModelSpec(entries, label).status().code(), Code::kInvalidArgument);
  ModelSpec other_label = Spec("other");
  other_label.set_version_label("stable");
  EXPECT_EQ(ResolveModelSpec(entries, other_label).status().code(), Code::kInvalidArgument);
}

TEST_F(ModelConfigTest, ServedVersionPointsIntoTheEntriesAndAgreesWithResolveModelSpec) {
  const auto entries = Parse("model_version_policy { all {} }");
  ModelSpec v2 = Spec("m");
  v2.mutable_version()->set_value(2);
  ModelSpec label = Spec("m");
  label.set_version_label("stable");
  ModelSpec v99 = Spec("m");
  v99.mutable_version()->set_value(99);
  for (const ModelSpec& spec : {Spec("m"), v2, label, v99, Spec("other"), Spec("")}) {
    SCOPED_TRACE(spec.ShortDebugString());
    const auto served = ResolveServedVersion(entries, spec);
    const auto resolved = ResolveModelSpec(entries, spec);
    ASSERT_EQ(served.status().code(), resolved.status().code());
    EXPECT_EQ(served.status().message(), resolved.status().message());
    if (!served.ok()) continue;
    EXPECT_EQ(served->entry, &entries[0]);  // no copy: the transport keys its servables by it
    EXPECT_EQ(served->version, resolved->version);
  }
}

TEST_F(ModelConfigTest, BadConfigsAreToolErrors) {
  EXPECT_THROW(ParseModelConfig("model_config_list { bogus: 1 }", dir_.path(), "x"), ToolError);
  EXPECT_THROW(ParseModelConfig("model_config_list { config { name: 'm' } }", dir_.path(), "x"),
               ToolError);
  EXPECT_THROW(ParseModelConfig("model_config_list { config { name: 'm' base_path: '/x' "
                                "model_platform: 'onnx' } }",
                                dir_.path(), "x"),
               ToolError);
  EXPECT_THROW(ReadModelConfig(dir_.path() / "absent.config"), ToolError);
}

TEST_F(ModelConfigTest, ReadsTheExportedConfigWhenPresent) {
  const auto path = testing::RepoPath("build/models/models.config");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "run `make export` first";
  const auto entries = ReadModelConfig(path);
  const auto mnist = std::find_if(entries.begin(), entries.end(),
                                  [](const ModelEntry& e) { return e.name == "mnist"; });
  ASSERT_NE(mnist, entries.end());
  EXPECT_EQ(mnist->labels.at("canary"), 2);
  EXPECT_EQ(mnist->served, (std::vector<int64_t>{1, 2}));
}

}  // namespace
}  // namespace tfinterop
