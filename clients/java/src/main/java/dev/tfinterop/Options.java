package dev.tfinterop;

import java.nio.file.Path;
import java.util.List;

/** Parsed command lines, one record per command. */
public final class Options {
  private Options() {}

  public static final String DEFAULT_TARGET = "127.0.0.1:8500";
  public static final String DEFAULT_REST = "http://127.0.0.1:8501";
  public static final long DEFAULT_DEADLINE_MS = 30_000;
  public static final int DEFAULT_WARMUP = 200;

  /** How to reach the model: the mode and its settings. */
  public record Connection(String mode, Path modelConfig, String target, String rest,
      long deadlineMs) {}

  public record Run(Connection connection, List<Path> cases, Path out) {}

  public record Bench(Connection connection, Path cases, String caseId, int requests,
      int concurrency, int warmup) {}
}
