package dev.tfinterop;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** tfinterop-java: the command line is {@link Cli}; this only quiets TensorFlow first. */
public final class Main {
  private Main() {}

  /** JavaCPP's guard on the process's resident size (TF Java's native memory goes through it). */
  static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

  public static void main(String[] args) {
    // Before JavaCPP's Pointer class initializes (on first use of a TF class). On every native
    // allocation that registers a deallocator (about ten per session run) JavaCPP reads the
    // process's resident size from /proc, under a global lock, to call System.gc() once it passes
    // twice the heap: a tenth to a fifth of an in-process MNIST request here. This client closes
    // every tensor and Result itself, so the guard frees nothing; JavaCPP's other guard, on the
    // bytes it tracks, stays. A value given with -D (TFINTEROP_JAVA_OPTS) wins.
    if (System.getProperty(MAX_PHYSICAL_BYTES) == null
        && System.getProperty(MAX_PHYSICAL_BYTES.toLowerCase(Locale.ROOT)) == null) {
      System.setProperty(MAX_PHYSICAL_BYTES, "0");
    }
    // Before TensorFlow's native library loads (on first use of a TF class).
    Optional<QuietStderr> quiet =
        QuietStderr.verboseRequested(Arrays.asList(args), System.getenv("TFINTEROP_VERBOSE"))
            ? Optional.empty()
            : QuietStderr.start();
    int status;
    try {
      status = Cli.execute(args, System.out, System.err);
    } finally {
      // Also when an Error escapes: its stack trace then reaches the real stderr.
      quiet.ifPresent(QuietStderr::close);
    }
    System.exit(status);
  }
}
