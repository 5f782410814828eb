package dev.tfinterop;

/**
 * The client itself cannot run (unreadable or tampered case set, unwritable output): one line on
 * stderr, exit status 1.
 */
public final class ToolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ToolException(String message) {
    super(message);
  }
}
