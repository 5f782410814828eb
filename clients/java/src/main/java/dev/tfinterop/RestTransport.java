package dev.tfinterop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorInfo;
import org.tensorflow.framework.TensorProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * TF Serving's REST API over java.net.http: predict in the case's columnar or row form, classify
 * and regress with tf.Examples as JSON, metadata by GET, outputs turned back into a PredictResponse
 * using the signature from the model's metadata (cached per model path). HTTP errors map back to
 * canonical codes and keep their HTTP status.
 */
public final class RestTransport implements Transport {
  private static final ObjectMapper MAPPER = new ObjectMapper(RestJson.FACTORY);

  /** What {@link #call} sends; multi_inference answers UNIMPLEMENTED (no REST endpoint). */
  static final List<Api> APIS = List.of(Api.PREDICT, Api.CLASSIFY, Api.REGRESS, Api.METADATA);

  private final RestHttp http;
  private final Map<String, SignatureDefMap> metadataCache = new ConcurrentHashMap<>();

  public RestTransport(String baseUrl, long deadlineMs) {
    this.http = new RestHttp(baseUrl, deadlineMs);
  }

  @Override
  public String name() {
    return "rest";
  }

  @Override
  public Message call(CaseRequest request) throws ServingException {
    try {
      return dispatch(request);
    } catch (IOException e) {
      throw new ServingException(
          Status.Code.INTERNAL,
          "cannot read the " + request.api().id() + " response: " + e.getMessage());
    }
  }

  private Message dispatch(CaseRequest request) throws ServingException, IOException {
    return switch (request.api()) {
      case PREDICT -> predict((PredictRequest) request.message(), request.restFormat());
      case METADATA -> metadata((GetModelMetadataRequest) request.message());
      case CLASSIFY -> {
        ClassificationRequest r = (ClassificationRequest) request.message();
        yield RestExamples.classification(examples(r.getModelSpec(), ":classify", r.getInput()));
      }
      case REGRESS -> {
        RegressionRequest r = (RegressionRequest) request.message();
        yield RestExamples.regression(examples(r.getModelSpec(), ":regress", r.getInput()));
      }
      case MULTI_INFERENCE ->
          throw ServingException.unimplemented("TF Serving's REST API has no multi_inference");
    };
  }

  /** POSTs a Classify or Regress body; the parsed JSON answer. */
  private Object examples(ModelSpec spec, String verb, Input input) throws ServingException {
    String body;
    try {
      body = RestExamples.body(spec.getSignatureName(), input);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      throw ServingException.invalidArgument("request cannot be sent as JSON: " + e.getMessage());
    }
    byte[] json = http.send(http.postJson(modelPath(spec) + verb, body));
    try {
      return RestJson.parse(json);
    } catch (IOException e) {
      throw new ServingException(Status.Code.INTERNAL, "response is not JSON: " + e.getMessage());
    }
  }

  /** {rest}/v1/models/{name}[/versions/{v}|/labels/{label}] */
  static String modelPath(ModelSpec spec) {
    StringBuilder p = new StringBuilder("/v1/models/").append(RestHttp.encode(spec.getName()));
    switch (spec.getVersionChoiceCase()) {
      case VERSION -> p.append("/versions/").append(spec.getVersion().getValue());
      case VERSION_LABEL -> p.append("/labels/").append(RestHttp.encode(spec.getVersionLabel()));
      case VERSIONCHOICE_NOT_SET -> {}
    }
    return p.toString();
  }

  PredictResponse predict(PredictRequest request, RestFormat format) throws ServingException {
    String body = predictBody(request, format);
    String path = modelPath(request.getModelSpec());
    byte[] json = http.send(http.postJson(path + ":predict", body));
    String key = request.getModelSpec().getSignatureName();
    SignatureDefMap sigs = signatures(path);
    SignatureDef sig = Signatures.select(sigs.getSignatureDefMap(), key).def();
    return readPredictResponse(json, sig);
  }

