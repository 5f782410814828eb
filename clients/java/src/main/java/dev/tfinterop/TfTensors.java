package dev.tfinterop;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * {@link HostTensor} to and from TF Java tensors, byte for byte through the raw buffer (strings
 * through TString's byte view, so non-UTF-8 bytes survive).
 *
 * <p>TF Java 1.1.0 registers tensor classes for float16/32/64, bfloat16, int32/64, uint8/16, bool
 * and string only; int8, int16, uint32, uint64 and complex tensors cannot be created or read
 * through its public API, so those are UNIMPLEMENTED in-process (the gRPC and REST transports carry
 * them).
 */
public final class TfTensors {
  private TfTensors() {}

  /** The TF Java class for a dtype, or null when TF Java 1.1.0 has none. */
  static Class<? extends TType> typeClass(DType dtype) {
    return switch (dtype) {
      case FLOAT -> TFloat32.class;
      case DOUBLE -> TFloat64.class;
      case HALF -> TFloat16.class;
      case BFLOAT16 -> TBfloat16.class;
      case INT32 -> TInt32.class;
      case INT64 -> TInt64.class;
      case UINT8 -> TUint8.class;
      case UINT16 -> TUint16.class;
      case BOOL -> TBool.class;
      case STRING -> TString.class;
      case INT8, INT16, UINT32, UINT64, COMPLEX64, COMPLEX128 -> null;
    };
  }

  public static boolean supported(DType dtype) {
    return typeClass(dtype) != null;
  }

  /** A new TF tensor holding {@code t}; the caller closes it. UNIMPLEMENTED for missing types. */
  public static Tensor toTensor(HostTensor t, String what) throws ServingException {
    Class<? extends TType> type = typeClass(t.dtype());
    if (type == null) {
      throw unsupported(t.dtype(), what);
    }
    Shape shape = Shape.of(t.shape());
    if (t.dtype() == DType.STRING) {
      byte[][] values = new byte[t.strings().size()][];
      for (int i = 0; i < values.length; i++) {
        values[i] = t.strings().get(i).toByteArray();
      }
      DataBuffer<byte[]> buffer = DataBuffers.ofObjects(values);
      return TString.tensorOfBytes(shape, buffer);
    }
    return Tensor.of(type, shape, DataBuffers.of(t.data(), true, false));
  }

  /** Copies a TF tensor out; it stays owned by the caller. */
  public static HostTensor fromTensor(Tensor tensor, String what) throws ServingException {
    DType dtype = DType.ofNumber(tensor.dataType().getNumber());
    if (!supported(dtype)) {
      throw unsupported(dtype, what);
    }
    long[] shape = tensor.shape().asArray();
    if (tensor instanceof TString s) {
      List<ByteString> values = new ArrayList<>(Math.toIntExact(tensor.shape().size()));
      s.asBytes().scalars().forEach(v -> values.add(ByteString.copyFrom(v.getObject())));
      return HostTensor.ofStrings(shape, values);
    }
    ByteDataBuffer raw = tensor.asRawTensor().data();
    byte[] data = new byte[Math.toIntExact(raw.size())];
    raw.read(data);
    return HostTensor.ofBytes(dtype, shape, data);
  }

  /**
   * A TF tensor as TF Serving answers it (typed fields, {@link TensorProtoCodec#encode}), numeric
   * elements read with one bulk copy; it stays owned by the caller.
   */
  public static TensorProto toProto(Tensor tensor, String what) throws ServingException {
    return toProto(tensor, TensorProtoCodec.shapeProto(tensor.shape().asArray()), what);
  }

  /**
   * As {@link #toProto(Tensor, String)}, with the tensor's shape given as the proto the answer
   * carries (a caller that sees the same output shape on every run builds it once).
   */
  static TensorProto toProto(Tensor tensor, TensorShapeProto shape, String what)
      throws ServingException {
    DType dtype = DType.ofNumber(tensor.dataType().getNumber());
    if (!supported(dtype)) {
      throw unsupported(dtype, what);
    }
    if (tensor instanceof TString) {
      return TensorProtoCodec.encode(fromTensor(tensor, what));
    }
    ByteDataBuffer raw = tensor.asRawTensor().data();
    byte[] data = new byte[Math.toIntExact(raw.size())];
    raw.read(data);
    return TensorProtoCodec.encode(
        dtype, shape, tensor.shape().size(), ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN));
  }

  private static ServingException unsupported(DType dtype, String what) {
    return ServingException.unimplemented(
        what
            + ": TF Java 1.1.0 has no tensor type for "
            + dtype.tfName()
            + " (it supports float, double, half, bfloat16, int32, int64, uint8, uint16, bool,"
            + " string)");
  }
}
