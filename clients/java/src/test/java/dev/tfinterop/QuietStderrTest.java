package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuietStderrTest {
  /** Lines TF Java's 2.18 and the 2.21 wheel's C API print, verbatim. */
  static final String TF_LOG =
      """
      WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
      I0000 00:00:1796119347.908546   18857 mlir_graph_optimization_pass.cc:401] MLIR V1 \
      optimization pass is not enabled
      2026-12-01 10:02:30.163804: I tensorflow/cc/saved_model/reader.cc:83] Reading SavedModel \
      from: /m/1
      2026-12-01 10:02:30.169476: I tensorflow/core/platform/cpu_feature_guard.cc:210] This \
      TensorFlow binary is optimized to use available CPU instructions.
      To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow \
      with the appropriate compiler flags.
      2026-12-01 10:02:30.958843: I tensorflow/core/framework/local_rendezvous.cc:405] Local \
      rendezvous is aborting with status: INVALID_ARGUMENT: Input to reshape
      \t [[{{function_node __inference___call___6234}}{{node mnist_1/flatten_1/Reshape}}]]
      E0000 00:00:1796119211.687618   16860 cuda_platform.cc:52] failed call to cuInit: INTERNAL
      W0000 00:00:1796119211.1 1 op_def_util.cc:1] NodeDef mentions attribute use_inter_op
      oneDNN custom operations are on. You may see slightly different numerical results.
      """;

  static String filtered(String input) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    QuietStderr.filter(new ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1)), out);
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void tensorFlowLogRecordsAreDropped() throws Exception {
    assertEquals("", filtered(TF_LOG));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[1/42] inproc/mnist v1-test-0000: ok\n",
        "tfinterop-java: error: case x: sha256 mismatch\n",
        "F0000 00:00:1796119211.1 1 tensor.cc:1] Check failed: x\n",
        "\tindented text\n",
        "last words without a newline",
        "line\r\n",
        "the model said I0000 00:00:00 in a message\n",
        "bytes \u00ff\u0000\u00e9 pass as they are\n",
        "\n\n"
      })
  void everythingElsePassesUnchanged(String line) throws Exception {
    assertEquals(line, filtered(line));
  }

  @Test
  void aJavaStackTraceAfterARecordIsKept() throws Exception {
    String trace = "Exception in thread \"main\" java.lang.Error: x\n\tat dev.tfinterop.Main\n";
    assertEquals(trace, filtered("I0000 00:00:1796119211.1 1 a.cc:1] loading\n" + trace));
  }

  /** libc's open, for pointing fd 2 at a file. */
  interface TestLibC extends QuietStderr.LibC {
    int open(String path, int flags, int mode);
  }

  static final int O_WRONLY_CREAT_TRUNC = 01 | 0100 | 01000;

  @Test
  void startFiltersFd2OfTheWholeProcess(@TempDir Path dir) throws Exception {
    TestLibC libc = Native.load("c", TestLibC.class);
    Path log = dir.resolve("stderr.txt");
    // fd 2 onto a file for the test's length. Surefire replaces System.err, so Java's side is
    // written through FileDescriptor.err, which a plain JVM's System.err wraps.
    System.err.flush();
    int original = libc.dup(2);
    int file = libc.open(log.toString(), O_WRONLY_CREAT_TRUNC, 0644);
    assertTrue(original >= 0 && file >= 0);
    try {
      assertEquals(2, libc.dup2(file, 2));
      libc.close(file);
      QuietStderr quiet = QuietStderr.start().orElseThrow();
      byte[] direct = (TF_LOG + "client line one\n").getBytes(StandardCharsets.UTF_8);
      assertEquals(direct.length, libc.write(2, direct, direct.length));
      PrintStream javaErr = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
      javaErr.println("client line two");
      quiet.close();
    } finally {
      System.err.flush();
      libc.dup2(original, 2);
      libc.close(original);
    }
    assertEquals("client line one\nclient line two\n", Files.readString(log));
  }

  @Test
  void verboseIsTheFlagOrTheEnvironment() {
    assertFalse(QuietStderr.verboseRequested(List.of("run", "--mode", "inproc"), null));
    assertFalse(QuietStderr.verboseRequested(List.of(), "0"));
    assertFalse(QuietStderr.verboseRequested(List.of(), ""));
    assertTrue(QuietStderr.verboseRequested(List.of("info", "--verbose"), null));
    assertTrue(QuietStderr.verboseRequested(List.of(), "1"));
  }
}
