package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Tensor;

class TfTensorsTest {

  static Stream<Arguments> supportedEdgeTensors() {
    return TensorProtoCodecTest.edgeTensors().filter(a -> TfTensors.supported((DType) a.get()[0]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("supportedEdgeTensors")
  void roundTripThroughTfJavaIsBitExact(DType dtype, byte[] raw) throws Exception {
    int n = raw.length / dtype.size();
    for (long[] shape : List.of(new long[] {n}, new long[] {1, n})) {
      HostTensor t = HostTensor.ofBytes(dtype, shape, raw);
      try (Tensor tf = TfTensors.toTensor(t, "x")) {
        assertEquals(dtype.proto().getNumber(), tf.dataType().getNumber());
        assertEquals(t, TfTensors.fromTensor(tf, "x"));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("supportedEdgeTensors")
  void toProtoEncodesWhatTheHostTensorPathEncodes(DType dtype, byte[] raw) throws Exception {
    int n = raw.length / dtype.size();
    for (long[] shape : List.of(new long[] {n}, new long[] {1, n}, new long[0])) {
      byte[] bytes = shape.length == 0 ? java.util.Arrays.copyOf(raw, dtype.size()) : raw;
      HostTensor t = HostTensor.ofBytes(dtype, shape, bytes);
      try (Tensor tf = TfTensors.toTensor(t, "x")) {
        assertEquals(
            TensorProtoCodec.encode(TfTensors.fromTensor(tf, "x")), TfTensors.toProto(tf, "x"));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = DType.class,
      names = {"FLOAT", "INT64", "BOOL", "UINT8"})
  void scalarsAndEmptyTensorsRoundTrip(DType dtype) throws Exception {
    for (long[] shape : List.of(new long[0], new long[] {0}, new long[] {0, 3})) {
      HostTensor t =
          HostTensor.ofBytes(
              dtype, shape, new byte[(int) HostTensor.elementCount(shape) * dtype.size()]);
      try (Tensor tf = TfTensors.toTensor(t, "x")) {
        assertEquals(t, TfTensors.fromTensor(tf, "x"));
      }
    }
  }

  @Test
  void stringTensorKeepsEmptyAndNonUtf8Bytes() throws Exception {
    HostTensor t =
        HostTensor.ofStrings(
            new long[] {2, 2},
            List.of(
                ByteString.EMPTY,
                ByteString.copyFrom(new byte[] {(byte) 0xC3, (byte) 0x28}),
                ByteString.copyFromUtf8("ok"),
                ByteString.copyFrom(new byte[] {0, (byte) 0xFF, 0})));
    try (Tensor tf = TfTensors.toTensor(t, "x")) {
      assertEquals(t, TfTensors.fromTensor(tf, "x"));
    }
    HostTensor scalar = HostTensor.ofStrings(new long[0], List.of(ByteString.copyFromUtf8("s")));
    try (Tensor tf = TfTensors.toTensor(scalar, "x")) {
      assertEquals(scalar, TfTensors.fromTensor(tf, "x"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = DType.class,
      names = {"INT8", "INT16", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128"})
  void dtypesTfJavaLacksAreUnimplemented(DType dtype) {
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {1}, new byte[dtype.size()]);
    ServingException e =
        assertThrows(ServingException.class, () -> TfTensors.toTensor(t, "input x"));
    assertEquals(Status.Code.UNIMPLEMENTED, e.code());
  }
}
