package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.ParseResult;

/** The command line of docs/CONTRACT.md: flags, defaults, exit status and one-line failures. */
class CliTest {
  @TempDir Path dir;

  /** What one invocation did. */
  record Outcome(int status, String out, String err) {}

  static Outcome execute(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Cli.execute(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Object command(String... args) {
    ParseResult parsed = Cli.commandLine(System.out, System.err).parseArgs(args).subcommand();
    return parsed.commandSpec().userObject();
  }

  @Test
  void benchDefaultsAreTheContracts() {
    Bench.Settings s =
        ((Cli.BenchCommand)
                command(
                    "bench",
                    "--mode",
                    "grpc",
                    "--cases",
                    "c",
                    "--case",
                    "id",
                    "--requests",
                    "5",
                    "--concurrency",
                    "2"))
            .settings();
    assertEquals(10, s.warmup());
    assertEquals(
        new Connection("grpc", null, List.of(), "127.0.0.1:8500", "http://127.0.0.1:8501", 30_000),
        s.connection());
    assertEquals(new Bench.Settings(s.connection(), Path.of("c"), "id", 5, 2, 10), s);
  }

  @Test
  void runTakesRepeatedCasesAndEqualsForms() {
    Cli.RunCommand run =
        (Cli.RunCommand)
            command(
                "run",
                "--mode=rest",
                "--cases",
                "a",
                "--cases=b",
                "--out",
                "o",
                "--rest",
                "http://h:1",
                "--deadline-ms",
                "5",
                "--model-config",
                "m.config",
                "--verbose");
    assertEquals(List.of(Path.of("a"), Path.of("b")), run.cases);
    assertEquals(Path.of("o"), run.out);
    assertEquals(
        new Connection("rest", Path.of("m.config"), List.of(), "127.0.0.1:8500", "http://h:1", 5),
        run.connection.connection());
  }

  @Test
  void opLibraryIsRepeatableInOrderAndAbsolute() {
    Path cwd = Path.of("").toAbsolutePath();
    Cli.RunCommand run =
        (Cli.RunCommand)
            command(
                "run",
                "--mode",
                "inproc",
                "--cases",
                "c",
                "--out",
                "o",
                "--op-library",
                "/opt/ops/libb.so",
                "--op-library=liba.so",
                "--op-library",
                "../ops/./libc.so");
    assertEquals(
        List.of(
            Path.of("/opt/ops/libb.so"),
            cwd.resolve("liba.so"),
            cwd.getParent().resolve("ops/libc.so")),
        run.connection.connection().opLibraries());
    Bench.Settings bench =
        ((Cli.BenchCommand)
                command(
                    "bench",
                    "--mode=inproc",
                    "--cases=c",
                    "--case=id",
                    "--requests=1",
                    "--concurrency=1",
                    "--op-library=/opt/liba.so"))
            .settings();
    assertEquals(List.of(Path.of("/opt/liba.so")), bench.connection().opLibraries());
  }

  @Test
  void opLibraryAbsentIsNone() {
    Cli.RunCommand run =
        (Cli.RunCommand) command("run", "--mode", "inproc", "--cases", "c", "--out", "o");
    assertEquals(List.of(), run.connection.connection().opLibraries());
  }

  @Test
  void atFileIsAnOrdinaryValue() {
    Cli.RunCommand run =
        (Cli.RunCommand) command("run", "--mode", "grpc", "--cases", "@cases", "--out", "o");
    assertEquals(List.of(Path.of("@cases")), run.cases);
    assertNull(run.connection.modelConfig);
  }

  @ParameterizedTest
  @ValueSource(strings = {"v2grpc", "v2rest"})
  void v2ModesParseWithTheServerFlagsAndDefaults(String mode) {
    Cli.RunCommand run =
        (Cli.RunCommand) command("run", "--mode", mode, "--cases", "c", "--out", "o");
    assertEquals(mode, run.connection.mode);
    assertEquals(Connection.DEFAULT_TARGET, run.connection.target);
    assertEquals(Connection.DEFAULT_REST, run.connection.rest);
    assertEquals(Connection.DEFAULT_DEADLINE_MS, run.connection.deadlineMs);
  }

  @Test
  void badModeNamesEveryMode() {
    assertTrue(
        execute("run", "--mode", "v3", "--cases", "x", "--out", "y")
            .err()
            .contains("'v3' is not a mode (inproc, grpc, rest, v2grpc, v2rest)"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "frobnicate",
        "--mode grpc",
        "info extra",
        "info --bogus",
        "run --mode carrier-pigeon --cases x --out y",
        "run --mode grpc --out y",
        "run --mode grpc --cases x",
        "run --cases x --out y",
        "run --mode grpc --cases x --out y --bogus 1",
        "run --mode grpc --cases x --out y --out z",
        "run --mode grpc --cases x --out y --deadline-ms 0",
        "run --mode grpc --cases x --out y --deadline-ms soon",
        "run --mode grpc --cases x --out",
        "run --mode grpc --cases x --out y --warmup 3",
        "bench --mode grpc --cases x --case c --requests 0 --concurrency 1",
        "bench --mode grpc --cases x --case c --requests 1 --concurrency -1",
        "bench --mode grpc --cases x --case c --requests 1 --concurrency 1 --warmup -1",
        "bench --mode grpc --cases x --case c --requests many --concurrency 1",
        "bench --mode grpc --cases x --case c --concurrency 1",
        "bench --mode grpc --cases x --cases y --case c --requests 1 --concurrency 1",
        "run --mode inproc --cases x --out y --op-library",
        "run --mode inproc --cases x --out y --op-library=",
        "bench --mode inproc --cases x --case c --requests 1 --concurrency 1 --op-library=",
        "run --mode inproc,,grpc --cases x --out y",
        "run --mode inproc, --cases x --out y",
        "run --mode ,inproc --cases x --out y",
        "run --mode , --cases x --out y",
        "run --mode grpc,grpc --cases x --out y",
        "run --mode grpc,v3 --cases x --out y",
        "run --mode grpc --mode rest --cases x --out y",
        "bench --mode inproc,grpc --cases x --case c --requests 1 --concurrency 1",
      })
  void badUsageExitsTwoWithOneLine(String line) {
    Outcome o = execute(line.isEmpty() ? new String[0] : line.split(" "));
    assertEquals(2, o.status(), line + ": " + o.err());
    assertEquals("", o.out(), line);
    assertEquals(1, o.err().lines().count(), line + ": " + o.err());
    assertTrue(o.err().startsWith("tfinterop-java: usage error: "), o.err());
    assertFalse(o.err().contains("Exception"), o.err());
  }

  @Test
  void runTakesAListOfModesInTheOrderGiven() {
    Cli.RunCommand run =
        (Cli.RunCommand)
            command("run", "--mode", "rest,inproc,v2grpc", "--cases", "c", "--out", "o");
    assertEquals(
        List.of("rest", "inproc", "v2grpc"),
        run.connection.connections().stream().map(Connection::mode).toList());
    assertEquals(
        new Connection(
            "inproc", null, List.of(), "127.0.0.1:8500", "http://127.0.0.1:8501", 30_000),
        run.connection.connections().get(1));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "inproc,,grpc | 'inproc,,grpc' has an empty mode",
        "inproc,      | 'inproc,' has an empty mode",
        "grpc,grpc    | 'grpc,grpc' names mode 'grpc' twice",
        "grpc,v3      | 'v3' is not a mode (inproc, grpc, rest, v2grpc, v2rest)",
      })
  void badModeListIsNamed(String modes, String message) {
    Outcome o = execute("run", "--mode", modes, "--cases", "x", "--out", "y");
    assertEquals(2, o.status(), o.err());
    assertTrue(o.err().contains(message), o.err());
  }

  @Test
  void benchRefusesAListOfModes() {
    Outcome o =
        execute(
            "bench",
            "--mode",
            "inproc,grpc",
            "--cases",
            "x",
            "--case",
            "c",
            "--requests",
            "1",
            "--concurrency",
            "1");
    assertEquals(2, o.status(), o.err());
    assertEquals(
        "tfinterop-java: usage error: bench takes one mode, not the list 'inproc,grpc'\n", o.err());
  }

  @Test
  void unknownCommandIsNamed() {
    assertEquals(
        "tfinterop-java: usage error: unknown command 'frobnicate' (run, bench or info)\n",
        execute("frobnicate").err());
  }

  @Test
  void missingFlagIsNamed() {
    assertTrue(execute("run", "--mode", "grpc", "--cases", "x").err().contains("'--out=DIR'"));
  }

  @Test
  void unreadableCaseSetExitsOneWithOneLine() {
    Outcome o =
        execute(
            "run",
            "--mode",
            "grpc",
            "--cases",
            dir.resolve("absent").toString(),
            "--out",
            dir.resolve("out").toString());
    assertEquals(1, o.status());
    assertEquals("", o.out());
    assertEquals(1, o.err().lines().count(), o.err());
    assertTrue(o.err().startsWith("tfinterop-java: error: cannot read "), o.err());
  }

  @Test
  void helpGoesToStdoutAndExitsZero() {
    Outcome o = execute("bench", "--help");
    assertEquals(0, o.status());
    assertTrue(o.out().contains("--warmup=N"), o.out());
    assertTrue(o.out().contains("(default: 10)"), o.out());
  }
}
