package dev.tfinterop;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A dense tensor in host memory, the one form every codec meets at: numeric elements as raw
 * little-endian bytes in row-major order (TF's own layout, as in tensor_content), strings as byte
 * strings (any bytes, not only UTF-8).
 */
public record HostTensor(DType dtype, long[] shape, byte[] data, List<ByteString> strings) {

  public HostTensor {
    shape = shape.clone();
    if (dtype == DType.STRING) {
      strings = List.copyOf(strings);
      if (strings.size() != elementCount(shape)) {
        throw new IllegalArgumentException(
            "string tensor has " + strings.size() + " values for shape " + Arrays.toString(shape));
      }
      data = null;
    } else {
      if (data.length != elementCount(shape) * dtype.size()) {
        throw new IllegalArgumentException(
            dtype.tfName()
                + " tensor has "
                + data.length
                + " bytes for shape "
                + Arrays.toString(shape));
      }
      strings = null;
    }
  }

  public static HostTensor ofBytes(DType dtype, long[] shape, byte[] data) {
    return new HostTensor(dtype, shape, data, null);
  }

  public static HostTensor ofStrings(long[] shape, List<ByteString> strings) {
    return new HostTensor(DType.STRING, shape, null, strings);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int i) {
    return shape[i];
  }

  public long size() {
    return elementCount(shape);
  }

  /** The raw bytes as a little-endian buffer (read-only view). */
  public ByteBuffer buffer() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor t
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(data, t.data)
        && java.util.Objects.equals(strings, t.strings);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return dtype.tfName() + Arrays.toString(shape);
  }
}
