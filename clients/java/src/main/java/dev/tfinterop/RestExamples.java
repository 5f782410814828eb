package dev.tfinterop;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.example.Example;
import org.tensorflow.example.Feature;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.Classification.Classifications;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.RegressionOuterClass.Regression;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;

/**
 * TF Serving's REST Classify and Regress bodies: tf.Examples as JSON objects (feature name to a
 * list of values; floats keep a decimal point so they stay float features, bytes are strings or
 * {"b64": ...}), answered by {"results": ...}.
 */
final class RestExamples {
  private RestExamples() {}

  /** {"signature_name"?, "context"?, "examples": [...]} for a request's Input. */
  static String body(String signature, Input input) {
    return RestJson.write(
        g -> {
          g.writeStartObject();
          if (!signature.isEmpty()) {
            g.writeStringField("signature_name", signature);
          }
          List<Example> examples;
          switch (input.getKindCase()) {
            case EXAMPLE_LIST_WITH_CONTEXT -> {
              g.writeFieldName("context");
              writeExample(g, input.getExampleListWithContext().getContext());
              examples = input.getExampleListWithContext().getExamplesList();
            }
            case EXAMPLE_LIST -> examples = input.getExampleList().getExamplesList();
            case KIND_NOT_SET -> examples = List.of();
            default ->
                throw new IllegalArgumentException("unsupported input kind " + input.getKindCase());
          }
          g.writeArrayFieldStart("examples");
          for (Example e : examples) {
            writeExample(g, e);
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  private static void writeExample(JsonGenerator g, Example example) throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, Feature> f :
        new TreeMap<>(example.getFeatures().getFeatureMap()).entrySet()) {
      g.writeArrayFieldStart(f.getKey());
      Feature feature = f.getValue();
      switch (feature.getKindCase()) {
        case FLOAT_LIST -> {
          for (float v : feature.getFloatList().getValueList()) {
            g.writeNumber((double) v);
          }
        }
        case INT64_LIST -> {
          for (long v : feature.getInt64List().getValueList()) {
            g.writeNumber(v);
          }
        }
        case BYTES_LIST -> {
          for (ByteString v : feature.getBytesList().getValueList()) {
            RestJson.writeString(g, v);
          }
        }
        case KIND_NOT_SET -> {}
      }
      g.writeEndArray();
    }
    g.writeEndObject();
  }

  /** {"results": [[[label, score], ...], ...]} */
  static ClassificationResponse classification(Object json) throws IOException {
    ClassificationResponse.Builder out = ClassificationResponse.newBuilder();
    for (Object row : results(json)) {
      Classifications.Builder c = out.getResultBuilder().addClassificationsBuilder();
      if (!(row instanceof List<?> pairs)) {
        throw new IOException("classification result " + row + " is not a list");
      }
      for (Object pair : pairs) {
        if (!(pair instanceof List<?> p)
            || p.size() != 2
            || !(p.get(0) instanceof String label)
            || !(p.get(1) instanceof RestJson.Number score)) {
          throw new IOException("classification " + pair + " is not [label, score]");
        }
        c.addClassesBuilder().setLabel(label).setScore(Float.parseFloat(score.text()));
      }
    }
    return out.build();
  }

  /** {"results": [value, ...]} */
  static RegressionResponse regression(Object json) throws IOException {
    RegressionResponse.Builder out = RegressionResponse.newBuilder();
    for (Object v : results(json)) {
      if (!(v instanceof RestJson.Number n)) {
        throw new IOException("regression result " + v + " is not a number");
      }
      out.getResultBuilder()
          .addRegressions(Regression.newBuilder().setValue(Float.parseFloat(n.text())));
    }
    return out.build();
  }

  private static List<?> results(Object json) throws IOException {
    if (json instanceof Map<?, ?> m && m.get("results") instanceof List<?> l) {
      return l;
    }
    throw new IOException("response has no \"results\" list");
  }
}
