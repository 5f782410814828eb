package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class HttpStatusCodesTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "400, INVALID_ARGUMENT",
    "401, UNAUTHENTICATED",
    "403, PERMISSION_DENIED",
    "404, NOT_FOUND",
    "409, ABORTED",
    "429, RESOURCE_EXHAUSTED",
    "499, CANCELLED",
    "500, INTERNAL",
    "501, UNIMPLEMENTED",
    "503, UNAVAILABLE",
    "504, DEADLINE_EXCEEDED",
    "418, UNKNOWN",
    "502, UNKNOWN"
  })
  void httpStatusMapsToTheContractsCode(int http, Status.Code code) {
    assertEquals(code, HttpStatusCodes.codeFor(http));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Status.Code.class, names = "OK", mode = EnumSource.Mode.EXCLUDE)
  void everyCodeSurvivesTheTripAtLeastAsItsHttpStatus(Status.Code code) {
    int http = HttpStatusCodes.httpStatusFor(code);
    assertEquals(
        http, HttpStatusCodes.httpStatusFor(HttpStatusCodes.codeFor(http)), code + " -> " + http);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "FAILED_PRECONDITION, 400",
    "OUT_OF_RANGE, 400",
    "INVALID_ARGUMENT, 400",
    "NOT_FOUND, 404",
    "UNIMPLEMENTED, 501",
    "DATA_LOSS, 500"
  })
  void serverSideMappingFollowsTfServing(Status.Code code, int http) {
    assertEquals(http, HttpStatusCodes.httpStatusFor(code));
  }
}
