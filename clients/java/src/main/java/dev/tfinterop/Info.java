package dev.tfinterop;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.TensorFlow;

/** {@code info}: what this client is and can do, as data (one JSON object). */
public final class Info {
  private Info() {}

  public static Map<String, Object> describe() {
    Map<String, Object> runtime = new LinkedHashMap<>();
    runtime.put("tensorflow", TensorFlow.version());
    runtime.put("library", "TF Java " + Versions.get("tensorflow-java")
        + " (org.tensorflow:tensorflow-core-api + tensorflow-core-native)");
    runtime.put("grpc", "grpc-java " + Versions.get("grpc"));
    runtime.put("protobuf", "protobuf-java " + Versions.get("protobuf"));
    runtime.put("jackson", Versions.get("jackson"));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("client", Runner.CLIENT);
    out.put("language", "java " + Runtime.version());
    out.put("modes", List.of("inproc", "grpc", "rest"));
    out.put("runtime", runtime);
    out.put("apis", Map.of(
        "inproc", List.of("predict", "metadata"),
        "grpc", List.of("predict", "classify", "regress", "multi_inference", "metadata"),
        "rest", List.of("predict", "metadata")));
    out.put("inproc_dtypes", Arrays.stream(DType.values()).filter(TfTensors::supported)
        .map(DType::tfName).toList());
    return out;
  }
}
