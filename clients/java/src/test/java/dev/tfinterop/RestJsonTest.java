package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorInfo;
import tensorflow.serving.Predict.PredictResponse;

class RestJsonTest {

  private static HostTensor viaJson(HostTensor t) throws IOException {
    String json = RestJson.write(g -> RestJson.writeTensor(g, t));
    return RestJson.toTensor(RestJson.parse(json), t.dtype(), "t");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tfinterop.TensorProtoCodecTest#edgeTensors")
  void everyJsonDtypeRoundTripsBitExact(DType dtype, byte[] raw) throws Exception {
    if (dtype == DType.COMPLEX64 || dtype == DType.COMPLEX128) {
      return; // TF Serving's JSON has no complex numbers
    }
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {raw.length / dtype.size()}, raw);
    HostTensor back = viaJson(t);
    if (dtype == DType.HALF || dtype == DType.BFLOAT16) {
      // NaN payloads are not carried by JSON; every other value is.
      ByteBuffer a = t.buffer();
      ByteBuffer b = back.buffer();
      for (int i = 0; i < t.size(); i++) {
        float x =
            dtype == DType.HALF
                ? Halfs.halfToFloat(a.getShort(2 * i))
                : Halfs.bfloat16ToFloat(a.getShort(2 * i));
        if (!Float.isNaN(x)) {
          assertEquals(a.getShort(2 * i), b.getShort(2 * i), "element " + i);
        }
      }
      return;
    }
    assertEquals(t, back);
  }

  @Test
  void float32RoundTripIsExactForRandomBits() throws Exception {
    SplittableRandom r = new SplittableRandom(7);
    float[] v = new float[20_000];
    for (int i = 0; i < v.length; i++) {
      float f;
      do {
        f = Float.intBitsToFloat(r.nextInt());
      } while (Float.isNaN(f));
      v[i] = f;
    }
    HostTensor t =
        HostTensor.ofBytes(DType.FLOAT, new long[] {v.length}, TensorProtoCodecTest.floats(v));
    assertEquals(t, viaJson(t));
  }

  @Test
  void nanAndInfinityAreBareTokensBothWays() throws Exception {
    HostTensor t =
        HostTensor.ofBytes(
            DType.FLOAT,
            new long[] {3},
            TensorProtoCodecTest.floats(
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY));
    assertEquals("[NaN,Infinity,-Infinity]", RestJson.write(g -> RestJson.writeTensor(g, t)));
    HostTensor d =
        RestJson.toTensor(RestJson.parse("[NaN, Infinity, -Infinity, -0.0]"), DType.DOUBLE, "t");
    assertTrue(Double.isNaN(d.buffer().getDouble(0)));
    assertEquals(Double.POSITIVE_INFINITY, d.buffer().getDouble(8));
    assertEquals(Double.NEGATIVE_INFINITY, d.buffer().getDouble(16));
    assertEquals(
        Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(d.buffer().getDouble(24)));
  }

  @Test
  void float32IsWrittenAsItsExactDoubleSoFltMaxStaysInRange() {
    HostTensor t =
        HostTensor.ofBytes(
            DType.FLOAT, new long[] {3}, TensorProtoCodecTest.floats(Float.MAX_VALUE, 0.1f, 1f));
    assertEquals(
        "[3.4028234663852886E38,0.10000000149011612,1.0]",
        RestJson.write(g -> RestJson.writeTensor(g, t)));
  }

  @Test
  void everyFloatKeepsADecimalPointOrExponent() {
    HostTensor t =
        HostTensor.ofBytes(
            DType.DOUBLE,
            new long[] {5},
            TensorProtoCodecTest.doubles(-0.0, 1.0, 1e20, 1e-7, 123456789.0));
    String json = RestJson.write(g -> RestJson.writeTensor(g, t));
    for (String v : json.substring(1, json.length() - 1).split(",")) {
      assertTrue(v.contains(".") || v.contains("E"), v + " in " + json);
    }
    assertTrue(json.startsWith("[-0.0,1.0,"), json);
  }

  @Test
  void int64BeyondTwoToThe53IsExact() throws Exception {
    HostTensor t =
        RestJson.toTensor(
            RestJson.parse("[9007199254740993, -9223372036854775808, 9223372036854775807]"),
            DType.INT64,
            "t");
    assertEquals(9007199254740993L, t.buffer().getLong(0));
    assertEquals(Long.MIN_VALUE, t.buffer().getLong(8));
    assertEquals(Long.MAX_VALUE, t.buffer().getLong(16));
    HostTensor u = RestJson.toTensor(RestJson.parse("[18446744073709551615]"), DType.UINT64, "t");
    assertEquals(-1L, u.buffer().getLong(0));
    assertEquals("[18446744073709551615]", RestJson.write(g -> RestJson.writeTensor(g, u)));
  }

