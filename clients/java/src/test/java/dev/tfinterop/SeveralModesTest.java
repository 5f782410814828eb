package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import inference.GrpcService.ModelInferRequest;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Predict.PredictRequest;

/**
 * {@code run --mode M1,M2}: the modes one after another in one process, each writing the folder a
 * separate {@code run --mode M} writes (docs/CONTRACT.md "Several modes in one process").
 */
class SeveralModesTest {
  @TempDir Path dir;

  Path cases;
  Path out;
  String closedPort;

  @BeforeEach
  void caseSetAndAClosedPort() throws Exception {
    cases = Files.createDirectories(dir.resolve("cases"));
    out = dir.resolve("out");
    byte[] v1 = PredictRequest.getDefaultInstance().toByteArray();
    byte[] v2 = ModelInferRequest.newBuilder().setModelName("m").build().toByteArray();
    Files.write(cases.resolve("c.request.pb"), v1);
    Files.write(cases.resolve("c.v2.request.pb"), v2);
    String sha =
        """
        {"c.request.pb": "%s", "c.v2.request.pb": "%s"}"""
            .formatted(Manifest.sha256Hex(v1), Manifest.sha256Hex(v2));
    Files.writeString(
        cases.resolve("manifest.json"),
        """
        {"format": 1, "model": {"name": "m", "config": "models.config"},
         "cases": [
          {"id": "both", "api": "predict", "transports": ["grpc", "rest", "v2rest"],
           "request": "c.request.pb", "error": "NOT_FOUND",
           "v2": {"request": "c.v2.request.pb", "error": "NOT_FOUND"}, "sha256": %s},
          {"id": "v1-only", "api": "predict", "transports": ["grpc", "rest", "v2rest"],
           "request": "c.request.pb", "error": "NOT_FOUND", "sha256": %s}]}
        """
            .formatted(sha, sha));
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = String.valueOf(s.getLocalPort());
    }
  }

  CliTest.Outcome run(String modes) {
    return CliTest.execute(
        "run",
        "--mode",
        modes,
        "--cases",
        cases.toString(),
        "--out",
        out.toString(),
        "--target",
        "127.0.0.1:" + closedPort,
        "--rest",
        "http://127.0.0.1:" + closedPort,
        "--deadline-ms",
        "5000");
  }

  static JsonNode json(Path file) throws Exception {
    return new ObjectMapper().readTree(file.toFile());
  }

  @Test
  void eachModeWritesItsOwnFolderInOrderAndAnUnreachableServerDoesNotStopTheNext()
      throws Exception {
    CliTest.Outcome o = run("grpc,v2rest");
    assertEquals(0, o.status(), o.err());
    Path grpc = out.resolve("java/grpc/m").toAbsolutePath();
    Path v2rest = out.resolve("java/v2rest/m").toAbsolutePath();
    assertEquals(List.of(grpc.toString(), v2rest.toString()), o.out().lines().toList());
    for (Path folder : List.of(grpc, v2rest)) {
      String mode = folder.getParent().getFileName().toString();
      JsonNode run = json(folder.resolve("run.json"));
      assertEquals(mode, run.get("mode").asText());
      assertEquals("m", run.get("model").asText());
      assertEquals("UNAVAILABLE", json(folder.resolve("both.error.json")).get("code").asText());
    }
    // v2rest sent the case's v2 form and skipped the case without one, as it does alone.
    assertTrue(Files.exists(v2rest.resolve("v1-only.skipped.json")));
    assertTrue(Files.exists(grpc.resolve("v1-only.error.json")));
    assertFalse(Files.exists(out.resolve("java/rest")), "only the listed modes run");
  }

  @Test
  void aListWritesWhatSeparateRunsWrite() throws Exception {
    assertEquals(0, run("rest,grpc").status());
    Path together = dir.resolve("together");
    Files.move(out, together);
    for (String mode : List.of("rest", "grpc")) {
      assertEquals(0, run(mode).status());
    }
    for (String mode : List.of("rest", "grpc")) {
      Path a = together.resolve("java").resolve(mode).resolve("m");
      Path b = out.resolve("java").resolve(mode).resolve("m");
      try (var files = Files.list(b)) {
        List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
        try (var other = Files.list(a)) {
          assertEquals(names, other.map(p -> p.getFileName().toString()).sorted().toList());
        }
        for (String name : names) {
          if (name.endsWith(".error.json") || name.endsWith(".skipped.json")) {
            assertEquals(json(b.resolve(name)), json(a.resolve(name)), mode + " " + name);
          }
        }
      }
      JsonNode runA = json(a.resolve("run.json"));
      JsonNode runB = json(b.resolve("run.json"));
      assertEquals(runB.get("runtime"), runA.get("runtime"));
      assertEquals(runB.get("mode"), runA.get("mode"));
    }
  }

  @Test
  void anErrorThatStopsTheClientKeepsTheFoldersWrittenAndRunsNoFurtherMode() throws Exception {
    // A file where the second mode's folder goes: its result folder cannot be created.
    Files.createDirectories(out.resolve("java"));
    Files.writeString(out.resolve("java/rest"), "in the way");
    CliTest.Outcome o = run("grpc,rest,v2rest");
    assertEquals(1, o.status(), o.err());
    assertEquals(1, o.err().lines().filter(l -> l.startsWith("tfinterop-java: ")).count(), o.err());
    Path grpc = out.resolve("java/grpc/m").toAbsolutePath();
    assertEquals(List.of(grpc.toString()), o.out().lines().toList());
    assertTrue(Files.exists(grpc.resolve("run.json")));
    assertFalse(Files.exists(out.resolve("java/v2rest")), "the modes after the failure never ran");
  }

  @Test
  void aTamperedCaseSetStopsTheRunBeforeAnyMode() throws Exception {
    Files.write(cases.resolve("c.v2.request.pb"), new byte[] {1});
    CliTest.Outcome o = run("grpc,v2rest");
    assertEquals(1, o.status(), o.err());
    assertEquals("", o.out());
    assertFalse(Files.exists(out.resolve("java")), o.err());
  }
}