  /**
   * A predict response body typed by the signature's output dtypes; INTERNAL for a body TF Serving
   * never writes (not JSON, ragged, a value of the wrong kind or range, bad base64), as gRPC
   * reports a response it cannot parse.
   */
  static PredictResponse readPredictResponse(byte[] body, SignatureDef sig)
      throws ServingException {
    try {
      return predictResponse(RestJson.parse(body), sig);
    } catch (IOException e) {
      throw new ServingException(
          Status.Code.INTERNAL, "cannot read the predict response: " + e.getMessage());
    }
  }

  /**
   * The request body: INVALID_ARGUMENT for an input that is not a valid tensor or (row format) has
   * no shared batch dimension, UNIMPLEMENTED for a complex input (TF Serving's JSON codec has no
   * form for it: AddValueToTensor answers Unimplemented).
   */
  static String predictBody(PredictRequest request, RestFormat format) throws ServingException {
    Map<String, HostTensor> inputs = new LinkedHashMap<>();
    for (Map.Entry<String, TensorProto> e : new TreeMap<>(request.getInputsMap()).entrySet()) {
      HostTensor t;
      try {
        t = TensorProtoCodec.decode(e.getValue());
      } catch (ServingException ex) {
        throw ServingException.invalidArgument(
            "input " + e.getKey() + " cannot be sent as JSON: " + ex.getMessage());
      }
      if (t.dtype() == DType.COMPLEX64 || t.dtype() == DType.COMPLEX128) {
        throw ServingException.unimplemented(
            "input " + e.getKey() + " is " + t.dtype().tfName() + ": JSON has no complex numbers");
      }
      inputs.put(e.getKey(), t);
    }
    try {
      return format == RestFormat.ROW ? rowBody(request, inputs) : columnarBody(request, inputs);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      throw ServingException.invalidArgument("request cannot be sent as JSON: " + e.getMessage());
    }
  }

