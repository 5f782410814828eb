package dev.tfinterop;

import java.nio.file.Path;
import java.util.List;

/**
 * How to reach the model: the mode and its settings (docs/CONTRACT.md "Command line").
 *
 * @param modelConfig the --model-config override, or null for the manifest's config
 * @param opLibraries the --op-library paths, absolute, in order (loaded in inproc mode only)
 */
public record Connection(
    String mode,
    Path modelConfig,
    List<Path> opLibraries,
    String target,
    String rest,
    long deadlineMs) {
  public static final String DEFAULT_TARGET = "127.0.0.1:8500";
  public static final String DEFAULT_REST = "http://127.0.0.1:8501";
  public static final long DEFAULT_DEADLINE_MS = 30_000;

  public Connection {
    opLibraries = List.copyOf(opLibraries);
  }
}
