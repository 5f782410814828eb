package dev.tfinterop;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The contract's command line (docs/CONTRACT.md); every mistake is a {@link UsageException}. */
public final class CommandLine {
  static final Set<String> MODES = Set.of("inproc", "grpc", "rest");
  private static final Set<String> RUN_FLAGS =
      Set.of("--mode", "--cases", "--out", "--model-config", "--target", "--rest", "--deadline-ms");
  private static final Set<String> BENCH_FLAGS =
      Set.of("--mode", "--cases", "--case", "--requests", "--concurrency", "--warmup",
          "--model-config", "--target", "--rest", "--deadline-ms");

  public static final String USAGE =
      """
      usage: tfinterop-java run   --mode inproc|grpc|rest --cases DIR [--cases DIR ...] --out DIR
                                  [--model-config FILE] [--target HOST:PORT] [--rest URL]
                                  [--deadline-ms N]
             tfinterop-java bench --mode inproc|grpc|rest --cases DIR --case ID --requests N
                                  --concurrency C [--warmup N] [--model-config FILE]
                                  [--target HOST:PORT] [--rest URL] [--deadline-ms N]
             tfinterop-java info
      every command takes --verbose: show TensorFlow's own log lines (also TFINTEROP_VERBOSE=1)""";

  private CommandLine() {}

  /** Flag values in order of appearance ("--flag value" or "--flag=value"). */
  static Map<String, List<String>> flags(List<String> args, Set<String> allowed) {
    Map<String, List<String>> out = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String name;
      String value;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      } else {
        name = a;
        if (i + 1 >= args.size()) {
          throw new UsageException(name + " needs a value");
        }
        value = args.get(++i);
      }
      if (!allowed.contains(name)) {
        throw new UsageException("unknown argument " + name);
      }
      out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return out;
  }

  public static Options.Run parseRun(List<String> args) {
    Map<String, List<String>> f = flags(args, RUN_FLAGS);
    Options.Connection c = connection(f);
    List<Path> cases = f.getOrDefault("--cases", List.of()).stream().map(Path::of).toList();
    if (cases.isEmpty()) {
      throw new UsageException("run needs --cases DIR");
    }
    return new Options.Run(c, cases, Path.of(single(f, "--out", null, true)));
  }

  public static Options.Bench parseBench(List<String> args) {
    Map<String, List<String>> f = flags(args, BENCH_FLAGS);
    Options.Connection c = connection(f);
    return new Options.Bench(
        c,
        Path.of(single(f, "--cases", null, true)),
        single(f, "--case", null, true),
        positive(f, "--requests", null),
        positive(f, "--concurrency", null),
        nonNegative(f, "--warmup", Integer.toString(Options.DEFAULT_WARMUP)));
  }

  private static Options.Connection connection(Map<String, List<String>> f) {
    String mode = single(f, "--mode", null, true);
    if (!MODES.contains(mode)) {
      throw new UsageException("--mode must be inproc, grpc or rest, not " + mode);
    }
    String config = single(f, "--model-config", null, false);
    long deadline = positive(f, "--deadline-ms", Long.toString(Options.DEFAULT_DEADLINE_MS));
    return new Options.Connection(
        mode,
        config == null ? null : Path.of(config),
        single(f, "--target", Options.DEFAULT_TARGET, false),
        single(f, "--rest", Options.DEFAULT_REST, false),
        deadline);
  }

  private static String single(Map<String, List<String>> f, String name, String dflt,
      boolean required) {
    List<String> v = f.get(name);
    if (v == null) {
      if (required) {
        throw new UsageException("missing " + name);
      }
      return dflt;
    }
    if (v.size() > 1) {
      throw new UsageException(name + " given more than once");
    }
    return v.get(0);
  }

  private static int positive(Map<String, List<String>> f, String name, String dflt) {
    int n = integer(f, name, dflt);
    if (n <= 0) {
      throw new UsageException(name + " must be positive");
    }
    return n;
  }

  private static int nonNegative(Map<String, List<String>> f, String name, String dflt) {
    int n = integer(f, name, dflt);
    if (n < 0) {
      throw new UsageException(name + " must not be negative");
    }
    return n;
  }

  private static int integer(Map<String, List<String>> f, String name, String dflt) {
    String v = single(f, name, dflt, dflt == null);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be an integer, not " + v);
    }
  }
}
