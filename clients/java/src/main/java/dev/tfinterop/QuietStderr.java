package dev.tfinterop;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Keeps TensorFlow's own logging (TF Java's native start-up notices, absl and MLIR lines that
 * ignore TF_CPP_MIN_LOG_LEVEL) off the terminal unless the user asks for it with --verbose or
 * TFINTEROP_VERBOSE. Native code writes to fd 2 directly, which Java cannot redirect, so libc's
 * pipe/dup2 (through JNA) point fd 2 at a pipe that a thread drains: TensorFlow's log records are
 * dropped, every other byte (System.err included) passes unchanged to the real stderr. The launcher
 * sets TF_CPP_MIN_LOG_LEVEL=2, which Java cannot set for its own process.
 */
final class QuietStderr implements AutoCloseable {
  /** The libc calls the filter needs. */
  interface LibC extends Library {
    int pipe(int[] fds);

    int dup(int fd);

    int dup2(int from, int to);

    int close(int fd);

    long read(int fd, byte[] buffer, long count);

    long write(int fd, byte[] buffer, long count);
  }

  private static final int STDERR = 2;

  // absl's shape ("I0000 00:00:1700000000.1 1 f.cc:1] ..."), TensorFlow's older one, which TF
  // Java's 2.18 uses ("2026-01-02 10:02:30.163804: I tensorflow/..."), and the notices printed
  // without either. FATAL records (F...) are kept: they explain a crash.
  private static final Pattern TF_LINE =
      Pattern.compile(
          "^(?:[IWE]\\d{4} \\d\\d:\\d\\d:\\d\\d|\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?: [IWE] |"
              + "WARNING: All log messages before absl::InitializeLog\\(\\) is called are written to"
              + " STDERR|"
              + "To enable the following instructions: .*rebuild TensorFlow with the appropriate"
              + " compiler flags|"
              + "oneDNN custom operations are on)");

  /** --verbose among the arguments, or TFINTEROP_VERBOSE set to anything but "" or "0". */
  static boolean verboseRequested(List<String> args, String envValue) {
    if (envValue != null && !envValue.isEmpty() && !envValue.equals("0")) {
      return true;
    }
    return args.contains("--verbose");
  }

  /**
   * The line filter: drop says whether a line (without its newline) belongs to a TensorFlow log
   * record; the indented lines that continue a dropped record belong to it.
   */
  static final class Lines {
    private boolean inRecord;

    boolean drop(String line) {
      if (inRecord && !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
        return true;
      }
      inRecord = TF_LINE.matcher(line).find();
      return inRecord;
    }
  }

  /**
   * Copies {@code in} to {@code out} until end of stream, dropping TensorFlow's log lines. After a
   * failed write it keeps reading, so the writer never blocks on a full pipe.
   */
  static void filter(InputStream in, OutputStream out) throws IOException {
    Lines lines = new Lines();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    byte[] buffer = new byte[65536];
    boolean writable = true;
    for (int n; (n = in.read(buffer)) > 0; ) {
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (buffer[i] == '\n') {
          line.write(buffer, start, i + 1 - start);
          writable = emit(lines, line, out, writable);
          start = i + 1;
        }
      }
      line.write(buffer, start, n - start);
    }
    if (line.size() > 0) {
      emit(lines, line, out, writable);
    }
  }

  private static boolean emit(
      Lines lines, ByteArrayOutputStream line, OutputStream out, boolean writable) {
    byte[] bytes = line.toByteArray();
    line.reset();
    // Latin-1 maps each byte to one char: the pattern sees the bytes, nothing is re-encoded.
    String text = new String(bytes, StandardCharsets.ISO_8859_1).replaceAll("[\r\n]+$", "");
    if (!writable || lines.drop(text)) {
      return writable;
    }
    try {
      out.write(bytes);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private final LibC libc;
  private final int savedStderr;
  private final Thread drain;

  private QuietStderr(LibC libc, int savedStderr, Thread drain) {
    this.libc = libc;
    this.savedStderr = savedStderr;
    this.drain = drain;
  }

  /**
   * Points fd 2 at the filter; empty (fd 2 untouched) when libc cannot be reached or a call fails.
   * Call before TensorFlow is loaded; close before exiting.
   */
  static Optional<QuietStderr> start() {
    LibC libc;
    try {
      libc = Native.load("c", LibC.class);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return Optional.empty();
    }
    int[] fds = new int[2];
    int saved = libc.dup(STDERR);
    if (saved < 0) {
      return Optional.empty();
    }
    if (libc.pipe(fds) != 0) {
      libc.close(saved);
      return Optional.empty();
    }
    System.err.flush();
    if (libc.dup2(fds[1], STDERR) != STDERR) {
      libc.close(fds[0]);
      libc.close(fds[1]);
      libc.close(saved);
      return Optional.empty();
    }
    libc.close(fds[1]);
    int readEnd = fds[0];
    Thread drain =
        new Thread(
            () -> {
              try {
                filter(new FdInput(libc, readEnd), new FdOutput(libc, saved));
              } catch (IOException e) {
                // The pipe broke: nothing is left to pass on.
              } finally {
                libc.close(readEnd);
              }
            },
            "tfinterop-stderr-filter");
    drain.setDaemon(true);
    drain.start();
    return Optional.of(new QuietStderr(libc, saved, drain));
  }

  /** Points fd 2 back at the real stderr (closing the pipe) and lets the filter finish. */
  @Override
  public void close() {
    System.err.flush();
    libc.dup2(savedStderr, STDERR);
    try {
      drain.join(5_000); // something else holding the pipe must not hang the exit
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!drain.isAlive()) {
      libc.close(savedStderr);
    }
  }

  /** A file descriptor read with libc's read. */
  private static final class FdInput extends InputStream {
    private final LibC libc;
    private final int fd;

    FdInput(LibC libc, int fd) {
      this.libc = libc;
      this.fd = fd;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one) <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b) throws IOException {
      for (; ; ) {
        long n = libc.read(fd, b, b.length);
        if (n >= 0) {
          return n == 0 ? -1 : (int) n;
        }
        if (Native.getLastError() != 4) { // EINTR: try again
          throw new IOException("read from the stderr pipe failed, errno " + Native.getLastError());
        }
      }
    }
  }

  /** A file descriptor written with libc's write: same open file as the process's stderr. */
  private static final class FdOutput extends OutputStream {
    private final LibC libc;
    private final int fd;

    FdOutput(LibC libc, int fd) {
      this.libc = libc;
      this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b});
    }

    @Override
    public void write(byte[] b) throws IOException {
      byte[] rest = b;
      while (rest.length > 0) {
        long n = libc.write(fd, rest, rest.length);
        if (n <= 0) {
          if (n < 0 && Native.getLastError() == 4) { // EINTR
            continue;
          }
          throw new IOException("write to stderr failed");
        }
        rest = java.util.Arrays.copyOfRange(rest, (int) n, rest.length);
      }
    }
  }
}
