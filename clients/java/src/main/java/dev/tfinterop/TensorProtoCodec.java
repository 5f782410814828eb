package dev.tfinterop;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;

/**
 * TensorProto to and from {@link HostTensor}, with the checks TF's Tensor::FromProto makes.
 *
 * <p>Reads tensor_content and every typed {@code *_val} field. A typed list is fitted to the shape
 * as TensorFlow's FromProtoField fits it: the first values of a longer list are kept (TF Serving
 * serves such a request), a short list is padded with its last value (zero or the empty string when
 * empty). tensor_content of the wrong size is INVALID_ARGUMENT. Writes typed fields, like TF
 * Serving's Tensor::AsProtoField.
 */
public final class TensorProtoCodec {
  /** Refuse absurd allocations before trying them (a hostile shape can claim 10^12). */
  static final long MAX_ELEMENTS = 1L << 31;

  private TensorProtoCodec() {}

  /** The proto's shape, checked: known rank, no negative size, bounded element count. */
  public static long[] shapeOf(TensorProto proto) throws ServingException {
    TensorShapeProto shape = proto.getTensorShape();
    if (shape.getUnknownRank()) {
      throw ServingException.invalidArgument("tensor shape has unknown rank");
    }
    long[] dims = new long[shape.getDimCount()];
    long count = 1;
    for (int i = 0; i < dims.length; i++) {
      dims[i] = shape.getDim(i).getSize();
      if (dims[i] < 0) {
        throw ServingException.invalidArgument(
            "tensor shape has a negative dimension: " + Arrays.toString(dims));
      }
      count *= dims[i];
      if (count > MAX_ELEMENTS) {
        throw ServingException.invalidArgument(
            "tensor shape " + Arrays.toString(dims) + " has too many elements");
      }
    }
    return dims;
  }

  /** Decodes a TensorProto; INVALID_ARGUMENT when its content and shape disagree. */
  public static HostTensor decode(TensorProto proto) throws ServingException {
    DType dtype = DType.of(proto.getDtype());
    long[] shape = shapeOf(proto);
    int count = Math.toIntExact(HostTensor.elementCount(shape));
    if (dtype == DType.STRING) {
      List<ByteString> values =
          proto.getTensorContent().isEmpty()
              ? proto.getStringValList()
              : decodeStringContent(proto.getTensorContent(), count);
      return HostTensor.ofStrings(shape, fit(values, count));
    }
    if (!proto.getTensorContent().isEmpty()) {
      long want = (long) count * dtype.size();
      if (proto.getTensorContent().size() != want) {
        throw ServingException.invalidArgument(
            "tensor_content holds "
                + proto.getTensorContent().size()
                + " bytes but "
                + dtype.tfName()
                + Arrays.toString(shape)
                + " needs "
                + want);
      }
      return HostTensor.ofBytes(dtype, shape, proto.getTensorContent().toByteArray());
    }
    return HostTensor.ofBytes(dtype, shape, typedValues(proto, dtype, count));
  }

  private static byte[] typedValues(TensorProto p, DType dtype, int count) {
    int n =
        switch (dtype.field()) {
          case FLOAT_VAL -> p.getFloatValCount();
          case DOUBLE_VAL -> p.getDoubleValCount();
          case HALF_VAL -> p.getHalfValCount();
          case INT_VAL -> p.getIntValCount();
          case INT64_VAL -> p.getInt64ValCount();
          case UINT32_VAL -> p.getUint32ValCount();
          case UINT64_VAL -> p.getUint64ValCount();
          case BOOL_VAL -> p.getBoolValCount();
          // (re, im) pairs; a dangling component is ignored (ProtoHelper<complex>::NumElements).
          case SCOMPLEX_VAL -> p.getScomplexValCount() / 2;
          case DCOMPLEX_VAL -> p.getDcomplexValCount() / 2;
          case STRING_VAL -> throw new IllegalStateException("strings are not numeric");
        };
    ByteBuffer out = ByteBuffer.allocate(count * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      // FromProtoField: values past the shape are never read, a short list repeats its last
      // value, an empty one gives zeros.
      int j = Math.min(i, n - 1);
      if (j < 0) {
        break;
      }
      switch (dtype) {
        case FLOAT -> out.putFloat(p.getFloatVal(j));
        case DOUBLE -> out.putDouble(p.getDoubleVal(j));
        case HALF, BFLOAT16 -> out.putShort((short) p.getHalfVal(j));
        case INT8, UINT8 -> out.put((byte) p.getIntVal(j));
        case INT16, UINT16 -> out.putShort((short) p.getIntVal(j));
        case INT32 -> out.putInt(p.getIntVal(j));
        case INT64 -> out.putLong(p.getInt64Val(j));
        case UINT32 -> out.putInt(p.getUint32Val(j));
        case UINT64 -> out.putLong(p.getUint64Val(j));
        case BOOL -> out.put((byte) (p.getBoolVal(j) ? 1 : 0));
        case COMPLEX64 ->
            out.putFloat(p.getScomplexVal(2 * j)).putFloat(p.getScomplexVal(2 * j + 1));
        case COMPLEX128 ->
            out.putDouble(p.getDcomplexVal(2 * j)).putDouble(p.getDcomplexVal(2 * j + 1));
        case STRING -> throw new IllegalStateException("strings are not numeric");
      }
    }
    return out.array();
  }

