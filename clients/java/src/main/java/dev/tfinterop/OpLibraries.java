package dev.tfinterop;

import io.grpc.Status;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.OpList;

/**
 * Custom-op libraries (docs/CONTRACT.md "Op libraries"), loaded in-process with TF Java's {@code
 * TensorFlow.loadLibrary}: each path once, before the run's first model. A library that fails to
 * load is remembered as the error every inproc case of the case sets that need it answers with.
 */
public final class OpLibraries {
  /** Loads one library into the process: the ops it registered, or the runtime's error. */
  @FunctionalInterface
  interface Loader {
    List<String> load(Path library) throws ServingException;
  }

  private static final Pattern UNDEFINED_SYMBOL = Pattern.compile("undefined symbol: (\\S+)");

  private final Loader loader;
  private final PrintWriter log;
  private final Map<Path, Optional<ServingException>> outcomes = new LinkedHashMap<>();

  public OpLibraries(PrintWriter log) {
    this(OpLibraries::loadWithTensorFlowJava, log);
  }

  OpLibraries(Loader loader, PrintWriter log) {
    this.loader = loader;
    this.log = log;
  }

  /** What case set {@code m} needs: --op-library's libraries, then its model.op_libraries. */
  public static List<Path> needed(Connection c, Manifest m) {
    Set<Path> paths = new LinkedHashSet<>(c.opLibraries());
    paths.addAll(m.opLibraryPaths());
    return List.copyOf(paths);
  }

  /**
   * Loads each of {@code libraries} that this process has not tried yet, in order; returns the
   * first failure among them (a library that failed before fails again without a second load).
   */
  public synchronized Optional<ServingException> load(List<Path> libraries) {
    Optional<ServingException> first = Optional.empty();
    for (Path library : libraries) {
      Optional<ServingException> outcome = outcomes.computeIfAbsent(library, this::loadOnce);
      if (first.isEmpty()) {
        first = outcome;
      }
    }
    return first;
  }

  private Optional<ServingException> loadOnce(Path library) {
    try {
      List<String> ops = loader.load(library);
      log.printf(
          "op library %s: loaded (%s)%n",
          library, ops.isEmpty() ? "registers no ops" : String.join(", ", ops));
      return Optional.empty();
    } catch (ServingException e) {
      log.printf(
          "op library %s: %s (each inproc case of the case sets that need it gets this error)%n",
          library, e.code());
      return Optional.of(e);
    }
  }

  /**
   * TensorFlow.loadLibrary (TF_LoadLibrary, dlopen with RTLD_NOW: a symbol the bundled TensorFlow
   * lacks fails the load before any of the library's code runs, so a mismatch cannot crash here).
   */
  static List<String> loadWithTensorFlowJava(Path library) throws ServingException {
    OpList ops;
    try {
      ops = TensorFlow.loadLibrary(library.toString());
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      throw failure(
          library, String.valueOf(e.getMessage()), Versions.get("tensorflow-java"), version());
    }
    return ops.getOpList().stream().map(OpDef::getName).toList();
  }

  private static String version() {
    try {
      return TensorFlow.version();
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return "unknown";
    }
  }

  /**
   * The error a library that did not load answers with. TF_LoadLibrary says NOT_FOUND, but TF
   * Java's loadLibrary rethrows every failure as an UnsatisfiedLinkError carrying only the message
   * (and has no exception class for NOT_FOUND), so the code is UNKNOWN, as for any TF Java error
   * without a class. When the symbol the loader could not bind is TensorFlow's, the message says
   * why: the library was built against another TensorFlow than the one TF Java bundles.
   */
  static ServingException failure(
      Path library, String loaderMessage, String tfJavaVersion, String tensorflowVersion) {
    String message = "loading op library " + library + ": ";
    Matcher m = UNDEFINED_SYMBOL.matcher(loaderMessage);
    if (m.find() && isTensorFlowSymbol(m.group(1))) {
      String bundle = "TF Java " + tfJavaVersion + " bundles TensorFlow " + tensorflowVersion;
      if (m.group(1).startsWith("TF")) {
        message +=
            bundle
                + ", and this library needs a C API function that "
                + tensorflowVersion
                + " does not export (it was built against a newer TensorFlow): ";
      } else {
        message +=
            bundle
                + ", and this kernel was built against another TensorFlow's C++ API, which does"
                + " not bind to "
                + tensorflowVersion
                + "'s libtensorflow_framework.so.2 (build it against TensorFlow "
                + tensorflowVersion
                + "'s headers, or write it with the C kernel API): ";
      }
    }
    return new ServingException(Status.Code.UNKNOWN, message + loaderMessage);
  }

  /** TensorFlow's own C, C++ (mangled) and bundled abseil/protobuf/tsl symbols. */
  static boolean isTensorFlowSymbol(String symbol) {
    return symbol.startsWith("TF_")
        || symbol.startsWith("TFE_")
        || symbol.contains("10tensorflow")
        || symbol.contains("4absl")
        || symbol.contains("3tsl")
        || symbol.contains("3xla")
        || symbol.contains("6google8protobuf");
  }
}