  /** {"instances": [...]}: one input, a list of its examples; several, a list of objects. */
  private static String rowBody(PredictRequest request, Map<String, HostTensor> inputs)
      throws ServingException {
    String signature = request.getModelSpec().getSignatureName();
    long batch = -1;
    for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
      HostTensor t = e.getValue();
      if (t.rank() == 0) {
        throw ServingException.invalidArgument(
            "input " + e.getKey() + " is a scalar; the row format needs a batch dimension");
      }
      if (batch >= 0 && t.dim(0) != batch) {
        throw ServingException.invalidArgument(
            "row format needs every input to share its first dimension; "
                + e.getKey()
                + " has shape "
                + Arrays.toString(t.shape()));
      }
      batch = t.dim(0);
    }
    long n = Math.max(batch, 0);
    return RestJson.write(
        g -> {
          g.writeStartObject();
          if (!signature.isEmpty()) {
            g.writeStringField("signature_name", signature);
          }
          g.writeArrayFieldStart("instances");
          for (long i = 0; i < n; i++) {
            if (inputs.size() == 1) {
              RestJson.writeExample(g, inputs.values().iterator().next(), i);
            } else {
              g.writeStartObject();
              for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
                g.writeFieldName(e.getKey());
                RestJson.writeExample(g, e.getValue(), i);
              }
              g.writeEndObject();
            }
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  /** {"inputs": {alias: nested list}} */
  private static String columnarBody(PredictRequest request, Map<String, HostTensor> inputs) {
    String signature = request.getModelSpec().getSignatureName();
    return RestJson.write(
        g -> {
          g.writeStartObject();
          if (!signature.isEmpty()) {
            g.writeStringField("signature_name", signature);
          }
          g.writeObjectFieldStart("inputs");
          for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
            g.writeFieldName(e.getKey());
            RestJson.writeTensor(g, e.getValue());
          }
          g.writeEndObject();
          g.writeEndObject();
        });
  }

  /** "outputs" (columnar) or "predictions" (row), typed by the signature's output dtypes. */
  private static PredictResponse predictResponse(Object json, SignatureDef sig) throws IOException {
    if (!(json instanceof Map<?, ?> body)) {
      throw new IOException("response is not a JSON object");
    }
    List<String> names = new ArrayList<>(new TreeSet<>(sig.getOutputsMap().keySet()));
    boolean single = names.size() == 1;
    PredictResponse.Builder out = PredictResponse.newBuilder();
    if (body.containsKey("outputs")) {
      Object outputs = body.get("outputs");
      if (!single && !(outputs instanceof Map<?, ?>)) {
        throw new IOException("\"outputs\" of " + names.size() + " outputs is not an object");
      }
      for (String name : names) {
        Object value;
        if (single) {
          value = outputs;
        } else if (outputs instanceof Map<?, ?> m && m.containsKey(name)) {
          value = m.get(name);
        } else {
          continue; // not returned (TF Serving returns every output; tests/ will name it)
        }
        out.putOutputs(name, tensor(value, sig.getOutputsMap().get(name), name));
      }
    } else if (body.get("predictions") instanceof List<?> predictions) {
      for (String name : names) {
        List<Object> examples = new ArrayList<>(predictions.size());
        for (Object p : predictions) {
          if (single) {
            examples.add(p);
          } else if (p instanceof Map<?, ?> m && m.containsKey(name)) {
            examples.add(m.get(name));
          } else {
            throw new IOException("prediction lacks output " + name);
          }
        }
        out.putOutputs(name, tensor(examples, sig.getOutputsMap().get(name), name));
      }
    } else {
      throw new IOException("response has neither \"outputs\" nor \"predictions\"");
    }
    return out.build();
  }

  private static TensorProto tensor(Object value, TensorInfo info, String name) throws IOException {
    DType dtype;
    try {
      dtype = DType.of(info.getDtype());
    } catch (ServingException e) {
      throw new IOException("output " + name + ": " + e.getMessage());
    }
    return TensorProtoCodec.encode(RestJson.toTensor(value, dtype, "output " + name));
  }

  GetModelMetadataResponse metadata(GetModelMetadataRequest request) throws ServingException {
    if (!request.getMetadataFieldList().equals(List.of(InprocTransport.SIGNATURE_DEF_FIELD))) {
      // The REST endpoint takes no field list: it always answers signature_def.
      throw ServingException.invalidArgument("REST metadata serves signature_def only");
    }
    byte[] json =
        http.send(
            HttpRequest.newBuilder(http.uri(modelPath(request.getModelSpec()) + "/metadata"))
                .GET());
    return metadataResponse(new String(json, StandardCharsets.UTF_8));
  }

  /** {"model_spec": ..., "metadata": {"signature_def": SignatureDefMap JSON}} */
  static GetModelMetadataResponse metadataResponse(String json) throws ServingException {
    try {
      JsonNode root = MAPPER.readTree(json);
      GetModelMetadataResponse.Builder out = GetModelMetadataResponse.newBuilder();
      JsonNode spec = root.path("model_spec");
      if (!spec.isMissingNode()) {
        JsonFormat.parser()
            .ignoringUnknownFields()
            .merge(spec.toString(), out.getModelSpecBuilder());
      }
      SignatureDefMap.Builder map = SignatureDefMap.newBuilder();
      JsonFormat.parser()
          .ignoringUnknownFields()
          .merge(root.path("metadata").path("signature_def").toString(), map);
      SignatureDefMap m = map.build();
      out.putMetadata(
          InprocTransport.SIGNATURE_DEF_FIELD,
          Any.newBuilder()
              .setTypeUrl("type.googleapis.com/" + SignatureDefMap.getDescriptor().getFullName())
              .setValue(Protos.deterministic(m))
              .build());
      return out.build();
    } catch (IOException e) {
      throw new ServingException(
          Status.Code.INTERNAL, "cannot read the metadata response: " + e.getMessage());
    }
  }

  private SignatureDefMap signatures(String path) throws ServingException {
    SignatureDefMap cached = metadataCache.get(path);
    if (cached != null) {
      return cached;
    }
    byte[] json = http.send(HttpRequest.newBuilder(http.uri(path + "/metadata")).GET());
    try {
      SignatureDefMap m =
          metadataResponse(new String(json, StandardCharsets.UTF_8))
              .getMetadataOrThrow(InprocTransport.SIGNATURE_DEF_FIELD)
              .unpack(SignatureDefMap.class);
      metadataCache.put(path, m);
      return m;
    } catch (InvalidProtocolBufferException e) {
      throw new ServingException(
          Status.Code.INTERNAL, "metadata of " + path + ": " + e.getMessage());
    }
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
  public void close() {
    metadataCache.clear();
  }
}
