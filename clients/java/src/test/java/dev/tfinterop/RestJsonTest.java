package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writer and reader against each other over whole value ranges. The rules themselves (number forms,
 * NaN/Infinity, int64 beyond 2^53, b64, nesting, what is refused) are the shared vectors'
 * (RestVectorsTest).
 */
class RestJsonTest {

  private static HostTensor viaJson(HostTensor t) throws IOException {
    String json = RestJson.write(g -> RestJson.writeTensor(g, t));
    return RestJson.toTensor(RestJson.parse(json.getBytes(StandardCharsets.UTF_8)), t.dtype(), "t");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tfinterop.TensorProtoCodecTest#edgeTensors")
  void everyJsonDtypeRoundTripsBitExact(DType dtype, byte[] raw) throws Exception {
    if (dtype == DType.COMPLEX64 || dtype == DType.COMPLEX128) {
      return; // TF Serving's JSON has no complex numbers
    }
    HostTensor t = HostTensor.ofBytes(dtype, new long[] {raw.length / dtype.size()}, raw);
    HostTensor back = viaJson(t);
    if (dtype == DType.HALF || dtype == DType.BFLOAT16) {
      // NaN payloads are not carried by JSON; every other value is.
      ByteBuffer a = t.buffer();
      ByteBuffer b = back.buffer();
      for (int i = 0; i < t.size(); i++) {
        float x =
            dtype == DType.HALF
                ? Halfs.halfToFloat(a.getShort(2 * i))
                : Halfs.bfloat16ToFloat(a.getShort(2 * i));
        if (!Float.isNaN(x)) {
          assertEquals(a.getShort(2 * i), b.getShort(2 * i), "element " + i);
        }
      }
      return;
    }
    assertEquals(t, back);
  }

  @Test
  void float32RoundTripIsExactForRandomBits() throws Exception {
    SplittableRandom r = new SplittableRandom(7);
    float[] v = new float[20_000];
    for (int i = 0; i < v.length; i++) {
      float f;
      do {
        f = Float.intBitsToFloat(r.nextInt());
      } while (Float.isNaN(f));
      v[i] = f;
    }
    HostTensor t =
        HostTensor.ofBytes(DType.FLOAT, new long[] {v.length}, TensorProtoCodecTest.floats(v));
    assertEquals(t, viaJson(t));
  }

  @Test
  void stringBytesSurviveParsingWhetherUtf8OrNot() throws Exception {
    // TF Serving writes a string tensor's bytes unvalidated: 2- to 4-byte UTF-8, an encoded
    // surrogate, a cut sequence and random bytes (JSON's specials left out) come back as sent.
    SplittableRandom r = new SplittableRandom(11);
    List<byte[]> values = new ArrayList<>();
    values.add("é\u20ac\ud83d\ude00".getBytes(StandardCharsets.UTF_8));
    values.add(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xC3});
    for (int n = 0; n < 500; n++) {
      byte[] v = new byte[r.nextInt(12)];
      for (int i = 0; i < v.length; i++) {
        do {
          v[i] = (byte) r.nextInt(256);
        } while (v[i] == '"' || v[i] == '\\' || (v[i] >= 0 && v[i] < 0x20));
      }
      values.add(v);
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write('[');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        body.write(',');
      }
      body.write('"');
      body.write(values.get(i));
      body.write('"');
    }
    body.write(']');
    HostTensor t = RestJson.toTensor(RestJson.parse(body.toByteArray()), DType.STRING, "t");
    for (int i = 0; i < values.size(); i++) {
      assertEquals(
          HexFormat.of().formatHex(values.get(i)),
          HexFormat.of().formatHex(t.strings().get(i).toByteArray()),
          "value " + i);
    }
  }
}
