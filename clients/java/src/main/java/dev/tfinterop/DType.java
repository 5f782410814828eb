package dev.tfinterop;

import java.util.EnumMap;
import java.util.Map;
import org.tensorflow.framework.DataType;

/** The dtypes TF Serving carries: TF's short name, element size and TensorProto typed field. */
public enum DType {
  FLOAT(DataType.DT_FLOAT, "float", 4, Field.FLOAT_VAL),
  DOUBLE(DataType.DT_DOUBLE, "double", 8, Field.DOUBLE_VAL),
  HALF(DataType.DT_HALF, "half", 2, Field.HALF_VAL),
  BFLOAT16(DataType.DT_BFLOAT16, "bfloat16", 2, Field.HALF_VAL),
  INT8(DataType.DT_INT8, "int8", 1, Field.INT_VAL),
  INT16(DataType.DT_INT16, "int16", 2, Field.INT_VAL),
  INT32(DataType.DT_INT32, "int32", 4, Field.INT_VAL),
  INT64(DataType.DT_INT64, "int64", 8, Field.INT64_VAL),
  UINT8(DataType.DT_UINT8, "uint8", 1, Field.INT_VAL),
  UINT16(DataType.DT_UINT16, "uint16", 2, Field.INT_VAL),
  UINT32(DataType.DT_UINT32, "uint32", 4, Field.UINT32_VAL),
  UINT64(DataType.DT_UINT64, "uint64", 8, Field.UINT64_VAL),
  BOOL(DataType.DT_BOOL, "bool", 1, Field.BOOL_VAL),
  STRING(DataType.DT_STRING, "string", 0, Field.STRING_VAL),
  COMPLEX64(DataType.DT_COMPLEX64, "complex64", 8, Field.SCOMPLEX_VAL),
  COMPLEX128(DataType.DT_COMPLEX128, "complex128", 16, Field.DCOMPLEX_VAL);

  /** The TensorProto field TF's Tensor::AsProtoField writes a dtype into. */
  public enum Field {
    FLOAT_VAL,
    DOUBLE_VAL,
    HALF_VAL,
    INT_VAL,
    INT64_VAL,
    UINT32_VAL,
    UINT64_VAL,
    BOOL_VAL,
    STRING_VAL,
    SCOMPLEX_VAL,
    DCOMPLEX_VAL
  }

  private static final Map<DataType, DType> BY_PROTO = new EnumMap<>(DataType.class);

  static {
    for (DType d : values()) {
      BY_PROTO.put(d.proto, d);
    }
  }

  private final DataType proto;
  private final String tfName;
  private final int size;
  private final Field field;

  DType(DataType proto, String tfName, int size, Field field) {
    this.proto = proto;
    this.tfName = tfName;
    this.size = size;
    this.field = field;
  }

  public DataType proto() {
    return proto;
  }

  /** TF's short name, as in "Expects arg[0] to be float". */
  public String tfName() {
    return tfName;
  }

  /** Bytes per element in tensor_content; 0 for strings. */
  public int size() {
    return size;
  }

  public Field field() {
    return field;
  }

  /** The DType of a DataType; INVALID_ARGUMENT when TF Serving does not carry it. */
  public static DType of(DataType proto) throws ServingException {
    DType d = BY_PROTO.get(proto);
    if (d == null) {
      throw ServingException.invalidArgument("unsupported tensor dtype " + proto);
    }
    return d;
  }

  /** The DType for a DataType number; INVALID_ARGUMENT when unknown. */
  public static DType ofNumber(int number) throws ServingException {
    DataType proto = DataType.forNumber(number);
    if (proto == null) {
      throw ServingException.invalidArgument("unsupported tensor dtype " + number);
    }
    return of(proto);
  }

  /** TF's short name for any DataType (used in messages about unsupported ones too). */
  public static String nameOf(DataType proto) {
    DType d = BY_PROTO.get(proto);
    return d != null ? d.tfName : proto.name();
  }
}
