package dev.tfinterop;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol's raw tensor contents ({@code raw_input_contents}, {@code raw_output_contents}): the
 * elements little-endian in row-major order, each BYTES element as a 4-byte little-endian length
 * and its bytes. That is TF's own layout for fixed-size dtypes, so a raw tensor is a {@link
 * HostTensor} byte for byte.
 */
public final class V2Raw {
  private V2Raw() {}

  /**
   * The elements of {@code raw} as a flat tensor (shape [n]); IllegalArgumentException naming
   * {@code what} when the bytes are not whole elements of {@code type}.
   */
  public static HostTensor decode(V2Datatype type, ByteString raw, String what) {
    if (type == V2Datatype.BYTES) {
      List<ByteString> values = strings(raw, what);
      return HostTensor.ofStrings(new long[] {values.size()}, values);
    }
    int size = type.dtype().size();
    if (raw.size() % size != 0) {
      throw new IllegalArgumentException(
          what
              + ": "
              + raw.size()
              + " raw bytes are not a whole number of "
              + type
              + " elements ("
              + size
              + " bytes each)");
    }
    return HostTensor.ofBytes(type.dtype(), new long[] {raw.size() / size}, raw.toByteArray());
  }

  private static List<ByteString> strings(ByteString raw, String what) {
    ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<ByteString> out = new ArrayList<>();
    while (b.hasRemaining()) {
      if (b.remaining() < 4) {
        throw new IllegalArgumentException(
            what + ": raw BYTES element " + out.size() + " has a truncated 4-byte length");
      }
      long length = Integer.toUnsignedLong(b.getInt());
      if (length > b.remaining()) {
        throw new IllegalArgumentException(
            what
                + ": raw BYTES element "
                + out.size()
                + " claims "
                + length
                + " bytes but "
                + b.remaining()
                + " remain");
      }
      ByteBuffer element = b.slice().limit((int) length);
      out.add(ByteString.copyFrom(element));
      b.position(b.position() + (int) length);
    }
    return out;
  }

  /** A tensor's elements in raw form. */
  public static ByteString encode(HostTensor t) {
    if (t.dtype() != DType.STRING) {
      return ByteString.copyFrom(t.buffer());
    }
    long size = 0;
    for (ByteString s : t.strings()) {
      size += 4 + s.size();
    }
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
    for (ByteString s : t.strings()) {
      out.putInt(s.size());
      s.copyTo(out);
    }
    return ByteString.copyFrom(out.flip());
  }
}
