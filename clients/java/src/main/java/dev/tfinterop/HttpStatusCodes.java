package dev.tfinterop;

import io.grpc.Status;
import java.util.Map;

/** TF Serving's mapping between canonical codes and HTTP statuses (http_server.cc). */
public final class HttpStatusCodes {
  private HttpStatusCodes() {}

  // The inverse a REST client applies. HTTP loses detail (400 stands for INVALID_ARGUMENT,
  // FAILED_PRECONDITION and OUT_OF_RANGE), so tests/ compares REST errors by HTTP status.
  private static final Map<Integer, Status.Code> CODE_FOR_HTTP =
      Map.ofEntries(
          Map.entry(400, Status.Code.INVALID_ARGUMENT),
          Map.entry(401, Status.Code.UNAUTHENTICATED),
          Map.entry(403, Status.Code.PERMISSION_DENIED),
          Map.entry(404, Status.Code.NOT_FOUND),
          Map.entry(409, Status.Code.ABORTED),
          Map.entry(429, Status.Code.RESOURCE_EXHAUSTED),
          Map.entry(499, Status.Code.CANCELLED),
          Map.entry(500, Status.Code.INTERNAL),
          Map.entry(501, Status.Code.UNIMPLEMENTED),
          Map.entry(503, Status.Code.UNAVAILABLE),
          Map.entry(504, Status.Code.DEADLINE_EXCEEDED));

  /** The canonical code a REST client reports for an HTTP status; UNKNOWN when unmapped. */
  public static Status.Code codeFor(int httpStatus) {
    return CODE_FOR_HTTP.getOrDefault(httpStatus, Status.Code.UNKNOWN);
  }

  /** The HTTP status TF Serving answers a canonical code with (ToHTTPStatusCode). */
  public static int httpStatusFor(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 499;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case UNAUTHENTICATED -> 401;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
    };
  }
}
