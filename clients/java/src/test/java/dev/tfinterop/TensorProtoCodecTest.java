package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.TensorProto;

class TensorProtoCodecTest {

  /** Edge values of every numeric dtype, as raw little-endian bytes of a [n] tensor. */
  static Stream<Arguments> edgeTensors() {
    return Stream.of(
        Arguments.of(
            DType.FLOAT,
            floats(
                Float.NaN,
                Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY,
                -0.0f,
                0.0f,
                Float.MIN_VALUE,
                Float.MAX_VALUE,
                -Float.MAX_VALUE,
                Float.MIN_NORMAL,
                0.1f,
                1e-38f)),
        Arguments.of(
            DType.DOUBLE,
            doubles(
                Double.NaN,
                Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY,
                -0.0,
                Double.MIN_VALUE,
                Double.MAX_VALUE,
                0.1)),
        Arguments.of(DType.HALF, shorts(0x7E00, 0x7C00, 0xFC00, 0x8000, 0x0001, 0x7BFF, 0x3C00)),
        Arguments.of(DType.BFLOAT16, shorts(0x7FC0, 0x7F80, 0xFF80, 0x8000, 0x0001, 0x7F7F)),
        Arguments.of(DType.INT8, new byte[] {-128, -1, 0, 1, 127}),
        Arguments.of(DType.UINT8, new byte[] {0, 1, (byte) 0x80, (byte) 0xFF}),
        Arguments.of(DType.INT16, shorts(0x8000, 0xFFFF, 0, 1, 0x7FFF)),
        Arguments.of(DType.UINT16, shorts(0, 1, 0x8000, 0xFFFF)),
        Arguments.of(DType.INT32, ints(Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE)),
        Arguments.of(DType.UINT32, ints(0, 1, Integer.MIN_VALUE, -1)),
        Arguments.of(DType.INT64, longs(Long.MIN_VALUE, -1, 0, (1L << 53) + 1, Long.MAX_VALUE)),
        Arguments.of(DType.UINT64, longs(0, 1, Long.MIN_VALUE, -1)),
        Arguments.of(DType.BOOL, new byte[] {0, 1, 1, 0}),
        Arguments.of(DType.COMPLEX64, floats(1.5f, -2.5f, Float.NaN, Float.NEGATIVE_INFINITY)),
        Arguments.of(DType.COMPLEX128, doubles(1.5, -2.5, -0.0, Double.MAX_VALUE)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edgeTensors")
  void typedFieldsRoundTripBitExact(DType dtype, byte[] raw) throws Exception {
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {raw.length / dtype.size()}, raw);
    TensorProto proto = TensorProtoCodec.encode(t);
    assertEquals(0, proto.getTensorContent().size(), "typed fields, not tensor_content");
    assertEquals(t, TensorProtoCodec.decode(proto));
    // And through the wire bytes.
    assertEquals(t, TensorProtoCodec.decode(TensorProto.parseFrom(proto.toByteArray())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edgeTensors")
  void tensorContentRoundTripBitExact(DType dtype, byte[] raw) throws Exception {
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {1, raw.length / dtype.size()}, raw);
    TensorProto proto = TensorProtoCodec.encodeContent(t);
    assertEquals(raw.length, proto.getTensorContent().size());
    assertEquals(t, TensorProtoCodec.decode(proto));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edgeTensors")
  void shortTypedListIsPaddedWithItsLastValue(DType dtype, byte[] raw) throws Exception {
    int n = raw.length / dtype.size();
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {n}, raw);
    TensorProto sent =
        TensorProtoCodec.encode(t).toBuilder()
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {n + 3}))
            .build();
    HostTensor got = TensorProtoCodec.decode(sent);
    byte[] want = new byte[(n + 3) * dtype.size()];
    System.arraycopy(raw, 0, want, 0, raw.length);
    for (int i = n; i < n + 3; i++) {
      System.arraycopy(raw, raw.length - dtype.size(), want, i * dtype.size(), dtype.size());
    }
    assertArrayEquals(want, got.data());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = DType.class,
      names = {"STRING"},
      mode = EnumSource.Mode.EXCLUDE)
  void emptyTypedListGivesZeros(DType dtype) throws Exception {
    TensorProto p =
        TensorProto.newBuilder()
            .setDtype(dtype.proto())
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {2, 2}))
            .build();
    assertArrayEquals(new byte[4 * dtype.size()], TensorProtoCodec.decode(p).data());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = DType.class,
      names = {"STRING"},
      mode = EnumSource.Mode.EXCLUDE)
  void tensorContentOfTheWrongSizeIsInvalidArgument(DType dtype) {
    TensorProto p =
        TensorProto.newBuilder()
            .setDtype(dtype.proto())
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {3}))
            .setTensorContent(ByteString.copyFrom(new byte[3 * dtype.size() - 1]))
            .build();
    assertCode(Status.Code.INVALID_ARGUMENT, p);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edgeTensors")
  void longerTypedListKeepsItsFirstValues(DType dtype, byte[] raw) throws Exception {
    // Tensor::FromProto copies the first n values and ignores the rest; TF Serving serves it.
    int n = raw.length / dtype.size();
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {n}, raw);
    TensorProto sent =
        TensorProtoCodec.encode(t).toBuilder()
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {n - 1}))
            .build();
    HostTensor got = TensorProtoCodec.decode(sent);
    assertArrayEquals(new long[] {n - 1}, got.shape());
    assertArrayEquals(Arrays.copyOf(raw, (n - 1) * dtype.size()), got.data());
  }

  @Test
  void longerStringListKeepsItsFirstValues() throws Exception {
    TensorProto p =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_STRING)
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {2}))
            .addStringVal(ByteString.copyFromUtf8("a"))
            .addStringVal(ByteString.copyFromUtf8("b"))
            .addStringVal(ByteString.copyFromUtf8("c"))
            .build();
    assertEquals(
        List.of(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("b")),
        TensorProtoCodec.decode(p).strings());
  }

  @Test
  void complexListCountsWholePairsOnly() throws Exception {
    // ProtoHelper<complex64>::NumElements is scomplex_val_size() / 2: a dangling real part is
    // never read, and the last whole pair pads the rest.
    TensorProto p =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_COMPLEX64)
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {2}))
            .addScomplexVal(1)
            .addScomplexVal(-1)
            .addScomplexVal(7)
            .build();
    assertArrayEquals(floats(1, -1, 1, -1), TensorProtoCodec.decode(p).data());
  }

  @Test
  void badShapesAreInvalidArgument() {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT);
    assertCode(
        Status.Code.INVALID_ARGUMENT,
        b.clone().setTensorShape(TensorProtoCodec.shapeProto(new long[] {-1})).build());
    assertCode(
        Status.Code.INVALID_ARGUMENT,
        b.clone()
            .setTensorShape(
                TensorProtoCodec.shapeProto(new long[0]).toBuilder().setUnknownRank(true))
            .build());
    assertCode(
        Status.Code.INVALID_ARGUMENT,
        b.clone()
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {1L << 20, 1L << 20}))
            .build());
  }

  @Test
  void unsupportedDtypeIsInvalidArgument() {
    TensorProto p = TensorProto.newBuilder().setDtype(DataType.DT_RESOURCE).build();
    assertCode(Status.Code.INVALID_ARGUMENT, p);
  }

  @Test
  void decodeStringTensorKeepsEmptyAndNonUtf8Bytes() throws Exception {
    List<ByteString> values =
        List.of(
            ByteString.EMPTY,
            ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 0x41}),
            ByteString.copyFromUtf8("héllo"));
    HostTensor t = HostTensor.ofStrings(new long[] {3}, values);
    TensorProto p = TensorProtoCodec.encode(t);
    assertEquals(values, p.getStringValList());
    assertEquals(t, TensorProtoCodec.decode(p));
  }

  @Test
  void shortStringListIsPaddedWithItsLastValue() throws Exception {
    TensorProto p =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_STRING)
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {3}))
            .addStringVal(ByteString.copyFromUtf8("a"))
            .addStringVal(ByteString.copyFromUtf8("b"))
            .build();
    assertEquals(
        List.of(
            ByteString.copyFromUtf8("a"),
            ByteString.copyFromUtf8("b"),
            ByteString.copyFromUtf8("b")),
        TensorProtoCodec.decode(p).strings());
  }

  @Test
  void stringTensorContentIsTensorFlowsEncodedList() throws Exception {
    // Two varint lengths (1, 2), then the bytes: TF's EncodeStringList.
    TensorProto p =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_STRING)
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {2}))
            .setTensorContent(ByteString.copyFrom(new byte[] {1, 2, 'a', (byte) 0xFF, 'c'}))
            .build();
    assertEquals(
        List.of(ByteString.copyFromUtf8("a"), ByteString.copyFrom(new byte[] {(byte) 0xFF, 'c'})),
        TensorProtoCodec.decode(p).strings());
  }

  @Test
  void scalarHasEmptyShapeAndOneValue() throws Exception {
    TensorProto p = TensorProto.newBuilder().setDtype(DataType.DT_INT64).addInt64Val(42).build();
    HostTensor t = TensorProtoCodec.decode(p);
    assertEquals(0, t.rank());
    assertEquals(42L, t.buffer().getLong(0));
  }

  @Test
  void narrowIntegersTravelSignOrZeroExtendedInIntVal() {
    assertEquals(
        List.of(-128, 127),
        TensorProtoCodec.encode(
                HostTensor.ofBytes(DType.INT8, new long[] {2}, new byte[] {-128, 127}))
            .getIntValList());
    assertEquals(
        List.of(255, 128),
        TensorProtoCodec.encode(
                HostTensor.ofBytes(
                    DType.UINT8, new long[] {2}, new byte[] {(byte) 255, (byte) 128}))
            .getIntValList());
    assertEquals(
        List.of(65535),
        TensorProtoCodec.encode(HostTensor.ofBytes(DType.UINT16, new long[] {1}, shorts(0xFFFF)))
            .getIntValList());
  }

  private static void assertCode(Status.Code code, TensorProto p) {
    ServingException e = assertThrows(ServingException.class, () -> TensorProtoCodec.decode(p));
    assertEquals(code, e.code(), e.getMessage());
  }

  static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  static byte[] floats(float... v) {
    ByteBuffer b = le(4 * v.length);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  static byte[] doubles(double... v) {
    ByteBuffer b = le(8 * v.length);
    for (double d : v) {
      b.putDouble(d);
    }
    return b.array();
  }

  static byte[] shorts(int... v) {
    ByteBuffer b = le(2 * v.length);
    for (int s : v) {
      b.putShort((short) s);
    }
    return b.array();
  }

  static byte[] ints(int... v) {
    ByteBuffer b = le(4 * v.length);
    for (int i : v) {
      b.putInt(i);
    }
    return b.array();
  }

  static byte[] longs(long... v) {
    ByteBuffer b = le(8 * v.length);
    for (long l : v) {
      b.putLong(l);
    }
    return b.array();
  }
}
