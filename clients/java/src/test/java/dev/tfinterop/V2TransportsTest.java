package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcService.InferParameter;
import inference.GrpcService.InferTensorContents;
import inference.GrpcService.ModelInferRequest;
import inference.GrpcService.ModelInferRequest.InferInputTensor;
import inference.GrpcService.ModelInferResponse;
import inference.GrpcService.ModelInferResponse.InferOutputTensor;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Predict.PredictRequest;

/**
 * The v2grpc and v2rest transports against local fake servers (an in-process gRPC service and a
 * scripted loopback HTTP server), and the runner choosing each case's v2 form.
 */
class V2TransportsTest {
  @TempDir Path dir;

  HttpServer http;
  V2RestTransport rest;
  final Map<String, String> bodies = new ConcurrentHashMap<>();

  Server grpcServer;
  V2GrpcTransport grpc;

  /** What the fake gRPC service answers ModelInfer with (null: echo the inputs as outputs). */
  volatile Status grpcStatus;

  static final String ANSWER =
      """
      {"model_name": "m", "model_version": "3", "id": "r1",
       "outputs": [{"name": "y", "datatype": "INT64", "shape": [1, 2],
                    "data": [9007199254740993, -1]}]}
      """;

  @BeforeEach
  void start() throws Exception {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getRawPath();
          bodies.put(path, new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          int status = 200;
          String body = ANSWER;
          if (!ex.getRequestMethod().equals("POST")
              || !"application/json".equals(ex.getRequestHeaders().getFirst("Content-Type"))) {
            status = 400;
            body = "{\"error\": \"not a JSON POST\"}";
          } else if (path.startsWith("/v2/models/nope")) {
            status = 404;
            body = "{\"error\": \"model 'nope' is not found\"}";
          } else if (path.startsWith("/v2/models/bad")) {
            status = 400;
            body = "{\"error\": \"input 'x': 1 values in 'data', shape [2] holds 2\"}";
          } else if (path.startsWith("/v2/models/broken")) {
            status = 500;
            body = "upstream exploded";
          } else if (path.startsWith("/v2/models/garbled")) {
            body = "{\"outputs\": [{\"name\": \"y\"";
          }
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(status, bytes.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
          }
        });
    http.start();
    rest = new V2RestTransport("http://127.0.0.1:" + http.getAddress().getPort() + "/", 5_000);

