package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import inference.GrpcService.InferParameter;
import inference.GrpcService.InferTensorContents;
import inference.GrpcService.ModelInferRequest;
import inference.GrpcService.ModelInferRequest.InferInputTensor;
import inference.GrpcService.ModelInferResponse;
import inference.GrpcService.ModelInferResponse.InferOutputTensor;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The v2 REST JSON codec: the request body the spec describes, the answer read back exactly, and
 * what neither side can carry refused with a canonical code.
 */
class V2RestJsonTest {

  /** The datatype standing for a TF dtype (every dtype but complex has one). */
  static V2Datatype typeOf(DType dtype) {
    for (V2Datatype t : V2Datatype.values()) {
      if (t.dtype() == dtype) {
        return t;
      }
    }
    throw new IllegalArgumentException(dtype + " has no v2 datatype");
  }

  /** A one-input request carrying {@code t}: typed contents, or raw where no typed field exists. */
  static ModelInferRequest request(V2Datatype type, HostTensor t) {
    InferInputTensor.Builder in =
        InferInputTensor.newBuilder().setName("x").setDatatype(type.name()).addShape(t.size());
    ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName("m");
    if (type.contents() == V2Datatype.Contents.NONE) {
      r.addRawInputContents(V2Raw.encode(t));
    } else {
      in.setContents(V2RestJson.contents(type, t));
    }
    return r.addInputs(in).build();
  }

  /** What an echoing server answers: the request's inputs as outputs. */
  static ModelInferResponse echo(ModelInferRequest r) throws ServingException {
    String body = V2RestJson.requestBody(r);
    assertTrue(body.startsWith("{\"inputs\":"), body);
    String answer =
        "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":"
            + body.substring("{\"inputs\":".length());
    return V2RestJson.readResponse(answer.getBytes(StandardCharsets.UTF_8));
  }

  static ModelInferResponse read(String body) throws ServingException {
    return V2RestJson.readResponse(body.getBytes(StandardCharsets.UTF_8));
  }

