package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * bench's "reference": the bare TF Java loop beside the measured figures, in any mode, as the C++
 * client prints its bare TF_SessionRun loop. Figures are never asserted, only their presence.
 */
class BenchReferenceTest {
  static final Path CASES = OneJvmTest.CASES;

  @BeforeAll
  static void exported() {
    assumeTrue(
        Files.exists(CASES.resolve("manifest.json")),
        "build/cases/mnist is missing: run `make export`");
  }

  static Map<String, Object> bench(String mode, String caseId, String target) {
    Connection c =
        new Connection(
            mode, null, List.of(), target, Connection.DEFAULT_REST, Connection.DEFAULT_DEADLINE_MS);
    return new Bench(new PrintWriter(new StringWriter()))
        .run(new Bench.Settings(c, CASES, caseId, 3, 1, 1));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> reference(Map<String, Object> line) {
    return (Map<String, Object>) line.get("reference");
  }

  @Test
  void inprocPredictCarriesTheBareLoopAndTheRatios() {
    Map<String, Object> line = bench("inproc", "v1-test-0000", Connection.DEFAULT_TARGET);
    Map<String, Object> ref = reference(line);
    assertFalse(ref.containsKey("error"), ref.toString());
    for (String key : List.of("p50_us", "p90_us", "p99_us", "mean_us", "rps")) {
      assertTrue(ref.get(key) instanceof Double, key + " in " + ref);
    }
    assertEquals(3, ref.get("requests"));
    assertTrue(ref.get("what").toString().contains("Session.runner()"), ref.toString());
    assertTrue(line.containsKey("overhead_ratio_p50"), line.toString());
    assertTrue(line.containsKey("overhead_ratio_mean"), line.toString());
  }

  @Test
  void aServerModeStillMeasuresTheBareLoopInProcessButNoRatioWhenRequestsFailed() throws Exception {
    String closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = "127.0.0.1:" + s.getLocalPort();
    }
    Map<String, Object> line = bench("grpc", "v1-test-0000", closed);
    assertEquals(3L, line.get("errors"));
    assertTrue(reference(line).containsKey("p50_us"), line.toString());
    assertFalse(line.containsKey("overhead_ratio_p50"), "no ratio over failed requests");
  }

  @Test
  void aCaseThatIsNotPredictSaysWhyItHasNoReference() {
    Map<String, Object> ref = reference(bench("inproc", "metadata", Connection.DEFAULT_TARGET));
    assertEquals(Map.of("error", "the reference runs predict cases only"), ref);
  }
}
