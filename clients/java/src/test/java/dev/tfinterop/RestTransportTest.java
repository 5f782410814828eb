package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Status;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tensorflow.example.BytesList;
import org.tensorflow.example.Example;
import org.tensorflow.example.Feature;
import org.tensorflow.example.Features;
import org.tensorflow.example.FloatList;
import org.tensorflow.example.Int64List;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.TensorProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.InputOuterClass.ExampleList;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;

/** The REST transport against a scripted loopback HTTP server. */
class RestTransportTest {
  static final String METADATA =
      """
      {"model_spec": {"name": "m", "signature_name": "", "version": "3"},
       "metadata": {"signature_def": {"signature_def": {"serving_default": {
         "inputs": {"x": {"dtype": "DT_FLOAT", "tensor_shape": {"dim": [{"size": "-1"}]},
                          "name": "x:0"}},
         "outputs": {"y": {"dtype": "DT_INT64", "tensor_shape": {"dim": [{"size": "-1"}]},
                           "name": "y:0"}},
         "method_name": "tensorflow/serving/predict"}}}}}
      """;

  /** Model "s": one string output, answered with bytes that are not UTF-8. */
  static final String STRING_METADATA = METADATA.replace("DT_INT64", "DT_STRING");

  static final byte[] STRING_PREDICTION = {
    '{', '"', 'o', 'u', 't', 'p', 'u', 't', 's', '"', ':', '[', '"', (byte) 0xFF, 'a', '"', ']', '}'
  };

  HttpServer server;
  RestTransport rest;
  final Map<String, String> requests = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getRawPath();
          requests.put(
              path, new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          int status;
          String body;
          if (path.equals("/v1/models/s/versions/3/metadata")) {
            status = 200;
            body = STRING_METADATA;
          } else if (path.equals("/v1/models/s/versions/3:predict")) {
            status = 200;
            body = null;
          } else if (path.equals("/v1/models/m/versions/3/metadata")) {
            status = 200;
            body = METADATA;
          } else if (path.equals("/v1/models/m/versions/3:predict")) {
            status = 200;
            body = "{\"outputs\": [9007199254740993, -1]}";
          } else if (path.equals("/v1/models/m:classify")) {
            status = 200;
            body = "{\"results\": [[[\"a\", 0.25], [\"b\", 0.75]], [[\"a\", 1]]]}";
          } else if (path.equals("/v1/models/m:regress")) {
            status = 200;
            body = "{\"results\": [1.5, -2]}";
          } else {
            status = 404;
            body = "{ \"error\": \"Servable not found for request: Latest(nope)\" }";
          }
          byte[] bytes = body == null ? STRING_PREDICTION : body.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(status, bytes.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
    rest = new RestTransport("http://127.0.0.1:" + server.getAddress().getPort(), 5_000);
  }

  @AfterEach
  void stop() {
    rest.close();
    server.stop(0);
  }

  static PredictRequest request(String model) {
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(model).setVersion(Int64Value.of(3)))
        .putInputs(
            "x",
            TensorProto.newBuilder()
                .setDtype(DataType.DT_FLOAT)
                .setTensorShape(TensorProtoCodec.shapeProto(new long[] {2}))
                .addFloatVal(0.1f)
                .addFloatVal(Float.NaN)
                .build())
        .build();
  }

  @Test
  void predictUsesMetadataDtypesAndKeepsInt64Exact() throws Exception {
    PredictResponse r =
        (PredictResponse)
            rest.call(new CaseRequest(Api.PREDICT, request("m"), RestFormat.COLUMNAR));
    assertEquals(List.of(9007199254740993L, -1L), r.getOutputsOrThrow("y").getInt64ValList());
    assertEquals(DataType.DT_INT64, r.getOutputsOrThrow("y").getDtype());
    assertEquals(ModelSpec.getDefaultInstance(), r.getModelSpec());
    assertEquals(
        RestTransport.predictBody(request("m"), RestFormat.COLUMNAR),
        requests.get("/v1/models/m/versions/3:predict"));
  }

  @Test
  void rowFormatSendsInstances() throws Exception {
    rest.call(new CaseRequest(Api.PREDICT, request("m"), RestFormat.ROW));
    assertEquals(
        RestTransport.predictBody(request("m"), RestFormat.ROW),
        requests.get("/v1/models/m/versions/3:predict"));
    assertTrue(requests.get("/v1/models/m/versions/3:predict").startsWith("{\"instances\":"));
  }

  @Test
  void stringOutputKeepsBytesThatAreNotUtf8() throws Exception {
    // The body reaches the codec undecoded: TF Serving writes a string tensor's raw bytes.
    PredictResponse r =
        (PredictResponse)
            rest.call(new CaseRequest(Api.PREDICT, request("s"), RestFormat.COLUMNAR));
    assertEquals(
        List.of(ByteString.copyFrom(new byte[] {(byte) 0xFF, 'a'})),
        r.getOutputsOrThrow("y").getStringValList());
  }

