package dev.tfinterop;

/**
 * The Open Inference Protocol's tensor datatypes (docs/CONTRACT.md "v2 transports"): the TF dtype
 * each stands for and the InferTensorContents field that carries it (none for FP16 and BF16, which
 * travel only in raw contents).
 */
public enum V2Datatype {
  BOOL(DType.BOOL, Contents.BOOL),
  UINT8(DType.UINT8, Contents.UINT),
  UINT16(DType.UINT16, Contents.UINT),
  UINT32(DType.UINT32, Contents.UINT),
  UINT64(DType.UINT64, Contents.UINT64),
  INT8(DType.INT8, Contents.INT),
  INT16(DType.INT16, Contents.INT),
  INT32(DType.INT32, Contents.INT),
  INT64(DType.INT64, Contents.INT64),
  FP16(DType.HALF, Contents.NONE),
  BF16(DType.BFLOAT16, Contents.NONE),
  FP32(DType.FLOAT, Contents.FP32),
  FP64(DType.DOUBLE, Contents.FP64),
  BYTES(DType.STRING, Contents.BYTES);

  /** The typed field of InferTensorContents a datatype's elements go in. */
  public enum Contents {
    BOOL,
    INT,
    INT64,
    UINT,
    UINT64,
    FP32,
    FP64,
    BYTES,
    /** No typed field: the protocol carries FP16 and BF16 only as raw little-endian bytes. */
    NONE
  }

  private final DType dtype;
  private final Contents contents;

  V2Datatype(DType dtype, Contents contents) {
    this.dtype = dtype;
    this.contents = contents;
  }

  /** The TF dtype, whose little-endian layout is also the datatype's raw form. */
  public DType dtype() {
    return dtype;
  }

  public Contents contents() {
    return contents;
  }

  /** The datatype a protocol name spells (case-sensitive, as the spec writes them), else null. */
  public static V2Datatype of(String name) {
    for (V2Datatype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }
}
