package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/** What a servable keeps between runs (an output's shape proto, the ModelSpec) stays right. */
class SavedModelServableTest {
  static final Path MODEL = ReusedInputsTest.BUILD.resolve("models/half_plus_two/00000123");
  static final Path REQUEST =
      ReusedInputsTest.BUILD.resolve("cases/half_plus_two/predict.request.pb");

  /** y for a batch of {@code values} (shape [n, 1]). */
  static TensorProto y(SavedModelServable servable, PredictRequest golden, float... values)
      throws ServingException {
    TensorProto.Builder x =
        golden.getInputsOrThrow("x").toBuilder()
            .clearFloatVal()
            .setTensorShape(
                TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(values.length))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(1)));
    for (float v : values) {
      x.addFloatVal(v);
    }
    return y(servable, x.build());
  }

  /** y for the input {@code x} through the servable's default signature. */
  static TensorProto y(SavedModelServable servable, TensorProto x) throws ServingException {
    Signatures.Selected sig = Signatures.select(servable.signatures(), "");
    Map<String, TensorProto> out =
        servable.run(
            sig.def(),
            sig.key(),
            Signatures.inputs(sig.def(), Map.of("x", x)),
            Signatures.outputs(sig.def(), List.of()));
    return out.get("y");
  }

  static List<Long> dims(TensorProto t) {
    List<Long> out = new ArrayList<>();
    t.getTensorShape().getDimList().forEach(d -> out.add(d.getSize()));
    return out;
  }

  @Test
  void eachAnswerCarriesItsOwnRunsShape() throws Exception {
    assumeTrue(Files.exists(REQUEST), "run `make export`");
    PredictRequest golden = PredictRequest.parseFrom(Files.readAllBytes(REQUEST));
    try (SavedModelServable servable = SavedModelServable.load("half_plus_two", 123, MODEL)) {
      TensorProto three = y(servable, golden, 2, 1, 10);
      assertEquals(List.of(3L, 1L), dims(three));
      assertEquals(List.of(3f, 2.5f, 7f), three.getFloatValList());
      TensorProto one = y(servable, golden, 4);
      assertEquals(List.of(1L, 1L), dims(one));
      assertEquals(List.of(4f), one.getFloatValList());
      TensorProto again = y(servable, golden, 0, 2, 4);
      assertEquals(List.of(3L, 1L), dims(again));
      assertEquals(List.of(2f, 3f, 4f), again.getFloatValList());
      // The same shape twice in a row: the kept proto itself.
      assertSame(again.getTensorShape(), y(servable, golden, 6, 8, 10).getTensorShape());
    }
  }

  @Test
  void specNamesTheVersionAndTheSignature() throws Exception {
    assumeTrue(Files.exists(REQUEST), "run `make export`");
    try (SavedModelServable servable = SavedModelServable.load("half_plus_two", 123, MODEL)) {
      ModelSpec spec = servable.spec("serving_default");
      assertEquals("half_plus_two", spec.getName());
      assertEquals(123, spec.getVersion().getValue());
      assertEquals("serving_default", spec.getSignatureName());
      assertEquals("regress_x_to_y", servable.spec("regress_x_to_y").getSignatureName());
      assertSame(spec, servable.spec("serving_default"));
    }
  }
}