  @Test
  void httpErrorsMapToCodesAndKeepTheirStatus() {
    ServingException e =
        assertThrows(
            ServingException.class,
            () -> rest.call(new CaseRequest(Api.PREDICT, request("nope"), RestFormat.COLUMNAR)));
    assertEquals(Status.Code.NOT_FOUND, e.code());
    assertEquals(404, e.httpStatus());
    assertEquals("Servable not found for request: Latest(nope)", e.getMessage());
  }

  @Test
  void metadataIsReadBackIntoAGetModelMetadataResponse() throws Exception {
    GetModelMetadataResponse r =
        (GetModelMetadataResponse)
            rest.call(
                new CaseRequest(
                    Api.METADATA,
                    GetModelMetadataRequest.newBuilder()
                        .setModelSpec(
                            ModelSpec.newBuilder().setName("m").setVersion(Int64Value.of(3)))
                        .addMetadataField("signature_def")
                        .build(),
                    RestFormat.COLUMNAR));
    assertEquals(3, r.getModelSpec().getVersion().getValue());
    SignatureDefMap map = r.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class);
    assertEquals(
        DataType.DT_INT64,
        map.getSignatureDefOrThrow("serving_default").getOutputsOrThrow("y").getDtype());
  }

  @Test
  void unreachableServerIsUnavailable() {
    RestTransport dead = new RestTransport("http://127.0.0.1:9", 2_000);
    ServingException e =
        assertThrows(
            ServingException.class,
            () -> dead.call(new CaseRequest(Api.PREDICT, request("m"), RestFormat.COLUMNAR)));
    assertTrue(e.code() == Status.Code.UNAVAILABLE, e.toString());
    assertEquals(null, e.httpStatus());
  }

  static Input examples() {
    Example e =
        Example.newBuilder()
            .setFeatures(
                Features.newBuilder()
                    .putFeature(
                        "x",
                        Feature.newBuilder()
                            .setFloatList(FloatList.newBuilder().addValue(1f))
                            .build())
                    .putFeature(
                        "id",
                        Feature.newBuilder()
                            .setInt64List(Int64List.newBuilder().addValue(9007199254740993L))
                            .build())
                    .putFeature(
                        "s",
                        Feature.newBuilder()
                            .setBytesList(
                                BytesList.newBuilder()
                                    .addValue(ByteString.copyFromUtf8("t"))
                                    .addValue(ByteString.copyFrom(new byte[] {-1})))
                            .build()))
            .build();
    return Input.newBuilder().setExampleList(ExampleList.newBuilder().addExamples(e)).build();
  }

  @Test
  void classifySendsExamplesAndReadsLabelScorePairs() throws Exception {
    ClassificationResponse r =
        (ClassificationResponse)
            rest.call(
                new CaseRequest(
                    Api.CLASSIFY,
                    ClassificationRequest.newBuilder()
                        .setModelSpec(ModelSpec.newBuilder().setName("m"))
                        .setInput(examples())
                        .build(),
                    RestFormat.COLUMNAR));
    assertEquals(RestExamples.body("", examples()), requests.get("/v1/models/m:classify"));
    assertEquals(2, r.getResult().getClassificationsCount());
    assertEquals("b", r.getResult().getClassifications(0).getClasses(1).getLabel());
    assertEquals(0.75f, r.getResult().getClassifications(0).getClasses(1).getScore());
  }

  @Test
  void regressReadsOneValuePerExample() throws Exception {
    RegressionResponse r =
        (RegressionResponse)
            rest.call(
                new CaseRequest(
                    Api.REGRESS,
                    RegressionRequest.newBuilder()
                        .setModelSpec(ModelSpec.newBuilder().setName("m").setSignatureName("reg"))
                        .setInput(examples())
                        .build(),
                    RestFormat.COLUMNAR));
    assertEquals(
        List.of(1.5f, -2f),
        r.getResult().getRegressionsList().stream().map(x -> x.getValue()).toList());
    assertTrue(requests.get("/v1/models/m:regress").startsWith("{\"signature_name\":\"reg\","));
  }

  @Test
  void urlsCarryVersionOrLabel() {
    assertEquals(
        "/v1/models/m", RestTransport.modelPath(ModelSpec.newBuilder().setName("m").build()));
    assertEquals(
        "/v1/models/m/labels/canary",
        RestTransport.modelPath(
            ModelSpec.newBuilder().setName("m").setVersionLabel("canary").build()));
    assertEquals(
        "/v1/models/a%20b/versions/2",
        RestTransport.modelPath(
            ModelSpec.newBuilder().setName("a b").setVersion(Int64Value.of(2)).build()));
  }
}
