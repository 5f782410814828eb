package dev.tfinterop;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.TensorFlow;

/**
 * {@code info}: what this client is and can do, as data (one JSON object with exactly the keys
 * docs/CONTRACT.md names). apis and unsupported_dtypes come from the transports and TfTensors, so
 * they say what the code sends and carries.
 */
public final class Info {
  private Info() {}

  public static Map<String, Object> describe() {
    Map<String, Object> runtime = new LinkedHashMap<>();
    runtime.put("tensorflow", TensorFlow.version());
    runtime.put(
        "library",
        "TF Java "
            + Versions.get("tensorflow-java")
            + " (org.tensorflow:tensorflow-core-api + tensorflow-core-native)");
    runtime.put("grpc", "grpc-java " + Versions.get("grpc"));
    runtime.put("protobuf", "protobuf-java " + Versions.get("protobuf"));
    runtime.put("jackson", Versions.get("jackson"));
    runtime.put("picocli", Versions.get("picocli"));
    Map<String, Object> apis = new LinkedHashMap<>();
    Map<String, Object> unsupported = new LinkedHashMap<>();
    for (String mode : Transports.MODES) {
      apis.put(mode, Transports.apis(mode).stream().map(Api::id).toList());
      unsupported.put(mode, unsupportedDtypes(mode));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("client", Runner.CLIENT);
    out.put("language", "java " + Runtime.version());
    out.put("modes", Transports.MODES);
    out.put("apis", apis);
    out.put("unsupported_dtypes", unsupported);
    out.put("runtime", runtime);
    return out;
  }

  /** TensorFlow dtype names the mode cannot carry: in-process, those TF Java 1.1.0 lacks. */
  static List<String> unsupportedDtypes(String mode) {
    if (!mode.equals("inproc")) {
      return List.of();
    }
    return Arrays.stream(DType.values())
        .filter(d -> !TfTensors.supported(d))
        .map(DType::tfName)
        .toList();
  }
}
