package dev.tfinterop;

import com.google.protobuf.Int64Value;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TFPermissionDeniedException;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import org.tensorflow.exceptions.TFUnauthenticatedException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.framework.MetaGraphDef;
import org.tensorflow.framework.SavedModel;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;
import org.tensorflow.ndarray.Shape;
import tensorflow.serving.Model.ModelSpec;

/**
 * One model version loaded with TF Java's SavedModelBundle (tag "serve"), run like TF Serving runs
 * a signature: feed the inputs' tensor names, fetch the outputs' tensor names.
 *
 * <p>The MetaGraphDef used for signatures and metadata is read from saved_model.pb with this
 * client's own generated classes (the 2.21 schema of build/protos/serving.pb), not TF Java's
 * org.tensorflow.proto copies: the same bytes TF Serving reads, independent of TF Java's protobuf.
 */
public final class SavedModelServable implements AutoCloseable {
  public static final String SERVE_TAG = "serve";

  private final String name;
  private final long version;
  private final MetaGraphDef metaGraph;
  private final SavedModelBundle bundle;
  private final Map<String, Output<?>> graphOutputs = new ConcurrentHashMap<>();

  /** A fetched output's last shape, and its proto. */
  private record KnownShape(Shape shape, TensorShapeProto proto) {}

  /** By fetched tensor name; threads may race to replace one, and either answer is right. */
  private final Map<String, KnownShape> outputShapes = new ConcurrentHashMap<>();

  private final Map<String, ModelSpec> specs = new ConcurrentHashMap<>();

  /** The fed tensors refilled per thread, or null when this graph might keep one (ReusedInputs). */
  private final ReusedInputs reused;

  private SavedModelServable(String name, long version, MetaGraphDef mg, SavedModelBundle b) {
    this.name = name;
    this.version = version;
    this.metaGraph = mg;
    this.bundle = b;
    this.reused = ReusedInputs.safeFor(mg) ? new ReusedInputs() : null;
  }

  /** Loads {@code dir}; a ServingException with TF's code when TensorFlow refuses it. */
  public static SavedModelServable load(String name, long version, Path dir)
      throws ServingException {
    // TensorFlow's loader first: a version folder without a SavedModel fails
    // with its error and code, as in TF Serving.
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(dir.toString()).withTags(SERVE_TAG).load();
    } catch (TensorFlowException | IllegalArgumentException | UnsupportedOperationException e) {
      throw fromTensorFlow(e, "loading " + dir);
    }
    try {
      return new SavedModelServable(name, version, readMetaGraph(dir), bundle);
    } catch (ServingException | RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /** The MetaGraphDef tagged "serve" in dir/saved_model.pb. */
  static MetaGraphDef readMetaGraph(Path dir) throws ServingException {
    Path pb = dir.resolve("saved_model.pb");
    SavedModel sm;
    try (InputStream in = Files.newInputStream(pb)) {
      sm = SavedModel.parseFrom(in);
    } catch (IOException e) {
      throw new ServingException(
          Status.Code.FAILED_PRECONDITION, "cannot read " + pb + ": " + e.getMessage());
    }
    for (MetaGraphDef mg : sm.getMetaGraphsList()) {
      if (mg.getMetaInfoDef().getTagsList().contains(SERVE_TAG)) {
        return mg;
      }
    }
    throw ServingException.failedPrecondition(
        "SavedModel " + dir + " has no MetaGraph tagged '" + SERVE_TAG + "'");
  }

  public String name() {
    return name;
  }

  public long version() {
    return version;
  }

  /** Whether runs refill this thread's fed tensors in place ({@link ReusedInputs}). */
  boolean refillsInputs() {
    return reused != null;
  }

  public Map<String, SignatureDef> signatures() {
    return metaGraph.getSignatureDefMap();
  }

  /**
   * The graph output a signature names ("op:index"), looked up once: a name lookup crosses into
   * TensorFlow and parses the name on every call otherwise.
   */
  Output<?> output(String tensorName) {
    // get first: computeIfAbsent would build a bound method reference on every call.
    Output<?> known = graphOutputs.get(tensorName);
    return known != null
        ? known
        : graphOutputs.computeIfAbsent(tensorName, bundle.graph()::outputOrThrow);
  }

  /**
   * Runs a signature on validated inputs and encodes the outputs as TF Serving answers (typed
   * fields), keyed by alias in {@code outputs} order.
   */
  public Map<String, TensorProto> run(
      SignatureDef sig, String key, Map<String, HostTensor> inputs, List<String> outputs)
      throws ServingException {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    run(sig, key, inputs, outputs, out::put);
    return out;
  }

  /**
   * As above, each encoded output handed to {@code sink} (alias, tensor) in {@code outputs} order:
   * a Predict answer puts them straight into its response.
   */
  void run(
      SignatureDef sig,
      String key,
      Map<String, HostTensor> inputs,
      List<String> outputs,
      BiConsumer<String, TensorProto> sink)
      throws ServingException {
    // The tensors made for this run alone, closed after it; kept ones stay with `reused`.
    Tensor[] fed = new Tensor[inputs.size()];
    int n = 0;
    try {
      Session.Runner runner = bundle.session().runner();
      for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
        String feedName = sig.getInputsOrThrow(e.getKey()).getName();
        Tensor t = reused != null ? reused.fill(feedName, e.getValue(), e.getKey()) : null;
        if (t == null) {
          t = TfTensors.toTensor(e.getValue(), "input " + e.getKey());
          fed[n++] = t;
        }
        runner.feed(output(feedName), t);
      }
      String[] fetched = new String[outputs.size()];
      for (int i = 0; i < fetched.length; i++) {
        fetched[i] = sig.getOutputsOrThrow(outputs.get(i)).getName();
        runner.fetch(output(fetched[i]));
      }
      try (Result result = runner.run()) {
        for (int i = 0; i < fetched.length; i++) {
          String alias = outputs.get(i);
          Tensor t = result.get(i);
          sink.accept(alias, TfTensors.toProto(t, shapeProto(fetched[i], t), "output " + alias));
        }
      }
    } catch (TensorFlowException | IllegalArgumentException | UnsupportedOperationException e) {
      throw fromTensorFlow(e, "running signature " + key);
    } finally {
      for (int i = 0; i < n; i++) {
        fed[i].close();
      }
    }
  }

