package dev.tfinterop;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Protobuf helpers shared by the transports and the result writer. */
public final class Protos {
  private Protos() {}

  /** Serializes with sorted map keys, so equal messages give equal bytes. */
  public static ByteString deterministic(Message m) {
    return ByteString.copyFrom(deterministicBytes(m));
  }

  public static byte[] deterministicBytes(Message m) {
    byte[] out = new byte[m.getSerializedSize()];
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    cos.useDeterministicSerialization();
    try {
      m.writeTo(cos);
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
