package dev.tfinterop;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** tfinterop-java: dispatches run, bench and info; exit 0 ran, 2 bad usage, 1 could not run. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Before TensorFlow's native library loads (on first use of a TF class).
    Optional<QuietStderr> quiet = QuietStderr.verboseRequested(Arrays.asList(args),
        System.getenv("TFINTEROP_VERBOSE")) ? Optional.empty() : QuietStderr.start();
    int status;
    try {
      status = run(args);
    } finally {
      // Also when an Error escapes: its stack trace then reaches the real stderr.
      quiet.ifPresent(QuietStderr::close);
    }
    System.exit(status);
  }

  static int run(String[] allArgs) {
    // --verbose (any command, no value) acts in main, before TensorFlow loads.
    String[] args = Arrays.stream(allArgs).filter(a -> !a.equals("--verbose"))
        .toArray(String[]::new);
    try {
      if (args.length == 0) {
        throw new UsageException("missing command (run, bench or info)");
      }
      List<String> rest = Arrays.asList(args).subList(1, args.length);
      switch (args[0]) {
        case "run" -> {
          for (Path p : new Runner(System.err).run(CommandLine.parseRun(rest))) {
            System.out.println(p);
          }
        }
        case "bench" -> System.out.println(Json.line(new Bench(System.err).run(CommandLine.parseBench(rest))));
        case "info" -> {
          if (!rest.isEmpty()) {
            throw new UsageException("info takes no arguments");
          }
          System.out.println(Json.line(Info.describe()));
        }
        case "-h", "--help", "help" -> System.out.println(CommandLine.USAGE);
        default -> throw new UsageException("unknown command " + args[0]);
      }
      return 0;
    } catch (UsageException e) {
      System.err.println("tfinterop-java: usage error: " + e.getMessage());
      System.err.println(CommandLine.USAGE);
      return 2;
    } catch (ToolException e) {
      System.err.println("tfinterop-java: error: " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      System.err.println("tfinterop-java: internal error: " + e);
      return 1;
    }
  }
}
