package dev.tfinterop;

import java.util.Arrays;
import java.util.Optional;

/** tfinterop-java: the command line is {@link Cli}; this only quiets TensorFlow first. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
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
