package dev.tfinterop;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.tensorflow.TensorFlow;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;

/**
 * In-process: SavedModels loaded with TF Java, resolved through the model config exactly as the
 * server resolves them. Each version is loaded once, on first use; a version that fails to load
 * answers every request with that failure, and so does an op library the case set needs that did
 * not load ({@link OpLibraries}).
 */
public final class InprocTransport implements Transport {
  static final String SIGNATURE_DEF_FIELD = "signature_def";

  /** What {@link #call} sends; the server APIs answer UNIMPLEMENTED. */
  static final List<Api> APIS = List.of(Api.PREDICT, Api.METADATA);

  private final ModelConfigFile config;
  private final Optional<ServingException> opLibraryFailure;
  private final Map<ModelConfigFile.Resolved, Loaded> loaded = new ConcurrentHashMap<>();

  /** A load outcome: the servable, or the error it gave. */
  private record Loaded(SavedModelServable servable, ServingException error) {}

  public InprocTransport(ModelConfigFile config) {
    this(config, Optional.empty());
  }

  /** {@code opLibraryFailure}: the first op library of the case set that failed to load. */
  public InprocTransport(ModelConfigFile config, Optional<ServingException> opLibraryFailure) {
    this.config = config;
    this.opLibraryFailure = opLibraryFailure;
  }

  @Override
  public String name() {
    return "inproc";
  }

  @Override
  public Message call(CaseRequest request) throws ServingException {
    if (opLibraryFailure.isPresent()) {
      throw opLibraryFailure.get();
    }
    Api api = request.api();
    return switch (api) {
      case PREDICT -> predict((PredictRequest) request.message());
      case METADATA -> metadata((GetModelMetadataRequest) request.message());
      case CLASSIFY, REGRESS, MULTI_INFERENCE ->
          throw ServingException.unimplemented(
              api.id() + " is a server API; not available in-process");
    };
  }

  /** predict_util.cc RunPredict: resolve, select, validate, run, encode as typed fields. */
  PredictResponse predict(PredictRequest request) throws ServingException {
    SavedModelServable servable = servable(request.getModelSpec());
    Signatures.Selected sig =
        Signatures.select(servable.signatures(), request.getModelSpec().getSignatureName());
    Map<String, HostTensor> inputs = Signatures.inputs(sig.def(), request.getInputsMap());
    List<String> aliases = Signatures.outputs(sig.def(), request.getOutputFilterList());
    PredictResponse.Builder response =
        PredictResponse.newBuilder().setModelSpec(servable.spec(sig.key()));
    servable.run(sig.def(), sig.key(), inputs, aliases, response::putOutputs);
    return response.build();
  }

  /**
   * The bench's bare reference for a predict request: resolved, validated and converted once, as
   * {@link #predict} does per call; the caller closes it.
   */
  BareSessionRun prepare(PredictRequest request) throws ServingException {
    if (opLibraryFailure.isPresent()) {
      throw opLibraryFailure.get();
    }
    SavedModelServable servable = servable(request.getModelSpec());
    Signatures.Selected sig =
        Signatures.select(servable.signatures(), request.getModelSpec().getSignatureName());
    return servable.prepare(
        sig.def(),
        sig.key(),
        Signatures.inputs(sig.def(), request.getInputsMap()),
        Signatures.outputs(sig.def(), request.getOutputFilterList()));
  }

  /** get_model_metadata_impl.cc: only the "signature_def" field exists. */
  GetModelMetadataResponse metadata(GetModelMetadataRequest request) throws ServingException {
    if (request.getMetadataFieldCount() == 0) {
      throw ServingException.invalidArgument(
          "GetModelMetadataRequest must specify at least one metadata_field");
    }
    for (String field : request.getMetadataFieldList()) {
      if (!field.equals(SIGNATURE_DEF_FIELD)) {
        throw ServingException.invalidArgument("Metadata field " + field + " is not supported");
      }
    }
    SavedModelServable servable = servable(request.getModelSpec());
    SignatureDefMap map =
        SignatureDefMap.newBuilder().putAllSignatureDef(servable.signatures()).build();
    // Packed by hand so the bytes are deterministic (map order), like the golden file.
    Any packed =
        Any.newBuilder()
            .setTypeUrl("type.googleapis.com/" + SignatureDefMap.getDescriptor().getFullName())
            .setValue(Protos.deterministic(map))
            .build();
    return GetModelMetadataResponse.newBuilder()
        .setModelSpec(spec(servable))
        .putMetadata(SIGNATURE_DEF_FIELD, packed)
        .build();
  }

  private static ModelSpec.Builder spec(SavedModelServable servable) {
    return ModelSpec.newBuilder()
        .setName(servable.name())
        .setVersion(Int64Value.of(servable.version()));
  }

  private SavedModelServable servable(ModelSpec spec) throws ServingException {
    ModelConfigFile.Resolved resolved = config.resolve(spec);
    Loaded got =
        loaded.computeIfAbsent(
            resolved,
            r -> {
              try {
                return new Loaded(SavedModelServable.load(r.name(), r.version(), r.path()), null);
              } catch (ServingException e) {
                return new Loaded(null, e);
              }
            });
    if (got.error() != null) {
      throw got.error();
    }
    return got.servable();
  }

  @Override
  public Map<String, String> runtime() {
    String javaVersion = Versions.get("tensorflow-java");
    // The judge demands bit-exact outputs only when this equals the producer's build.
    return Map.of(
        "tensorflow", TensorFlow.version(),
        "tensorflow_build", "tf-java:" + javaVersion + ":tensorflow==" + TensorFlow.version(),
        "library", "TF Java " + javaVersion + " (tensorflow-core-api, SavedModelBundle)");
  }

  @Override
  public void close() {
    for (Loaded l : loaded.values()) {
      if (l.servable() != null) {
        l.servable().close();
      }
    }
    loaded.clear();
  }
}
