package dev.tfinterop;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The contract's command line (docs/CONTRACT.md "Command line"): run, bench and info, their flags
 * and defaults. Exit 0 when the command ran, 2 on bad usage, 1 when the client could not run; a
 * failure is one line on stderr, never a stack trace.
 */
@Command(
    name = Cli.NAME,
    subcommands = {Cli.RunCommand.class, Cli.BenchCommand.class, Cli.InfoCommand.class},
    description =
        "Replays tfinterop golden cases in-process (TF Java), over gRPC or REST, and in the Open"
            + " Inference Protocol.")
public final class Cli implements Callable<Integer> {
  static final String NAME = "tfinterop-java";

  @Spec CommandSpec spec;

  @Mixin Common common;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command (run, bench or info)");
  }

  /** Parses and runs {@code args}; returns the exit status. */
  public static int execute(String[] args, PrintStream out, PrintStream err) {
    return commandLine(out, err).execute(args);
  }

  /** The configured parser: output to {@code out}, one-line failures to {@code err}. */
  static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine cli = new CommandLine(new Cli());
    cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    // "@file" is an ordinary value here (a case folder may start with @), not an argument file.
    cli.setExpandAtFiles(false);
    cli.setParameterExceptionHandler(
        (e, args) -> {
          e.getCommandLine().getErr().println(usageLine(e));
          return ExitCode.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          PrintWriter log = command.getErr();
          if (e instanceof UsageException) {
            log.println(NAME + ": usage error: " + e.getMessage());
            return ExitCode.USAGE;
          }
          if (e instanceof ToolException) {
            log.println(NAME + ": error: " + e.getMessage());
            return ExitCode.SOFTWARE;
          }
          log.println(NAME + ": internal error: " + e);
          return ExitCode.SOFTWARE;
        });
    return cli;
  }

  private static String usageLine(ParameterException e) {
    CommandSpec where = e.getCommandLine().getCommandSpec();
    if (e instanceof UnmatchedArgumentException u
        && where.parent() == null
        && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      return NAME
          + ": usage error: unknown command '"
          + u.getUnmatched().get(0)
          + "' (run, bench or info)";
    }
    return NAME
        + ": usage error: "
        + e.getMessage()
        + " (see '"
        + where.qualifiedName()
        + " --help')";
  }

  /** Flags every command takes. */
  static final class Common {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help.")
    boolean help;

    // Acted on in Main, before TensorFlow's native library loads; declared so every command
    // accepts it.
    @Option(
        names = "--verbose",
        description = "Let TensorFlow's start-up lines through (also TFINTEROP_VERBOSE=1).")
    boolean verbose;
  }

  /** --mode and how to reach the model. */
  static final class ConnectionOptions {
    // One mode, or for run a comma-separated list of distinct modes (checked here; bench refuses
    // a list in connection()).
    @Option(
        names = "--mode",
        required = true,
        paramLabel = "inproc|grpc|rest|v2grpc|v2rest",
        converter = ModeListConverter.class,
        description =
            "inproc: load the SavedModel in-process; grpc, rest: TF Serving's APIs on a server;"
                + " v2grpc, v2rest: the Open Inference Protocol (KServe v2) on a server. run also"
                + " takes a comma-separated list, run one after another in one process.")
    String mode;

    @Option(
        names = "--model-config",
        paramLabel = "FILE",
        description = "Model config file (inproc only); default: the manifest's config.")
    Path modelConfig;

    @Option(
        names = "--op-library",
        paramLabel = "PATH",
        converter = OpLibraryPath.class,
        description =
            "A custom-op library to load before the model (inproc only); repeatable; added to the"
                + " case sets' model.op_libraries.")
    List<Path> opLibraries = new ArrayList<>();

    @Option(
        names = "--target",
        paramLabel = "HOST:PORT",
        defaultValue = Connection.DEFAULT_TARGET,
        description = "gRPC server, grpc and v2grpc (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(
        names = "--rest",
        paramLabel = "URL",
        defaultValue = Connection.DEFAULT_REST,
        description = "REST server, rest and v2rest (default: ${DEFAULT-VALUE}).")
    String rest;

    @Option(
        names = "--deadline-ms",
        paramLabel = "N",
        defaultValue = "" + Connection.DEFAULT_DEADLINE_MS,
        converter = PositiveLong.class,
        description = "Per-request deadline through a server (default: ${DEFAULT-VALUE}).")
    long deadlineMs;

    /** The one mode's connection; a UsageException for a list (only run takes one). */
    Connection connection() {
      List<String> modes = ModeListConverter.split(mode);
      if (modes.size() != 1) {
        throw new UsageException("bench takes one mode, not the list '" + mode + "'");
      }
      return connection(modes.get(0));
    }

    /** One connection per listed mode, in the order given. */
    List<Connection> connections() {
      return ModeListConverter.split(mode).stream().map(this::connection).toList();
    }

    private Connection connection(String m) {
      return new Connection(m, modelConfig, opLibraries, target, rest, deadlineMs);
    }
  }

  @Command(name = "run", description = "Replay case sets and write one result file per case.")
  static final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin Common common;

    @Mixin ConnectionOptions connection;

    @Option(
        names = "--cases",
        required = true,
        paramLabel = "DIR",
        description = "A case folder (build/cases/<model>); repeatable.")
    List<Path> cases;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "The results root: writes OUT/java/<mode>/<model>/ for each mode.")
    Path out;

    @Override
    public Integer call() {
      PrintWriter stdout = spec.commandLine().getOut();
      // Each folder as it is committed: when a later mode fails (exit 1), the ones written stay
      // and are named.
      new Runner(spec.commandLine().getErr())
          .run(connection.connections(), cases, out, stdout::println);
      return ExitCode.OK;
    }
  }

  @Command(name = "bench", description = "Send one case N times, C in flight; print one JSON line.")
  static final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin Common common;

    @Mixin ConnectionOptions connection;

    @Option(names = "--cases", required = true, paramLabel = "DIR", description = "A case folder.")
    Path cases;

    @Option(names = "--case", required = true, paramLabel = "ID", description = "The case id.")
    String caseId;

    @Option(
        names = "--requests",
        required = true,
        paramLabel = "N",
        converter = PositiveInt.class,
        description = "Measured requests, warm-up excluded.")
    int requests;

    @Option(
        names = "--concurrency",
        required = true,
        paramLabel = "C",
        converter = PositiveInt.class,
        description = "Requests in flight.")
    int concurrency;

    @Option(
        names = "--warmup",
        paramLabel = "N",
        defaultValue = "" + Bench.DEFAULT_WARMUP,
        converter = NonNegativeInt.class,
        description = "Requests sent before measuring (default: ${DEFAULT-VALUE}).")
    int warmup;

    Bench.Settings settings() {
      return new Bench.Settings(
          connection.connection(), cases, caseId, requests, concurrency, warmup);
    }

    @Override
    public Integer call() {
      Bench bench = new Bench(spec.commandLine().getErr());
      spec.commandLine().getOut().println(Json.line(bench.run(settings())));
      return ExitCode.OK;
    }
  }

  @Command(name = "info", description = "Print what this client is and can do as one JSON line.")
  static final class InfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin Common common;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println(Json.line(Info.describe()));
      return ExitCode.OK;
    }
  }

  /**
   * --mode: one mode or a comma-separated list of distinct modes (docs/CONTRACT.md "Several modes
   * in one process"); an empty item, an unknown or a repeated mode is a usage error.
   */
  static final class ModeListConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      Set<String> seen = new HashSet<>();
      for (String item : split(value)) {
        if (item.isEmpty()) {
          throw new TypeConversionException(
              "'" + value + "' has an empty mode (give modes separated by single commas)");
        }
        if (!Transports.MODES.contains(item)) {
          throw new TypeConversionException(
              "'" + item + "' is not a mode (" + String.join(", ", Transports.MODES) + ")");
        }
        if (!seen.add(item)) {
          throw new TypeConversionException("'" + value + "' names mode '" + item + "' twice");
        }
      }
      return value;
    }

    /** The items of a list, empty ones kept ("inproc," is two items). */
    static List<String> split(String value) {
      return List.of(value.split(",", -1));
    }
  }

  /**
   * A library path, made absolute against the working directory: a bare file name then means that
   * file, not a search of the loader's library path.
   */
  static final class OpLibraryPath implements ITypeConverter<Path> {
    @Override
    public Path convert(String value) {
      if (value.isEmpty()) {
        throw new TypeConversionException("--op-library needs a path");
      }
      try {
        return Path.of(value).toAbsolutePath().normalize();
      } catch (InvalidPathException e) {
        throw new TypeConversionException("'" + value + "' is not a path: " + e.getReason());
      }
    }
  }

  static final class PositiveInt implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n = NonNegativeInt.parse(value);
      if (n == 0) {
        throw new TypeConversionException("'" + value + "' is not a positive integer");
      }
      return n;
    }
  }

  static final class NonNegativeInt implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return parse(value);
    }

    static int parse(String value) {
      int n;
      try {
        n = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not an integer");
      }
      if (n < 0) {
        throw new TypeConversionException("'" + value + "' is negative");
      }
      return n;
    }
  }

  static final class PositiveLong implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      long n;
      try {
        n = Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not an integer");
      }
      if (n <= 0) {
        throw new TypeConversionException("'" + value + "' is not a positive integer");
      }
      return n;
    }
  }
}
