package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorInfo;
import org.tensorflow.framework.TensorProto;

class SignaturesTest {
  static final SignatureDef SIG =
      SignatureDef.newBuilder()
          .setMethodName("tensorflow/serving/predict")
          .putInputs(
              "image", TensorInfo.newBuilder().setName("x:0").setDtype(DataType.DT_FLOAT).build())
          .putOutputs(
              "probs", TensorInfo.newBuilder().setName("y:0").setDtype(DataType.DT_FLOAT).build())
          .putOutputs(
              "label", TensorInfo.newBuilder().setName("z:0").setDtype(DataType.DT_INT64).build())
          .build();

  static TensorProto floats(int n) {
    TensorProto.Builder b =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {n}));
    for (int i = 0; i < n; i++) {
      b.addFloatVal(i);
    }
    return b.build();
  }

  @Test
  void emptySignatureNameMeansServingDefault() throws Exception {
    assertEquals("serving_default", Signatures.select(Map.of("serving_default", SIG), "").key());
  }

  @Test
  void unknownSignatureIsFailedPrecondition() {
    ServingException e =
        assertThrows(
            ServingException.class,
            () -> Signatures.select(Map.of("serving_default", SIG), "nope"));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.code());
    assertEquals("Serving signature key \"nope\" not found.", e.getMessage());
  }

  @Test
  void wrongDtypeIsInvalidArgumentNamingBothTypes() {
    TensorProto s =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_STRING)
            .addStringVal(ByteString.copyFromUtf8("x"))
            .build();
    ServingException e =
        assertThrows(ServingException.class, () -> Signatures.inputs(SIG, Map.of("image", s)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertEquals("Expects arg[0] to be float but string is provided", e.getMessage());
  }

  @Test
  void extraMissingAndUnknownInputsAreInvalidArgument() {
    for (Map<String, TensorProto> inputs :
        List.of(
            Map.<String, TensorProto>of(),
            Map.of("image", floats(1), "more", floats(1)),
            Map.of("picture", floats(1)))) {
      ServingException e =
          assertThrows(ServingException.class, () -> Signatures.inputs(SIG, inputs));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), inputs.keySet().toString());
    }
  }

  @Test
  void unparsableTensorIsInvalidArgument() {
    // tensor_content of 3 floats for a shape of 2: Tensor::FromProto refuses it (a typed list
    // that long would be truncated and served).
    TensorProto bad =
        floats(2).toBuilder().setTensorContent(ByteString.copyFrom(new byte[12])).build();
    ServingException e =
        assertThrows(ServingException.class, () -> Signatures.inputs(SIG, Map.of("image", bad)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
  }

  @Test
  void outputFilterIsCheckedAndKeepsItsOrder() throws Exception {
    assertEquals(List.of("label", "probs"), Signatures.outputs(SIG, List.of()));
    assertEquals(List.of("probs"), Signatures.outputs(SIG, List.of("probs")));
    for (List<String> filter : List.of(List.of("nope"), List.of("probs", "probs"))) {
      ServingException e =
          assertThrows(ServingException.class, () -> Signatures.outputs(SIG, filter));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    }
  }
}
