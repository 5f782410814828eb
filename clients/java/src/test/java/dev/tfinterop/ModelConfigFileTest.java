package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int64Value;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
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
    // No saved_model.pb, still a version: TF Serving leaves judging it to the loader.
    Files.createDirectories(dir.resolve("models/m/7"));
    Files.writeString(
        dir.resolve("models.config"),
        """
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
    assertEquals(
        dir.resolve("models/m").toAbsolutePath().normalize(), config.entries().get(0).basePath());
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
    assertCode(Status.Code.INVALID_ARGUMENT, spec("m").setVersionLabel("canary"));
    assertCode(Status.Code.INVALID_ARGUMENT, spec("nope").setVersionLabel("stable"));
  }

  @Test
  void aFolderWithoutASavedModelIsStillAVersion() throws Exception {
    ModelConfigFile.Resolved r = config.resolve(spec("m").setVersion(Int64Value.of(7)).build());
    assertEquals(dir.resolve("models/m/7").toAbsolutePath().normalize(), r.path());
    assertEquals(List.of(7L, 10L), config.entries().get(1).served());
  }

  static Stream<Arguments> folderNames() {
    return Stream.of(
        Arguments.of("plain", List.of("1", "2", "10"), Map.of(1L, "1", 2L, "2", 10L, "10")),
        Arguments.of("zero-padded", List.of("00000123"), Map.of(123L, "00000123")),
        Arguments.of("zero", List.of("0", "000"), Map.of(0L, "000")),
        Arguments.of(
            "last in byte order wins", List.of("123", "0123", "00123"), Map.of(123L, "123")),
        Arguments.of(
            "non-numeric", List.of("v1", "1a", "tmp", "1.5", "+1", "0x1f", "\u0661"), Map.of()),
        Arguments.of("negative", List.of("-1", "-0"), Map.of()),
        Arguments.of("spaces", List.of(" 12", "12 ", "1 2"), Map.of()),
        Arguments.of(
            "int64 max",
            List.of("9223372036854775807"),
            Map.of(Long.MAX_VALUE, "9223372036854775807")),
        Arguments.of("overflow", List.of("9223372036854775808", "99999999999999999999"), Map.of()),
        Arguments.of(
            "long padding",
            List.of("000000000000000000000000000007"),
            Map.of(7L, "000000000000000000000000000007")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("folderNames")
  void versionFoldersFollowTfServingsRule(
      String name, List<String> children, Map<Long, String> want) throws Exception {
    Path base = Files.createDirectories(dir.resolve("rule"));
    for (String child : children) {
      Files.createDirectories(base.resolve(child));
    }
    Map<Long, Path> expected = new TreeMap<>();
    want.forEach((v, folder) -> expected.put(v, base.resolve(folder)));
    assertEquals(expected, ModelConfigFile.versionFolders(base));
  }

  @Test
  void versionFoldersCountFilesAndIgnoreAMissingBase() throws Exception {
    Files.write(dir.resolve("models/m/4"), new byte[0]); // a file: listed, as TF Serving lists
    assertTrue(ModelConfigFile.versionFolders(dir.resolve("models/m")).containsKey(4L));
    assertTrue(ModelConfigFile.versionFolders(dir.resolve("absent")).isEmpty());
  }

  @Test
  void resolutionKeepsTheFolderName() throws Exception {
    Path base = dir.resolve("padded");
    for (String v : List.of("00000001", "0002", "2", "00000123", "v9")) {
      Files.createDirectories(base.resolve(v));
    }
    ModelConfigFile padded =
        ModelConfigFile.parse(
            """
        model_config_list {
          config { name: "all" base_path: "padded" model_version_policy { all {} }
                   version_labels { key: "stable" value: 1 } }
          config { name: "latest2" base_path: "padded"
                   model_version_policy { latest { num_versions: 2 } } }
          config { name: "specific" base_path: "padded"
                   model_version_policy { specific { versions: 2 versions: 9 } } }
        }
        """,
            dir,
            "test.config");
    record Want(ModelSpec.Builder spec, long version, String folder) {}
    for (Want w :
        List.of(
            new Want(spec("all"), 123, "00000123"),
            new Want(spec("all").setVersion(Int64Value.of(1)), 1, "00000001"),
            new Want(spec("all").setVersionLabel("stable"), 1, "00000001"),
            new Want(spec("all").setVersion(Int64Value.of(2)), 2, "2"), // "2" sorts after "0002"
            new Want(spec("latest2"), 123, "00000123"),
            new Want(spec("latest2").setVersion(Int64Value.of(2)), 2, "2"),
            new Want(spec("specific"), 2, "2"))) {
      ModelConfigFile.Resolved r = padded.resolve(w.spec().build());
      assertEquals(w.version(), r.version(), w.spec().toString());
      assertEquals(base.resolve(w.folder()), r.path(), w.spec().toString());
    }
    for (ModelSpec.Builder missing :
        List.of(
            spec("all").setVersion(Int64Value.of(9)),
            spec("latest2").setVersion(Int64Value.of(1)),
            spec("specific").setVersion(Int64Value.of(123)))) {
      ServingException e =
          assertThrows(ServingException.class, () -> padded.resolve(missing.build()));
      assertEquals(Status.Code.NOT_FOUND, e.code());
    }
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
