package dev.tfinterop;

import io.grpc.Status;

/**
 * An error a serving API answers with: a canonical code (gRPC and TF_Code share numbers) and a
 * message naming what is at fault. {@code httpStatus} is set for errors that came over REST.
 */
public final class ServingException extends Exception {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final Integer httpStatus;

  public ServingException(Status.Code code, String message) {
    this(code, message, null);
  }

  public ServingException(Status.Code code, String message, Integer httpStatus) {
    super(message, null, false, false);
    this.code = code;
    this.httpStatus = httpStatus;
  }

  public static ServingException invalidArgument(String message) {
    return new ServingException(Status.Code.INVALID_ARGUMENT, message);
  }

  public static ServingException notFound(String message) {
    return new ServingException(Status.Code.NOT_FOUND, message);
  }

  public static ServingException failedPrecondition(String message) {
    return new ServingException(Status.Code.FAILED_PRECONDITION, message);
  }

  public static ServingException unimplemented(String message) {
    return new ServingException(Status.Code.UNIMPLEMENTED, message);
  }

  public Status.Code code() {
    return code;
  }

  /** The HTTP status of a REST error, or null for other transports. */
  public Integer httpStatus() {
    return httpStatus;
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
