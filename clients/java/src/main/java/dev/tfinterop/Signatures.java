package dev.tfinterop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorInfo;
import org.tensorflow.framework.TensorProto;

/**
 * Signature lookup and Predict request validation as TF Serving's predict_util.cc does it: unknown
 * signature FAILED_PRECONDITION; extra, missing or unknown inputs, a wrong dtype, a tensor that
 * does not parse and a bad output_filter INVALID_ARGUMENT.
 */
public final class Signatures {
  public static final String DEFAULT_SIGNATURE = "serving_default";
  static final Set<String> PREDICT_METHODS =
      Set.of(
          "tensorflow/serving/predict",
          "tensorflow/serving/classify",
          "tensorflow/serving/regress");

  private Signatures() {}

  /** A selected signature and its key. */
  public record Selected(String key, SignatureDef def) {}

  /** The signature named {@code name} ("" means serving_default). */
  public static Selected select(Map<String, SignatureDef> signatures, String name)
      throws ServingException {
    String key = name.isEmpty() ? DEFAULT_SIGNATURE : name;
    SignatureDef def = signatures.get(key);
    if (def == null) {
      throw ServingException.failedPrecondition("Serving signature key \"" + key + "\" not found.");
    }
    return new Selected(key, def);
  }

  /** Decodes and checks request inputs against the signature; alias to tensor, sorted. */
  public static Map<String, HostTensor> inputs(SignatureDef sig, Map<String, TensorProto> inputs)
      throws ServingException {
    if (!PREDICT_METHODS.contains(sig.getMethodName())) {
      throw new ServingException(
          io.grpc.Status.Code.INTERNAL,
          "Expected prediction signature method_name to be one of {tensorflow/serving/predict,"
              + " tensorflow/serving/classify, tensorflow/serving/regress}. Was: "
              + sig.getMethodName());
    }
    // The name sets are built only for an error's message: most requests have none.
    int sent = inputs.size();
    int wanted = sig.getInputsCount();
    if (sent > wanted || (sent < wanted && sig.getDefaultsCount() == 0)) {
      throw sizeMismatch(
          new TreeSet<>(inputs.keySet()), new TreeSet<>(sig.getInputsMap().keySet()));
    }
    Map<String, TensorInfo> signatureInputs = sig.getInputsMap();
    Map<String, HostTensor> out = new LinkedHashMap<>();
    int index = 0;
    boolean defaulted = false;
    for (Map.Entry<String, TensorInfo> e : sorted(signatureInputs).entrySet()) {
      String alias = e.getKey();
      TensorProto proto = inputs.get(alias);
      if (proto == null) {
        proto = sig.getDefaultsMap().get(alias);
        if (proto == null) {
          throw invalidName(inputs.keySet(), signatureInputs.keySet());
        }
        defaulted = true;
      }
      DataType want = e.getValue().getDtype();
      if (proto.getDtype() != want) {
        throw ServingException.invalidArgument(
            "Expects arg["
                + index
                + "] to be "
                + DType.nameOf(want)
                + " but "
                + DType.nameOf(proto.getDtype())
                + " is provided");
      }
      try {
        out.put(alias, TensorProtoCodec.decode(proto));
      } catch (ServingException ex) {
        throw ServingException.invalidArgument(
            "tensor parsing error: " + alias + ": " + ex.getMessage());
      }
      index++;
    }
    // Every input of the signature was sent, and as many were sent as it has: nothing else was.
    if (defaulted && !signatureInputs.keySet().containsAll(inputs.keySet())) {
      throw invalidName(inputs.keySet(), signatureInputs.keySet());
    }
    return out;
  }

  /** {@code map} in key order; a map of one entry as it is (most signatures have one input). */
  private static <V> Map<String, V> sorted(Map<String, V> map) {
    return map.size() <= 1 ? map : new TreeMap<>(map);
  }

  private static ServingException sizeMismatch(Set<String> sent, Set<String> wanted) {
    Set<String> extra = new TreeSet<>(sent);
    extra.removeAll(wanted);
    Set<String> missing = new TreeSet<>(wanted);
    missing.removeAll(sent);
    return ServingException.invalidArgument(
        "input size does not match signature: "
            + sent.size()
            + "!="
            + wanted.size()
            + " len("
            + braces(sent)
            + ") != len("
            + braces(wanted)
            + "). Sent extra: "
            + braces(extra)
            + ". Missing but required: "
            + braces(missing)
            + ".");
  }

  /** Which outputs to return: the filter in its order, checked, else all of them sorted. */
  public static List<String> outputs(SignatureDef sig, List<String> filter)
      throws ServingException {
    if (filter.isEmpty()) {
      return new ArrayList<>(sorted(sig.getOutputsMap()).keySet());
    }
    Set<String> seen = new TreeSet<>();
    for (String alias : filter) {
      if (!sig.getOutputsMap().containsKey(alias)) {
        throw ServingException.invalidArgument(
            "output tensor alias not found in signature: "
                + alias
                + " Outputs expected to be in the set "
                + braces(new TreeSet<>(sig.getOutputsMap().keySet()))
                + ".");
      }
      if (!seen.add(alias)) {
        throw ServingException.invalidArgument("duplicate output tensor alias: " + alias);
      }
    }
    return List.copyOf(filter);
  }

  private static ServingException invalidName(Set<String> sent, Set<String> wanted) {
    return ServingException.invalidArgument(
        "Inputs contains invalid name. Used: "
            + braces(new TreeSet<>(sent))
            + ". All: "
            + braces(new TreeSet<>(wanted))
            + ".");
  }

  private static String braces(Set<String> names) {
    return "{" + String.join(",", names) + "}";
  }
}