    String name = InProcessServerBuilder.generateName();
    grpcServer =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(new EchoService())
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    grpc = new V2GrpcTransport(channel, 5_000);
  }

  @AfterEach
  void stop() {
    rest.close();
    http.stop(0);
    grpc.close();
    grpcServer.shutdownNow();
  }

  /** Answers ModelInfer with its inputs as raw outputs, or with {@link #grpcStatus}. */
  final class EchoService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    @Override
    public void modelInfer(ModelInferRequest r, StreamObserver<ModelInferResponse> out) {
      if (grpcStatus != null) {
        out.onError(grpcStatus.asRuntimeException());
        return;
      }
      ModelInferResponse.Builder b =
          ModelInferResponse.newBuilder().setModelName(r.getModelName()).setModelVersion("3");
      for (InferInputTensor in : r.getInputsList()) {
        b.addOutputs(
            InferOutputTensor.newBuilder()
                .setName(in.getName())
                .setDatatype(in.getDatatype())
                .addAllShape(in.getShapeList()));
        b.addRawOutputContents(ByteString.copyFrom(new byte[] {1, 0}));
      }
      out.onNext(b.build());
      out.onCompleted();
    }
  }

  static ModelInferRequest request(String model, String version) {
    return ModelInferRequest.newBuilder()
        .setModelName(model)
        .setModelVersion(version)
        .setId("r1")
        .putParameters(
            "signature_name", InferParameter.newBuilder().setStringParam("serving_default").build())
        .addInputs(
            InferInputTensor.newBuilder()
                .setName("x")
                .setDatatype("FP32")
                .addShape(2)
                .setContents(
                    InferTensorContents.newBuilder().addFp32Contents(0.5f).addFp32Contents(-1)))
        .build();
  }

  static CaseRequest predict(ModelInferRequest r) {
    return new CaseRequest(Api.PREDICT, r, RestFormat.COLUMNAR);
  }

  @Test
  void restPostsTheJsonBodyToTheVersionedInferUrl() throws Exception {
    ModelInferResponse r = (ModelInferResponse) rest.call(predict(request("m", "3")));
    assertEquals(
        V2RestJson.requestBody(request("m", "3")), bodies.get("/v2/models/m/versions/3/infer"));
    assertEquals("m", r.getModelName());
    assertEquals("3", r.getModelVersion());
    assertEquals("r1", r.getId());
    assertEquals(
        List.of(9007199254740993L, -1L), r.getOutputs(0).getContents().getInt64ContentsList());
  }

  @Test
  void restLeavesTheVersionToTheServerWhenEmptyAndEncodesTheName() throws Exception {
    rest.call(predict(request("m", "")));
    assertTrue(bodies.containsKey("/v2/models/m/infer"), bodies.keySet().toString());
    rest.call(predict(request("a b/c", "")));
    assertTrue(bodies.containsKey("/v2/models/a%20b%2Fc/infer"), bodies.keySet().toString());
    assertEquals("/v2/models/m/versions/12/infer", V2RestTransport.inferPath(request("m", "12")));
  }

  @Test
  void restErrorsMapBackByHttpStatusWithTheServersMessage() {
    ServingException e =
        assertThrows(ServingException.class, () -> rest.call(predict(request("nope", ""))));
    assertEquals(Status.Code.NOT_FOUND, e.code());
    assertEquals(404, e.httpStatus());
    assertEquals("model 'nope' is not found", e.getMessage());
    e = assertThrows(ServingException.class, () -> rest.call(predict(request("bad", "1"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertEquals(400, e.httpStatus());
    e = assertThrows(ServingException.class, () -> rest.call(predict(request("broken", ""))));
    assertEquals(Status.Code.INTERNAL, e.code());
    assertEquals(500, e.httpStatus());
    assertEquals("upstream exploded", e.getMessage());
  }

  @Test
  void restAnswerThatDoesNotParseIsInternalWithoutHttpStatus() {
    ServingException e =
        assertThrows(ServingException.class, () -> rest.call(predict(request("garbled", ""))));
    assertEquals(Status.Code.INTERNAL, e.code());
    assertNull(e.httpStatus());
  }

  @Test
  void restRefusesWhatJsonCannotCarryBeforeSending() {
    ModelInferRequest r =
        ModelInferRequest.newBuilder()
            .setModelName("m")
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("s")
                    .setDatatype("BYTES")
                    .addShape(1)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addBytesContents(ByteString.copyFrom(new byte[] {(byte) 0xC3}))))
            .build();
    ServingException e = assertThrows(ServingException.class, () -> rest.call(predict(r)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertTrue(bodies.isEmpty(), bodies.keySet().toString());
  }

  @Test
  void unreachableServersAreUnavailable() {
    try (V2RestTransport r = new V2RestTransport("http://127.0.0.1:9", 2_000);
        V2GrpcTransport g = new V2GrpcTransport("127.0.0.1:9", 2_000)) {
      for (Transport t : List.of(r, g)) {
        ServingException e =
            assertThrows(ServingException.class, () -> t.call(predict(request("m", ""))));
        assertEquals(Status.Code.UNAVAILABLE, e.code(), t.name());
      }
    }
  }

  @Test
  void grpcKeepsTheResponseAsTheServerSentIt() throws Exception {
    ModelInferResponse r = (ModelInferResponse) grpc.call(predict(request("m", "")));
    assertEquals("m", r.getModelName());
    assertEquals(List.of(ByteString.copyFrom(new byte[] {1, 0})), r.getRawOutputContentsList());
    assertFalse(r.getOutputs(0).hasContents());
  }

  @Test
  void grpcStatusCodesPassThroughUnchanged() {
    for (Status s :
        List.of(
            Status.NOT_FOUND.withDescription("Request for unknown model: 'nope' is not found"),
            Status.INVALID_ARGUMENT.withDescription("unexpected inference input 'z'"),
            Status.FAILED_PRECONDITION,
            Status.UNAVAILABLE.withDescription("draining"))) {
      grpcStatus = s;
      ServingException e =
          assertThrows(ServingException.class, () -> grpc.call(predict(request("m", ""))));
      assertEquals(s.getCode(), e.code());
      assertEquals(s.getDescription() == null ? "" : s.getDescription(), e.getMessage());
      assertNull(e.httpStatus());
    }
  }

  @Test
  void grpcDeadlineIsDeadlineExceeded() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server slow =
        InProcessServerBuilder.forName(name)
            .addService(
                new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {
                  @Override
                  public void modelInfer(
                      ModelInferRequest r, StreamObserver<ModelInferResponse> out) {
                    // never answers
                  }
                })
            .build()
            .start();
    try (V2GrpcTransport t =
        new V2GrpcTransport(InProcessChannelBuilder.forName(name).build(), 200)) {
      ServingException e =
          assertThrows(ServingException.class, () -> t.call(predict(request("m", ""))));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code());
    } finally {
      slow.shutdownNow();
    }
  }

  @Test
  void apisTheProtocolLacksAreUnimplementedWithoutSending() throws Exception {
    for (Transport t : List.<Transport>of(rest, grpc)) {
      for (Api api : List.of(Api.CLASSIFY, Api.REGRESS, Api.MULTI_INFERENCE, Api.METADATA)) {
        CaseRequest c = new CaseRequest(api, api.parseRequest(new byte[0]), RestFormat.ROW);
        ServingException e = assertThrows(ServingException.class, () -> t.call(c));
        assertEquals(Status.Code.UNIMPLEMENTED, e.code(), t.name() + " " + api.id());
      }
    }
    assertTrue(bodies.isEmpty());
    // A v2 mode is given the case's v2 form; a TF Serving request is a bug in the caller.
    CaseRequest v1 =
        new CaseRequest(Api.PREDICT, PredictRequest.getDefaultInstance(), RestFormat.ROW);
    assertThrows(IllegalArgumentException.class, () -> grpc.call(v1));
    assertThrows(IllegalArgumentException.class, () -> rest.call(v1));
  }

  // ---- the runner and the manifest's v2 entries ----

  /**
   * Three cases: c1 with a v2 form for both v2 modes, c2 listing v2rest without a v2 form, c3 with
   * a v2 form its transports leave out of v2grpc.
   */
  private Path caseSet() throws Exception {
    byte[] v1 = PredictRequest.getDefaultInstance().toByteArray();
    byte[] v2 = request("m", "").toByteArray();
    byte[] v2Response = ModelInferResponse.newBuilder().setModelName("m").build().toByteArray();
    Files.write(dir.resolve("c.request.pb"), v1);
    Files.write(dir.resolve("c.v2.request.pb"), v2);
    Files.write(dir.resolve("c.v2.response.pb"), v2Response);
    String sha =
        """
        {"c.request.pb": "%s", "c.v2.request.pb": "%s", "c.v2.response.pb": "%s"}"""
            .formatted(
                Manifest.sha256Hex(v1), Manifest.sha256Hex(v2), Manifest.sha256Hex(v2Response));
    String v2Entry = "{\"request\": \"c.v2.request.pb\", \"response\": \"c.v2.response.pb\"}";
    Files.writeString(
        dir.resolve("manifest.json"),
        """
        {"format": 1, "model": {"name": "m", "config": "models.config"},
         "cases": [
          {"id": "c1", "api": "predict", "transports": ["grpc", "v2grpc", "v2rest"],
           "request": "c.request.pb", "error": "NOT_FOUND", "v2": %s, "sha256": %s},
          {"id": "c2", "api": "predict", "transports": ["grpc", "v2rest"],
           "request": "c.request.pb", "error": "NOT_FOUND", "sha256": %s},
          {"id": "c3", "api": "predict", "transports": ["grpc", "v2rest"],
           "request": "c.request.pb", "error": "NOT_FOUND",
           "v2": {"request": "c.v2.request.pb", "error": "NOT_FOUND",
                  "errors": {"v2rest": "INVALID_ARGUMENT"}}, "sha256": %s}]}
        """
            .formatted(v2Entry, sha, sha, sha));
    return dir;
  }

  @Test
  void manifestReadsV2EntriesAndAppliesV2ModesOnlyWithOne() throws Exception {
    Manifest m = Manifest.read(caseSet());
    Manifest.Case c1 = m.cases().get(0);
    Manifest.Case c2 = m.cases().get(1);
    Manifest.Case c3 = m.cases().get(2);
    assertEquals(new Manifest.V2("c.v2.request.pb", "c.v2.response.pb", null), c1.v2());
    assertEquals(new Manifest.V2("c.v2.request.pb", null, "NOT_FOUND"), c3.v2());
    assertNull(c2.v2());
    assertTrue(c1.appliesTo("v2grpc") && c1.appliesTo("v2rest"));
    assertFalse(c2.appliesTo("v2rest"), "no v2 form");
    assertTrue(c2.appliesTo("grpc"));
    assertFalse(c3.appliesTo("v2grpc"), "not in transports");
    assertEquals("c.v2.request.pb", c1.requestFor("v2rest"));
    assertEquals("c.request.pb", c1.requestFor("grpc"));
    assertArrayEquals(Files.readAllBytes(dir.resolve("c.v2.request.pb")), c1.verify("v2grpc"));
    assertArrayEquals(Files.readAllBytes(dir.resolve("c.request.pb")), c1.verify("grpc"));
  }

  @Test
  void aTamperedV2FileStopsTheRunInEveryMode() throws Exception {
    caseSet();
    Files.write(dir.resolve("c.v2.response.pb"), new byte[] {1});
    Manifest m = Manifest.read(dir);
    for (String mode : List.of("grpc", "v2grpc")) {
      ToolException e = assertThrows(ToolException.class, () -> m.cases().get(0).verify(mode));
      assertTrue(e.getMessage().contains("c.v2.response.pb"), e.getMessage());
    }
  }

  @Test
  void aV2EntryWithoutItsRequestMakesTheSetUnreadable() throws Exception {
    caseSet();
    Path manifest = dir.resolve("manifest.json");
    Files.writeString(
        manifest,
        Files.readString(manifest)
            .replace("\"request\": \"c.v2.request.pb\", \"response\"", "\"response\""));
    ToolException e = assertThrows(ToolException.class, () -> Manifest.read(dir));
    assertTrue(e.getMessage().contains("case c1: v2 lacks its request file"), e.getMessage());
  }

  @Test
  void runnerSendsV2FormsAndSkipsTheRest() throws Exception {
    Manifest m = Manifest.read(caseSet());
    Path out = dir.resolve("out");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Runner runner = new Runner(new PrintWriter(log, true, StandardCharsets.UTF_8));
    Map<String, byte[]> requests =
        Map.of(
            "c1", m.cases().get(0).verify("v2grpc"),
            "c2", m.cases().get(1).verify("v2grpc"),
            "c3", m.cases().get(2).verify("v2grpc"));
    Path results = runner.runSet(grpc, m, requests, out);
    assertEquals(out.resolve("java/v2grpc/m"), results);
    ModelInferResponse got =
        ModelInferResponse.parseFrom(Files.readAllBytes(results.resolve("c1.response.pb")));
    assertEquals("x", got.getOutputs(0).getName());
    for (String skipped : List.of("c2", "c3")) {
      JsonNode reason =
          new ObjectMapper().readTree(results.resolve(skipped + ".skipped.json").toFile());
      assertEquals("case does not apply to v2grpc", reason.get("reason").asText());
    }
    JsonNode run = new ObjectMapper().readTree(results.resolve("run.json").toFile());
    assertEquals("v2grpc", run.get("mode").asText());
    assertEquals("ok", run.get("cases").get("c1").get("status").asText());
    assertEquals("skipped", run.get("cases").get("c2").get("status").asText());
    assertTrue(run.get("runtime").has("grpc"), run.toString());
  }

  @Test
  void runOverV2RestRecordsHttpStatusOfErrors() throws Exception {
    caseSet();
    ModelInferRequest unknown = request("nope", "");
    Files.write(dir.resolve("c.v2.request.pb"), unknown.toByteArray());
    Path manifest = dir.resolve("manifest.json");
    Files.writeString(
        manifest,
        Files.readString(manifest)
            .replace(
                Manifest.sha256Hex(request("m", "").toByteArray()),
                Manifest.sha256Hex(unknown.toByteArray())));
    Path out = dir.resolve("out");
    CliTest.Outcome o =
        CliTest.execute(
            "run",
            "--mode",
            "v2rest",
            "--rest",
            "http://127.0.0.1:" + http.getAddress().getPort(),
            "--cases",
            dir.toString(),
            "--out",
            out.toString());
    assertEquals(0, o.status(), o.err());
    Path results = out.resolve("java/v2rest/m");
    assertEquals(results.toString(), o.out().strip());
    JsonNode error = new ObjectMapper().readTree(results.resolve("c1.error.json").toFile());
    assertEquals("NOT_FOUND", error.get("code").asText());
    assertEquals(404, error.get("http_status").asInt());
    assertTrue(Files.exists(results.resolve("c2.skipped.json")));
    assertTrue(Files.exists(results.resolve("c3.error.json")), "c3 applies to v2rest");
  }
}
