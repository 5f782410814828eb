package dev.tfinterop;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** tfinterop-java: dispatches run, bench and info; exit 0 ran, 2 bad usage, 1 could not run. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
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
