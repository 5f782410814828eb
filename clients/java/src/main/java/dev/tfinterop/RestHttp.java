package dev.tfinterop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One REST server's HTTP exchange, shared by the rest and v2rest transports: a deadline on every
 * call, the body of a 200 answer, any other status mapped back to its canonical code with the HTTP
 * status kept, and an unreachable server as UNAVAILABLE.
 */
final class RestHttp {
  private static final ObjectMapper MAPPER = new ObjectMapper(RestJson.FACTORY);

  private final String base;
  private final Duration deadline;
  private final HttpClient http;

  RestHttp(String baseUrl, long deadlineMs) {
    this.base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.deadline = Duration.ofMillis(deadlineMs);
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(deadline)
            .build();
  }

  /** {@code path} (which starts with /) on this server. */
  URI uri(String path) {
    return URI.create(base + path);
  }

  /** A URL path segment: percent-encoded, a space as %20 (not the form encoding's +). */
  static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A POST of a JSON body to {@code path}. */
  HttpRequest.Builder postJson(String path, String body) {
    return HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  /**
   * Sends one request; the body's bytes on HTTP 200 (not decoded: string outputs carry raw bytes),
   * else the mapped error.
   */
  byte[] send(HttpRequest.Builder request) throws ServingException {
    HttpResponse<byte[]> response;
    try {
      response =
          http.send(request.timeout(deadline).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new ServingException(
          Status.Code.DEADLINE_EXCEEDED, "REST call timed out: " + e.getMessage());
    } catch (ConnectException e) {
      throw new ServingException(Status.Code.UNAVAILABLE, "cannot connect to " + base + ": " + e);
    } catch (IOException e) {
      throw new ServingException(Status.Code.UNAVAILABLE, "REST call to " + base + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServingException(Status.Code.CANCELLED, "interrupted");
    }
    if (response.statusCode() == 200) {
      return response.body();
    }
    throw new ServingException(
        HttpStatusCodes.codeFor(response.statusCode()),
        errorMessage(new String(response.body(), StandardCharsets.UTF_8)),
        response.statusCode());
  }

  /**
   * The "error" of an {"error": "..."} body (TF Serving's and the v2 protocol's), else the body.
   */
  static String errorMessage(String body) {
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n != null && n.path("error").isTextual()) {
        return n.path("error").asText();
      }
    } catch (IOException e) {
      // not JSON: keep the raw text
    }
    return body.strip();
  }
}