  @Test
  void nonIntegersAndOutOfRangeValuesAreRefused() {
    assertThrows(
        IOException.class, () -> RestJson.toTensor(RestJson.parse("[1.5]"), DType.INT32, "t"));
    assertThrows(
        IOException.class, () -> RestJson.toTensor(RestJson.parse("[256]"), DType.UINT8, "t"));
    assertThrows(
        IOException.class,
        () -> RestJson.toTensor(RestJson.parse("[9223372036854775808]"), DType.INT64, "t"));
    assertThrows(
        IOException.class, () -> RestJson.toTensor(RestJson.parse("[-1]"), DType.UINT64, "t"));
    assertThrows(
        IOException.class, () -> RestJson.toTensor(RestJson.parse("[\"1\"]"), DType.FLOAT, "t"));
  }

  @Test
  void raggedNestingIsRefused() {
    assertThrows(
        IOException.class,
        () -> RestJson.toTensor(RestJson.parse("[[1, 2], [3]]"), DType.FLOAT, "t"));
    assertThrows(
        IOException.class,
        () -> RestJson.toTensor(RestJson.parse("[[1, 2], 3]"), DType.FLOAT, "t"));
  }

  @Test
  void stringsAreJsonTextWhenUtf8ElseB64() throws Exception {
    HostTensor t =
        HostTensor.ofStrings(
            new long[] {3},
            List.of(
                ByteString.EMPTY,
                ByteString.copyFromUtf8("héllo"),
                ByteString.copyFrom(new byte[] {(byte) 0xFF, 0})));
    String json = RestJson.write(g -> RestJson.writeTensor(g, t));
    assertEquals("[\"\",\"héllo\",{\"b64\":\"/wA=\"}]", json);
    assertEquals(t, RestJson.toTensor(RestJson.parse(json), DType.STRING, "t"));
  }

  @Test
  void shapeComesFromTheNesting() throws Exception {
    assertEquals(
        List.of(2L, 3L),
        shape(RestJson.toTensor(RestJson.parse("[[1,2,3],[4,5,6]]"), DType.FLOAT, "t")));
    assertEquals(List.of(), shape(RestJson.toTensor(RestJson.parse("7"), DType.INT32, "t")));
    assertEquals(List.of(0L), shape(RestJson.toTensor(RestJson.parse("[]"), DType.FLOAT, "t")));
  }

  private static SignatureDef signature(Map<String, DataType> outputs) {
    SignatureDef.Builder b = SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict");
    outputs.forEach((k, v) -> b.putOutputs(k, TensorInfo.newBuilder().setDtype(v).build()));
    return b.build();
  }

  @Test
  void columnarResponseWithOneOutputDropsTheName() throws Exception {
    PredictResponse r =
        RestTransport.predictResponse(
            RestJson.parse("{\"outputs\": [[0.5, NaN]]}"),
            signature(Map.of("y", DataType.DT_FLOAT)));
    assertEquals(List.of(0.5f, Float.NaN), r.getOutputsOrThrow("y").getFloatValList());
    assertEquals(2, r.getOutputsOrThrow("y").getTensorShape().getDim(1).getSize());
  }

  @Test
  void rowResponseWithSeveralOutputsIsStacked() throws Exception {
    PredictResponse r =
        RestTransport.predictResponse(
            RestJson.parse(
                "{\"predictions\": [{\"a\": 1, \"b_bytes\": {\"b64\": \"/w==\"}},"
                    + " {\"a\": 2, \"b_bytes\": \"x\"}]}"),
            signature(Map.of("a", DataType.DT_INT64, "b_bytes", DataType.DT_STRING)));
    assertEquals(List.of(1L, 2L), r.getOutputsOrThrow("a").getInt64ValList());
    assertEquals(
        List.of(ByteString.copyFrom(new byte[] {(byte) 0xFF}), ByteString.copyFromUtf8("x")),
        r.getOutputsOrThrow("b_bytes").getStringValList());
  }

  private static List<Long> shape(HostTensor t) {
    return java.util.Arrays.stream(t.shape()).boxed().toList();
  }
}
