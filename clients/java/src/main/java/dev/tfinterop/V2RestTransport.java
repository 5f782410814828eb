package dev.tfinterop;

import com.google.protobuf.Message;
import inference.GrpcService.ModelInferRequest;
import java.util.List;
import java.util.Map;

/**
 * The Open Inference Protocol's REST API: POST {rest}/v2/models/{name}[/versions/{v}]/infer with
 * the ModelInferRequest as JSON (V2RestJson), the answer read back into a ModelInferResponse. HTTP
 * errors map back to canonical codes as for rest (HttpStatusCodes) and keep their HTTP status.
 */
public final class V2RestTransport implements Transport {
  /** What {@link #call} sends: the protocol serves predict cases only. */
  static final List<Api> APIS = List.of(Api.PREDICT);

  private final RestHttp http;

  public V2RestTransport(String baseUrl, long deadlineMs) {
    this.http = new RestHttp(baseUrl, deadlineMs);
  }

  @Override
  public String name() {
    return "v2rest";
  }

  @Override
  public Message call(CaseRequest request) throws ServingException {
    ModelInferRequest r = V2GrpcTransport.inferRequest(request);
    String body = V2RestJson.requestBody(r);
    return V2RestJson.readResponse(http.send(http.postJson(inferPath(r), body)));
  }

  /**
   * /v2/models/{name}[/versions/{version}]/infer; an empty version leaves the choice to the server.
   */
  static String inferPath(ModelInferRequest r) {
    StringBuilder p = new StringBuilder("/v2/models/").append(RestHttp.encode(r.getModelName()));
    if (!r.getModelVersion().isEmpty()) {
      p.append("/versions/").append(RestHttp.encode(r.getModelVersion()));
    }
    return p.append("/infer").toString();
  }

  @Override
  public Map<String, String> runtime() {
    return Map.of(
        "http",
        "java.net.http (JDK " + Runtime.version() + ")",
        "jackson",
        Versions.get("jackson"));
  }

  @Override
  public void close() {}
}
