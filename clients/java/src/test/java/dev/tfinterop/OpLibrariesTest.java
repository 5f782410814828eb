package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bookkeeping of {@link OpLibraries} with a scripted loader (no library enters the JVM). */
class OpLibrariesTest {
  @TempDir Path dir;

  static final Path A = Path.of("/ops/liba.so");
  static final Path B = Path.of("/ops/libb.so");
  static final Path C = Path.of("/ops/libc.so");

  /** Loads every path except those in {@code failing}; records each call. */
  record Script(Set<Path> failing, List<Path> calls) implements OpLibraries.Loader {
    Script(Set<Path> failing) {
      this(failing, new ArrayList<>());
    }

    @Override
    public List<String> load(Path library) throws ServingException {
      calls.add(library);
      if (failing.contains(library)) {
        throw new ServingException(Status.Code.UNKNOWN, "cannot load " + library);
      }
      return List.of("Op" + library.getFileName());
    }
  }

  @Test
  void eachPathIsLoadedOnceWhateverAsksAgain() {
    Script script = new Script(Set.of(B));
    StringWriter log = new StringWriter();
    OpLibraries libraries = new OpLibraries(script, new PrintWriter(log, true));
    libraries.load(List.of(A, B));
    libraries.load(List.of(B, A, A));
    assertEquals(List.of(A, B), script.calls());
    assertEquals(
        List.of(
            "op library /ops/liba.so: loaded (Opliba.so)",
            "op library /ops/libb.so: UNKNOWN (each inproc case of the case sets that need it gets"
                + " this error)"),
        log.toString().lines().toList());
  }

  @Test
  void theFirstFailureInTheSetsOrderIsItsAnswer() {
    OpLibraries libraries =
        new OpLibraries(new Script(Set.of(B, C)), new PrintWriter(new StringWriter()));
    Optional<ServingException> first = libraries.load(List.of(A, C, B));
    assertEquals("cannot load " + C, first.orElseThrow().getMessage());
    assertEquals("cannot load " + B, libraries.load(List.of(B, C)).orElseThrow().getMessage());
    // The same failure answers again, without a second load.
    assertSame(first.get(), libraries.load(List.of(C)).orElseThrow());
    assertEquals(Optional.empty(), libraries.load(List.of(A)));
    assertEquals(Optional.empty(), libraries.load(List.of()));
  }

  @Test
  void aCaseSetNeedsTheFlagsLibrariesThenItsManifestsOnce() {
    Path folder = dir.resolve("cases/m");
    Manifest m =
        new Manifest(
            folder, "m", "c", List.of("../../ops/libb.so", "/ops/liba.so"), Map.of(), List.of());
    Connection c =
        new Connection("inproc", null, List.of(A, C), "t", "r", Connection.DEFAULT_DEADLINE_MS);
    Path b = Manifest.realFolder(dir).resolve("ops/libb.so");
    assertEquals(List.of(A, C, b), OpLibraries.needed(c, m));
  }

  @Test
  void anUnboundTensorFlowSymbolNamesTheTensorFlowTfJavaBundles() {
    String loader =
        "/x/libtfi_ops.so: undefined symbol:"
            + " _ZN10tensorflow15OpKernelContext21CtxFailureWithWarningEPKciRKN4absl12lts_202508146StatusE";
    ServingException e =
        OpLibraries.failure(Path.of("/x/libtfi_ops.so"), loader, "1.1.0", "2.18.0");
    assertEquals(Status.Code.UNKNOWN, e.code());
    assertEquals(
        "loading op library /x/libtfi_ops.so: TF Java 1.1.0 bundles TensorFlow 2.18.0, and this"
            + " kernel was built against another TensorFlow's C++ API, which does not bind to"
            + " 2.18.0's libtensorflow_framework.so.2 (build it against TensorFlow 2.18.0's"
            + " headers, or write it with the C kernel API): "
            + loader,
        e.getMessage());
  }

  @Test
  void anUnboundCApiFunctionSaysTheLibraryIsNewerThanTheBundle() {
    String loader = "/x/lib.so: undefined symbol: TF_SomethingFrom2_30";
    assertEquals(
        "loading op library /x/lib.so: TF Java 1.1.0 bundles TensorFlow 2.18.0, and this library"
            + " needs a C API function that 2.18.0 does not export (it was built against a newer"
            + " TensorFlow): "
            + loader,
        OpLibraries.failure(Path.of("/x/lib.so"), loader, "1.1.0", "2.18.0").getMessage());
  }

  @Test
  void otherLoaderFailuresKeepTheLoadersMessageOnly() {
    for (String loader :
        List.of(
            "/x/libnope.so: cannot open shared object file: No such file or directory",
            "/x/libmine.so: undefined symbol: _Z9my_helperv")) {
      ServingException e = OpLibraries.failure(Path.of("/x/lib.so"), loader, "1.1.0", "2.18.0");
      assertEquals(Status.Code.UNKNOWN, e.code());
      assertEquals("loading op library /x/lib.so: " + loader, e.getMessage());
    }
  }

  @Test
  void tensorFlowSymbolsAreItsCAndCppOnes() {
    for (String s :
        List.of(
            "TF_NewKernelBuilder",
            "_ZN10tensorflow8OpKernelD2Ev",
            "_ZN4absl12lts_2025081412log_internal10LogMessage5FlushEv",
            "_ZN3tsl6errors8NotFoundEv")) {
      assertTrue(OpLibraries.isTensorFlowSymbol(s), s);
    }
    assertFalse(OpLibraries.isTensorFlowSymbol("_Z9my_helperv"));
  }
}