  /**
   * The shape of {@code t}, fetched as {@code tensorName}, as the proto its answer carries: the one
   * built for the last run when the shape is the same (an output's shape rarely changes between
   * runs), else a new one kept in its place.
   */
  private TensorShapeProto shapeProto(String tensorName, Tensor t) {
    Shape shape = t.shape();
    KnownShape known = outputShapes.get(tensorName);
    if (known != null && known.shape().equals(shape)) {
      return known.proto();
    }
    TensorShapeProto proto = TensorProtoCodec.shapeProto(shape.asArray());
    outputShapes.put(tensorName, new KnownShape(shape, proto));
    return proto;
  }

  /**
   * The ModelSpec an answer from this version carries for {@code signatureKey}, built once per
   * signature (messages are immutable).
   */
  ModelSpec spec(String signatureKey) {
    ModelSpec known = specs.get(signatureKey);
    if (known != null) {
      return known;
    }
    ModelSpec spec =
        ModelSpec.newBuilder()
            .setName(name)
            .setVersion(Int64Value.of(version))
            .setSignatureName(signatureKey)
            .build();
    specs.put(signatureKey, spec);
    return spec;
  }

  /**
   * The bench's bare reference for validated inputs: converted to TF tensors here, once; the caller
   * closes it.
   */
  BareSessionRun prepare(
      SignatureDef sig, String key, Map<String, HostTensor> inputs, List<String> outputs)
      throws ServingException {
    List<Output<?>> feeds = new ArrayList<>();
    List<Tensor> tensors = new ArrayList<>();
    List<Output<?>> fetches = new ArrayList<>();
    try {
      for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
        feeds.add(output(sig.getInputsMap().get(e.getKey()).getName()));
        tensors.add(TfTensors.toTensor(e.getValue(), "input " + e.getKey()));
      }
      for (String alias : outputs) {
        fetches.add(output(sig.getOutputsMap().get(alias).getName()));
      }
    } catch (IllegalArgumentException e) { // an output name the graph lacks
      tensors.forEach(Tensor::close);
      throw fromTensorFlow(e, "preparing signature " + key);
    } catch (ServingException | RuntimeException e) {
      tensors.forEach(Tensor::close);
      throw e;
    }
    return new BareSessionRun(bundle.session(), key, feeds, tensors, fetches);
  }

  /**
   * Maps TF Java's exception classes back to TF_Code. TF Java has a class for each of these codes
   * only; any other code arrives as a plain TensorFlowException and becomes UNKNOWN.
   * TFInvalidArgumentException is an IllegalArgumentException, which TF Java also raises itself for
   * feeds and fetches it cannot map: both are INVALID_ARGUMENT.
   */
  static ServingException fromTensorFlow(RuntimeException e, String what) {
    Status.Code code;
    if (e instanceof IllegalArgumentException) { // includes TFInvalidArgumentException
      code = Status.Code.INVALID_ARGUMENT;
    } else if (e instanceof TFFailedPreconditionException) {
      code = Status.Code.FAILED_PRECONDITION;
    } else if (e instanceof TFOutOfRangeException) {
      code = Status.Code.OUT_OF_RANGE;
    } else if (e instanceof TFResourceExhaustedException) {
      code = Status.Code.RESOURCE_EXHAUSTED;
    } else if (e instanceof UnsupportedOperationException) { // includes TFUnimplementedException
      code = Status.Code.UNIMPLEMENTED;
    } else if (e instanceof TFPermissionDeniedException) {
      code = Status.Code.PERMISSION_DENIED;
    } else if (e instanceof TFUnauthenticatedException) {
      code = Status.Code.UNAUTHENTICATED;
    } else {
      code = Status.Code.UNKNOWN;
    }
    String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return new ServingException(code, what + ": " + message);
  }

  @Override
  public void close() {
    if (reused != null) {
      reused.close();
    }
    bundle.close();
  }
}
