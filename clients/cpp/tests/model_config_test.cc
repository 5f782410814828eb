#include "model_config.h"

#include <gtest/gtest.h>

#include <algorithm>

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
    WriteFile(dir_.path() / "m" / "3" / "variables" / "x", "");   // no SavedModel: ignored
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
  EXPECT_EQ(entries[0].VersionsOnDisk(), (std::vector<int64_t>{1, 2, 10}));
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
            (std::vector<int64_t>{2, 10}));
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
