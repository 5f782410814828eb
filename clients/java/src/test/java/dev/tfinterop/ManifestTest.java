package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

class ManifestTest {
  @TempDir Path dir;

  /** A one-case set: a predict request for model "m" expecting NOT_FOUND. */
  private Path caseSet(String sha) throws Exception {
    byte[] request =
        PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("m"))
            .build()
            .toByteArray();
    Files.write(dir.resolve("c1.request.pb"), request);
    String digest = sha != null ? sha : Manifest.sha256Hex(request);
    Files.writeString(
        dir.resolve("manifest.json"),
        """
        {"format": 1, "model": {"name": "m", "config": "models.config"},
         "producer": {"tensorflow": "2.21.0"},
         "cases": [{"id": "c1", "api": "predict", "transports": ["inproc", "grpc"],
                    "request": "c1.request.pb", "error": "NOT_FOUND", "rest_format": "row",
                    "sha256": {"c1.request.pb": "%s"}}]}
        """
            .formatted(digest));
    Files.writeString(dir.resolve("models.config"), "model_config_list {}\n");
    return dir;
  }

  @Test
  void readsCasesAndVerifiesFiles() throws Exception {
    Manifest m = Manifest.read(caseSet(null));
    assertEquals("m", m.model());
    assertEquals(dir.resolve("models.config"), m.configPath());
    Manifest.Case c = m.cases().get(0);
    assertEquals(Api.PREDICT, c.api());
    assertEquals(RestFormat.ROW, c.restFormat());
    assertEquals("NOT_FOUND", c.error());
    assertTrue(c.appliesTo("grpc"));
    assertFalse(c.appliesTo("rest"));
    assertArrayEquals(Files.readAllBytes(dir.resolve("c1.request.pb")), c.verify());
  }

  @Test
  void fieldsItDoesNotKnowAreIgnored() throws Exception {
    caseSet(null);
    String text =
        Files.readString(dir.resolve("manifest.json"))
            .replace("\"format\": 1,", "\"format\": 1, \"generated_by\": {\"tool\": \"newer\"},")
            .replace(
                "\"rest_format\": \"row\",",
                "\"rest_format\": \"row\", \"transport_errors\": {\"grpc\": \"UNIMPLEMENTED\"},"
                    + " \"future_field\": [1, {\"nested\": true}],");
    assertTrue(text.contains("transport_errors"), text);
    Files.writeString(dir.resolve("manifest.json"), text);
    Manifest.Case c = Manifest.read(dir).cases().get(0);
    assertEquals("NOT_FOUND", c.error());
    assertTrue(c.appliesTo("grpc"));
  }

  /** The one-case set with {@code "op_libraries": json} in "model". */
  private Path caseSetWithOpLibraries(String json) throws Exception {
    caseSet(null);
    Path manifest = dir.resolve("manifest.json");
    String text =
        Files.readString(manifest)
            .replace(
                "\"config\": \"models.config\"",
                "\"config\": \"models.config\", \"op_libraries\": " + json);
    assertTrue(text.contains("op_libraries"), text);
    Files.writeString(manifest, text);
    return dir;
  }

  @Test
  void opLibrariesResolveAgainstTheCaseFolderInOrder() throws Exception {
    Manifest m = Manifest.read(caseSetWithOpLibraries("[\"../ops/libb.so\", \"/opt/liba.so\"]"));
    assertEquals(List.of("../ops/libb.so", "/opt/liba.so"), m.opLibraries());
    assertEquals(
        List.of(dir.toRealPath().getParent().resolve("ops/libb.so"), Path.of("/opt/liba.so")),
        m.opLibraryPaths());
  }

  @Test
  void noOpLibrariesIsNone() throws Exception {
    assertEquals(List.of(), Manifest.read(caseSet(null)).opLibraryPaths());
    assertEquals(List.of(), Manifest.read(caseSetWithOpLibraries("[]")).opLibraryPaths());
  }

  @Test
  void malformedOpLibrariesAreFatal() throws Exception {
    for (String bad : List.of("\"libfoo.so\"", "[\"libfoo.so\", \"\"]", "[1]", "{}")) {
      caseSetWithOpLibraries(bad);
      ToolException e = assertThrows(ToolException.class, () -> Manifest.read(dir), bad);
      assertTrue(e.getMessage().contains("model.op_libraries"), e.getMessage());
    }
  }

  @Test
  void sha256MismatchIsFatal() throws Exception {
    Manifest m = Manifest.read(caseSet("00".repeat(32)));
    ToolException e = assertThrows(ToolException.class, () -> m.cases().get(0).verify());
    assertTrue(e.getMessage().contains("sha256"), e.getMessage());
  }

  @Test
  void missingFileIsFatal() throws Exception {
    Manifest m = Manifest.read(caseSet(null));
    Files.delete(dir.resolve("c1.request.pb"));
    assertThrows(ToolException.class, () -> m.cases().get(0).verify());
  }

  @Test
  void unsupportedFormatOrBadJsonIsFatal() throws Exception {
    Files.writeString(dir.resolve("manifest.json"), "{\"format\": 2, \"cases\": []}");
    assertThrows(ToolException.class, () -> Manifest.read(dir));
    Files.writeString(dir.resolve("manifest.json"), "{not json");
    assertThrows(ToolException.class, () -> Manifest.read(dir));
    assertThrows(ToolException.class, () -> Manifest.read(dir.resolve("absent")));
  }

  @Test
  void tamperedCaseSetExitsOneAndWritesNothing() throws Exception {
    caseSet("00".repeat(32));
    Path out = dir.resolve("out");
    assertEquals(
        1, run("run", "--mode", "inproc", "--cases", dir.toString(), "--out", out.toString()));
    assertFalse(Files.exists(out));
  }

  @Test
  void runWritesOneTypedFilePerCaseAndRunJson() throws Exception {
    caseSet(null);
    Path out = dir.resolve("out");
    assertEquals(
        0, run("run", "--mode", "inproc", "--cases", dir.toString(), "--out", out.toString()));
    Path results = out.resolve("java/inproc/m");
    assertEquals(
        List.of("c1.error.json", "run.json"),
        Files.list(results).map(p -> p.getFileName().toString()).sorted().toList());
    assertTrue(Files.readString(results.resolve("c1.error.json")).contains("NOT_FOUND"));
    assertEquals(
        0,
        run(
            "run",
            "--mode",
            "rest",
            "--rest",
            "http://127.0.0.1:9",
            "--cases",
            dir.toString(),
            "--out",
            out.toString()));
    assertTrue(Files.exists(out.resolve("java/rest/m/c1.skipped.json")));
  }

  @Test
  void everyCommandAcceptsVerbose() throws Exception {
    caseSet(null);
    assertEquals(0, run("info", "--verbose"));
    assertEquals(
        0,
        run(
            "run",
            "--verbose",
            "--mode",
            "rest",
            "--rest",
            "http://127.0.0.1:9",
            "--cases",
            dir.toString(),
            "--out",
            dir.resolve("out").toString()));
  }

  private static int run(String... args) {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return Cli.execute(args, quiet, quiet);
  }
}