  static ByteString shorts(int... v) {
    ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int x : v) {
      b.putShort((short) x);
    }
    return ByteString.copyFrom(b.array());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tfinterop.TensorProtoCodecTest#edgeTensors")
  void everyDatatypeRoundTripsThroughJsonBitExact(DType dtype, byte[] raw) throws Exception {
    if (dtype == DType.COMPLEX64 || dtype == DType.COMPLEX128) {
      return; // no v2 datatype: such cases get no v2 form
    }
    V2Datatype type = typeOf(dtype);
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {raw.length / dtype.size()}, raw);
    ModelInferResponse back = echo(request(type, t));
    InferOutputTensor out = back.getOutputs(0);
    assertEquals(type.name(), out.getDatatype());
    assertEquals(List.of(t.size()), out.getShapeList());
    if (type.contents() == V2Datatype.Contents.NONE) {
      // No typed field exists for FP16/BF16, so every output comes back raw.
      assertEquals(List.of(V2Raw.encode(t)), back.getRawOutputContentsList());
      assertTrue(!out.hasContents());
    } else {
      assertEquals(V2RestJson.contents(type, t), out.getContents());
      assertEquals(0, back.getRawOutputContentsCount());
    }
  }

  @Test
  void bytesRoundTripAsStrings() throws Exception {
    List<ByteString> values =
        List.of(ByteString.copyFromUtf8("héllo"), ByteString.EMPTY, ByteString.copyFromUtf8("\0"));
    HostTensor t = HostTensor.ofStrings(new long[] {3}, values);
    ModelInferRequest r = request(V2Datatype.BYTES, t);
    assertEquals(
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[3],\"datatype\":\"BYTES\","
            + "\"data\":[\"héllo\",\"\",\"\\u0000\"]}]}",
        V2RestJson.requestBody(r));
    assertEquals(values, echo(r).getOutputs(0).getContents().getBytesContentsList());
  }

  /** Every FP16 and BF16 bit pattern: raw, to a JSON number, and back to the same bits. */
  @ParameterizedTest
  @ValueSource(strings = {"FP16", "BF16"})
  void everyHalfAndBfloat16BitPatternRoundTrips(String name) throws Exception {
    V2Datatype type = V2Datatype.valueOf(name);
    ByteBuffer b = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 65536; i++) {
      b.putShort((short) i);
    }
    HostTensor t = HostTensor.ofBytes(type.dtype(), new long[] {65536}, b.array());
    ByteBuffer got =
        echo(request(type, t))
            .getRawOutputContents(0)
            .asReadOnlyByteBuffer()
            .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 65536; i++) {
      short bits = got.getShort(2 * i);
      float want = type == V2Datatype.FP16 ? Halfs.halfToFloat((short) i) : bfloat16((short) i);
      if (Float.isNaN(want)) {
        float f = type == V2Datatype.FP16 ? Halfs.halfToFloat(bits) : bfloat16(bits);
        assertTrue(Float.isNaN(f), name + " " + Integer.toHexString(i));
      } else {
        assertEquals((short) i, bits, name + " " + Integer.toHexString(i));
      }
    }
  }

  private static float bfloat16(short bits) {
    return Halfs.bfloat16ToFloat(bits);
  }

  @Test
  void fp16AndBf16RawInputsAreWrittenAsTheirExactValues() throws Exception {
    ModelInferRequest r =
        ModelInferRequest.newBuilder()
            .addInputs(InferInputTensor.newBuilder().setName("h").setDatatype("FP16").addShape(4))
            .addInputs(InferInputTensor.newBuilder().setName("b").setDatatype("BF16").addShape(2))
            .addInputs(InferInputTensor.newBuilder().setName("s").setDatatype("BYTES").addShape(2))
            .addInputs(InferInputTensor.newBuilder().setName("t").setDatatype("BOOL").addShape(2))
            .addRawInputContents(shorts(0x3C00, 0x2E66, 0x7C00, 0xFE00))
            .addRawInputContents(shorts(0x3DCD, 0x8000))
            .addRawInputContents(ByteString.copyFrom(new byte[] {2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0}))
            .addRawInputContents(ByteString.copyFrom(new byte[] {1, 0}))
            .build();
    assertEquals(
        "{\"inputs\":["
            + "{\"name\":\"h\",\"shape\":[4],\"datatype\":\"FP16\","
            + "\"data\":[1.0,0.0999755859375,Infinity,NaN]},"
            + "{\"name\":\"b\",\"shape\":[2],\"datatype\":\"BF16\",\"data\":[0.10009765625,-0.0]},"
            + "{\"name\":\"s\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"ab\",\"\"]},"
            + "{\"name\":\"t\",\"shape\":[2],\"datatype\":\"BOOL\",\"data\":[true,false]}]}",
        V2RestJson.requestBody(r));
  }

  @Test
  void requestBodyCarriesIdParametersShapeAndRequestedOutputs() throws Exception {
    ModelInferRequest r =
        ModelInferRequest.newBuilder()
            .setModelName("m")
            .setModelVersion("2")
            .setId("r1")
            .putParameters(
                "signature_name",
                InferParameter.newBuilder().setStringParam("serving_default").build())
            .putParameters("flag", InferParameter.newBuilder().setBoolParam(true).build())
            .putParameters("big", InferParameter.newBuilder().setUint64Param(-1L).build())
            .putParameters("ratio", InferParameter.newBuilder().setDoubleParam(0.5).build())
            .putParameters("n", InferParameter.newBuilder().setInt64Param(-3).build())
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("x")
                    .setDatatype("FP32")
                    .addShape(1)
                    .addShape(3)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addFp32Contents(0.1f)
                            .addFp32Contents(Float.NaN)
                            .addFp32Contents(Float.NEGATIVE_INFINITY)))
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("k")
                    .setDatatype("INT64")
                    .addShape(2)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addInt64Contents(9007199254740993L)
                            .addInt64Contents(Long.MIN_VALUE)))
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("u")
                    .setDatatype("UINT64")
                    .addShape(1)
                    .setContents(InferTensorContents.newBuilder().addUint64Contents(-1L)))
            .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("y"))
            .build();
    assertEquals(
        "{\"id\":\"r1\",\"parameters\":{\"big\":18446744073709551615,\"flag\":true,\"n\":-3,"
            + "\"ratio\":0.5,\"signature_name\":\"serving_default\"},\"inputs\":["
            + "{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP32\","
            + "\"data\":[0.10000000149011612,NaN,-Infinity]},"
            + "{\"name\":\"k\",\"shape\":[2],\"datatype\":\"INT64\","
            + "\"data\":[9007199254740993,-9223372036854775808]},"
            + "{\"name\":\"u\",\"shape\":[1],\"datatype\":\"UINT64\","
            + "\"data\":[18446744073709551615]}],"
            + "\"outputs\":[{\"name\":\"y\"}]}",
        V2RestJson.requestBody(r));
  }

  /** The server, not the client, judges a count that does not fit the shape or an odd datatype. */
  @Test
  void typedContentsAreSentAsGiven() throws Exception {
    ModelInferRequest r =
        ModelInferRequest.newBuilder()
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("x")
                    .setDatatype("INT8")
                    .addShape(3)
                    .setContents(InferTensorContents.newBuilder().addIntContents(300)))
            .addInputs(
                InferInputTensor.newBuilder()
                    .setName("y")
                    .setDatatype("FOO")
                    .addShape(1)
                    .setContents(InferTensorContents.newBuilder().addFp64Contents(2.5)))
            .build();
    assertEquals(
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[3],\"datatype\":\"INT8\",\"data\":[300]},"
            + "{\"name\":\"y\",\"shape\":[1],\"datatype\":\"FOO\",\"data\":[2.5]}]}",
        V2RestJson.requestBody(r));
  }

  static List<ModelInferRequest> unsendable() {
    InferInputTensor.Builder bytes =
        InferInputTensor.newBuilder().setName("s").setDatatype("BYTES").addShape(1);
    InferInputTensor.Builder fp16 =
        InferInputTensor.newBuilder().setName("h").setDatatype("FP16").addShape(1);
    ByteString notUtf8 = ByteString.copyFrom(new byte[] {(byte) 0xFF, 'a'});
    return List.of(
        // BYTES that are not UTF-8, typed and raw
        ModelInferRequest.newBuilder()
            .addInputs(
                bytes
                    .clone()
                    .setContents(InferTensorContents.newBuilder().addBytesContents(notUtf8)))
            .build(),
        ModelInferRequest.newBuilder()
            .addInputs(bytes.clone())
            .addRawInputContents(ByteString.copyFrom(new byte[] {2, 0, 0, 0}).concat(notUtf8))
            .build(),
        // raw contents: not one per input, beside typed contents, not whole elements
        ModelInferRequest.newBuilder()
            .addInputs(fp16.clone())
            .addInputs(fp16.clone().setName("g"))
            .addRawInputContents(shorts(0x3C00))
            .build(),
        ModelInferRequest.newBuilder()
            .addInputs(
                fp16.clone().setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
            .addRawInputContents(shorts(0x3C00))
            .build(),
        ModelInferRequest.newBuilder()
            .addInputs(fp16.clone())
            .addRawInputContents(ByteString.copyFrom(new byte[] {1, 2, 3}))
            .build(),
        ModelInferRequest.newBuilder()
            .addInputs(bytes.clone())
            .addRawInputContents(ByteString.copyFrom(new byte[] {5, 0, 0, 0, 'a'}))
            .build(),
        ModelInferRequest.newBuilder()
            .addInputs(bytes.clone())
            .addRawInputContents(ByteString.copyFrom(new byte[] {1, 0}))
            .build(),
        ModelInferRequest.newBuilder()
            .addInputs(fp16.clone().setDatatype("FP8"))
            .addRawInputContents(ByteString.copyFrom(new byte[] {1}))
            .build(),
        // a parameter without a value
        ModelInferRequest.newBuilder()
            .putParameters("p", InferParameter.getDefaultInstance())
            .build());
  }

  @ParameterizedTest
  @MethodSource("unsendable")
  void whatJsonCannotCarryIsInvalidArgumentNamingTheInput(ModelInferRequest r) {
    ServingException e = assertThrows(ServingException.class, () -> V2RestJson.requestBody(r));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), e.getMessage());
    assertEquals(null, e.httpStatus());
    String named = r.getInputsCount() > 0 ? "input" : "parameter p";
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }

  @Test
  void responseKeepsNamesVersionIdParametersAndExactNumbers() throws Exception {
    ModelInferResponse r =
        read(
            """
            {"model_name": "m", "model_version": "3", "id": "r1",
             "parameters": {"b": true, "i": -9223372036854775808, "u": 18446744073709551615,
                            "d": 1.5, "s": "x"},
             "outputs": [
               {"name": "y", "datatype": "INT64", "shape": [2, 2],
                "data": [[9007199254740993, -1], [0, 9223372036854775807]]},
               {"name": "z", "datatype": "FP32", "shape": [3], "data": [NaN, -Infinity, 1],
                "parameters": {"note": "kept"}},
               {"name": "t", "datatype": "BOOL", "shape": [], "data": [true]},
               {"name": "w", "datatype": "UINT32", "shape": [1], "data": [4294967295]},
               {"name": "e", "datatype": "INT8", "shape": [0], "data": []}]}
            """);
    assertEquals("m", r.getModelName());
    assertEquals("3", r.getModelVersion());
    assertEquals("r1", r.getId());
    assertEquals(true, r.getParametersOrThrow("b").getBoolParam());
    assertEquals(Long.MIN_VALUE, r.getParametersOrThrow("i").getInt64Param());
    assertEquals(-1L, r.getParametersOrThrow("u").getUint64Param());
    assertEquals(1.5, r.getParametersOrThrow("d").getDoubleParam());
    assertEquals("x", r.getParametersOrThrow("s").getStringParam());
    InferOutputTensor y = r.getOutputs(0);
    assertEquals(List.of(2L, 2L), y.getShapeList());
    assertEquals(
        List.of(9007199254740993L, -1L, 0L, Long.MAX_VALUE),
        y.getContents().getInt64ContentsList());
    InferOutputTensor z = r.getOutputs(1);
    assertEquals(
        List.of(Float.NaN, Float.NEGATIVE_INFINITY, 1.0f), z.getContents().getFp32ContentsList());
    assertEquals("kept", z.getParametersOrThrow("note").getStringParam());
    assertEquals(List.of(), r.getOutputs(2).getShapeList());
    assertEquals(List.of(true), r.getOutputs(2).getContents().getBoolContentsList());
    assertEquals(List.of(-1), r.getOutputs(3).getContents().getUintContentsList());
    assertEquals(0, r.getOutputs(4).getContents().getIntContentsCount());
    assertEquals(0, r.getRawOutputContentsCount());
  }

  @Test
  void fp32IsReadStraightFromTheDecimal() throws Exception {
    // 16777217 is between two floats: straight to float it rounds to even (16777216), and so it
    // must here; 0.1 reads as 0.1f.
    ModelInferResponse r =
        read(
            "{\"model_name\": \"m\", \"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\","
                + " \"shape\": [3], \"data\": [16777217, 0.1, 3.4028234663852886e38]}]}");
    assertEquals(
        List.of(16777216f, 0.1f, Float.MAX_VALUE),
        r.getOutputs(0).getContents().getFp32ContentsList());
  }

  @Test
  void anFp16OutputPutsEveryOutputInRawContents() throws Exception {
    ModelInferResponse r =
        read(
            """
            {"model_name": "m", "outputs": [
              {"name": "h", "datatype": "FP16", "shape": [2], "data": [0.1, 65520]},
              {"name": "s", "datatype": "BYTES", "shape": [1], "data": ["ab"]}]}
            """);
    assertEquals(
        List.of(shorts(0x2E66, 0x7C00), ByteString.copyFrom(new byte[] {2, 0, 0, 0, 'a', 'b'})),
        r.getRawOutputContentsList());
    assertTrue(!r.getOutputs(0).hasContents() && !r.getOutputs(1).hasContents());
  }

  @Test
  void halfAndBfloat16RoundOnceFromTheDecimal() {
    // Ties go to even; beyond the maximum's half ULP is infinity.
    assertEquals((short) 0x3C00, Halfs.decimalToHalf("1.00048828125")); // 1 + 2^-11: tie, even
    assertEquals((short) 0x3C02, Halfs.decimalToHalf("1.00146484375")); // 1 + 3*2^-11: tie, even
    // 1 + 2^-11 + 2^-30: just above the tie. Through float it would become the tie and round
    // down to 1.0; read once, it rounds up.
    assertEquals((short) 0x3C01, Halfs.decimalToHalf("1.000488282181322574615478515625"));
    assertEquals((short) 0x7BFF, Halfs.decimalToHalf("65519.99"));
    assertEquals((short) 0x7C00, Halfs.decimalToHalf("65520"));
    assertEquals((short) 0xFC00, Halfs.decimalToHalf("-1e10"));
    assertEquals((short) 0x0000, Halfs.decimalToHalf("2.98023223876953125e-8")); // 2^-25: tie
    assertEquals((short) 0x0001, Halfs.decimalToHalf("3e-8"));
    assertEquals((short) 0x8000, Halfs.decimalToHalf("-0"));
    assertEquals((short) 0x8000, Halfs.decimalToHalf("-1e-30"));
    assertEquals((short) 0x7E00, Halfs.decimalToHalf("NaN"));
    assertEquals((short) 0xFC00, Halfs.decimalToHalf("-Infinity"));
    assertEquals((short) 0x3DCD, Halfs.decimalToBfloat16("0.1"));
    assertEquals((short) 0x7F7F, Halfs.decimalToBfloat16("3.3895313892515355e38")); // max
    // 2^128 - 2^119, the tie between the maximum and infinity, and just below it.
    assertEquals(
        (short) 0x7F80, Halfs.decimalToBfloat16("339617752923046005526922703901628039168"));
    assertEquals(
        (short) 0x7F7F, Halfs.decimalToBfloat16("339617752923046005526922703901628039167"));
    assertEquals((short) 0x7FC0, Halfs.decimalToBfloat16("NaN"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not json",
        "[]",
        "{\"model_name\": \"m\"}",
        "{\"outputs\": {}}",
        "{\"model_name\": 3, \"outputs\": []}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [2], \"data\": [1]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [2],"
            + " \"data\": [[1], [2, 3]]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [2, 1],"
            + " \"data\": [[1, 2]]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [\"1\"]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"INT8\", \"shape\": [1], \"data\": [128]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"INT32\", \"shape\": [1], \"data\": [1.0]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"UINT8\", \"shape\": [1], \"data\": [-1]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"INT64\", \"shape\": [1],"
            + " \"data\": [9223372036854775808]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"UINT64\", \"shape\": [1],"
            + " \"data\": [18446744073709551616]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"BOOL\", \"shape\": [1], \"data\": [1]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [1]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"BYTES\", \"shape\": [1],"
            + " \"data\": [{\"b64\": \"AA==\"}]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"COMPLEX64\", \"shape\": [0], \"data\": []}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [-1], \"data\": []}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [1.5], \"data\": [1]}]}",
        "{\"outputs\": [{\"datatype\": \"FP32\", \"shape\": [1], \"data\": [1]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [1]}]}",
        "{\"outputs\": [{\"name\": \"y\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1],"
            + " \"parameters\": {\"p\": [1]}}]}",
        "{\"outputs\": []} trailing",
      })
  void aBodyTheProtocolDoesNotDescribeIsInternal(String body) {
    ServingException e = assertThrows(ServingException.class, () -> read(body));
    assertEquals(Status.Code.INTERNAL, e.code(), body + ": " + e.getMessage());
  }
}
