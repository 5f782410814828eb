package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Int64Value;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;

class ModelConfigFileTest {
  @TempDir Path dir;
  ModelConfigFile config;

  @BeforeEach
  void setUp() throws Exception {
    for (String v : new String[] {"1", "2", "10"}) {
      Files.createDirectories(dir.resolve("models/m/" + v));
      Files.write(dir.resolve("models/m/" + v + "/saved_model.pb"), new byte[0]);
    }
    Files.createDirectories(dir.resolve("models/m/not-a-version"));
    Files.createDirectories(dir.resolve("models/m/7")); // no saved_model.pb: not a version
    Files.writeString(dir.resolve("models.config"), """
        model_config_list {
          config { name: "m" base_path: "models/m" model_platform: "tensorflow"
                   model_version_policy { all {} }
                   version_labels { key: "stable" value: 1 } }
          config { name: "latest2" base_path: "models/m"
                   model_version_policy { latest { num_versions: 2 } } }
          config { name: "only1" base_path: "models/m"
                   model_version_policy { specific { versions: 1 } } }
        }
        """);
    config = ModelConfigFile.read(dir.resolve("models.config"));
  }

  private static ModelSpec.Builder spec(String name) {
    return ModelSpec.newBuilder().setName(name);
  }

  @Test
  void relativeBasePathResolvesAgainstTheConfigFolder() {
    assertEquals(dir.resolve("models/m").toAbsolutePath().normalize(),
        config.entries().get(0).basePath());
  }

  @Test
  void noVersionIsTheHighestServed() throws Exception {
    assertEquals(10, config.resolve(spec("m").build()).version());
    assertEquals(1, config.resolve(spec("only1").build()).version());
  }

  @Test
  void versionAndLabelResolve() throws Exception {
    assertEquals(2, config.resolve(spec("m").setVersion(Int64Value.of(2)).build()).version());
    ModelConfigFile.Resolved r = config.resolve(spec("m").setVersionLabel("stable").build());
    assertEquals(1, r.version());
    assertEquals(dir.resolve("models/m/1").toAbsolutePath().normalize(), r.path());
  }

  @Test
  void versionPolicyLimitsServedVersions() {
    assertCode(Status.Code.NOT_FOUND, spec("latest2").setVersion(Int64Value.of(1)));
    assertCode(Status.Code.NOT_FOUND, spec("only1").setVersion(Int64Value.of(2)));
  }

  @Test
  void errorsCarryTfServingsCodes() {
    assertCode(Status.Code.INVALID_ARGUMENT, spec(""));
    assertCode(Status.Code.NOT_FOUND, spec("nope"));
    assertCode(Status.Code.NOT_FOUND, spec("m").setVersion(Int64Value.of(99)));
    assertCode(Status.Code.NOT_FOUND, spec("m").setVersion(Int64Value.of(7)));
    assertCode(Status.Code.INVALID_ARGUMENT, spec("m").setVersionLabel("canary"));
    assertCode(Status.Code.INVALID_ARGUMENT, spec("nope").setVersionLabel("stable"));
  }

  @Test
  void unparsableConfigIsAToolError() throws Exception {
    Files.writeString(dir.resolve("bad.config"), "model_config_list { config { nam: 1 } }");
    assertThrows(ToolException.class, () -> ModelConfigFile.read(dir.resolve("bad.config")));
    assertThrows(ToolException.class, () -> ModelConfigFile.read(dir.resolve("absent.config")));
  }

  private void assertCode(Status.Code code, ModelSpec.Builder spec) {
    ServingException e = assertThrows(ServingException.class, () -> config.resolve(spec.build()));
    assertEquals(code, e.code(), e.getMessage());
  }
}