  private static List<ByteString> fit(List<ByteString> values, int count) {
    int n = values.size();
    if (n == count) {
      return values;
    }
    if (n > count) {
      return values.subList(0, count);
    }
    List<ByteString> out = new ArrayList<>(count);
    out.addAll(values);
    ByteString fill = n > 0 ? values.get(n - 1) : ByteString.EMPTY;
    while (out.size() < count) {
      out.add(fill);
    }
    return out;
  }

  /** TF's string tensor_content: all lengths as varints, then all bytes (EncodeStringList). */
  private static List<ByteString> decodeStringContent(ByteString content, int count)
      throws ServingException {
    try {
      CodedInputStream in = content.newCodedInput();
      int[] lengths = new int[count];
      for (int i = 0; i < count; i++) {
        lengths[i] = in.readRawVarint32();
      }
      List<ByteString> out = new ArrayList<>(count);
      for (int len : lengths) {
        out.add(ByteString.copyFrom(in.readRawBytes(len)));
      }
      if (!in.isAtEnd()) {
        throw ServingException.invalidArgument("string tensor_content has trailing bytes");
      }
      return out;
    } catch (IOException e) {
      throw ServingException.invalidArgument(
          "string tensor_content does not hold " + count + " strings");
    }
  }

  /** Encodes as TF Serving answers: dtype, shape and the typed field. */
  public static TensorProto encode(HostTensor t) {
    if (t.dtype() == DType.STRING) {
      return TensorProto.newBuilder()
          .setDtype(t.dtype().proto())
          .setTensorShape(shapeProto(t.shape()))
          .addAllStringVal(t.strings())
          .build();
    }
    return encode(t.dtype(), t.shape(), t.buffer());
  }

  /** Encodes numeric elements read from {@code in} (little-endian, row-major) as typed fields. */
  static TensorProto encode(DType dtype, long[] shape, ByteBuffer in) {
    return encode(dtype, shapeProto(shape), HostTensor.elementCount(shape), in);
  }

  /** As above, with the shape already a proto and its element count {@code n}. */
  static TensorProto encode(DType dtype, TensorShapeProto shape, long n, ByteBuffer in) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(dtype.proto()).setTensorShape(shape);
    for (long i = 0; i < n; i++) {
      switch (dtype) {
        case FLOAT -> b.addFloatVal(in.getFloat());
        case DOUBLE -> b.addDoubleVal(in.getDouble());
        case HALF, BFLOAT16 -> b.addHalfVal(Short.toUnsignedInt(in.getShort()));
        case INT8 -> b.addIntVal(in.get());
        case UINT8 -> b.addIntVal(Byte.toUnsignedInt(in.get()));
        case INT16 -> b.addIntVal(in.getShort());
        case UINT16 -> b.addIntVal(Short.toUnsignedInt(in.getShort()));
        case INT32 -> b.addIntVal(in.getInt());
        case INT64 -> b.addInt64Val(in.getLong());
        case UINT32 -> b.addUint32Val(in.getInt());
        case UINT64 -> b.addUint64Val(in.getLong());
        case BOOL -> b.addBoolVal(in.get() != 0);
        case COMPLEX64 -> b.addScomplexVal(in.getFloat()).addScomplexVal(in.getFloat());
        case COMPLEX128 -> b.addDcomplexVal(in.getDouble()).addDcomplexVal(in.getDouble());
        case STRING -> throw new IllegalStateException("strings are not numeric");
      }
    }
    return b.build();
  }

  /** Encodes numeric elements as tensor_content (how the MNIST single-image requests travel). */
  public static TensorProto encodeContent(HostTensor t) {
    if (t.dtype() == DType.STRING) {
      return encode(t);
    }
    return TensorProto.newBuilder()
        .setDtype(t.dtype().proto())
        .setTensorShape(shapeProto(t.shape()))
        .setTensorContent(ByteString.copyFrom(t.data()))
        .build();
  }

  public static TensorShapeProto shapeProto(long[] shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : shape) {
      b.addDimBuilder().setSize(d);
    }
    return b.build();
  }
}
