package dev.tfinterop;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TF Serving's JSON tensor encoding (util/json_tensor.cc), exact in both directions.
 *
 * <p>Floats are written in the shortest form that parses back to the same double (a float32 as its
 * exact double value) and read straight from the decimal text into float or double (no detour
 * through another type), NaN and Infinity as bare tokens; integers are read as BigInteger and
 * range-checked, so int64 and uint64 beyond 2^53 stay exact. Strings are JSON strings when valid
 * UTF-8, else {"b64": ...}.
 */
public final class RestJson {
  static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
          .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
          .disable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .build();

  private RestJson() {}

  /** A JSON number kept as its text, so no precision is lost before its dtype is known. */
  public record Number(String text) {}

  /**
   * A response body as a JSON value tree: Map, List, String, Boolean, {@link Number} or null;
   * IOException when it is not one JSON value.
   *
   * <p>TF Serving writes a string tensor's bytes into its JSON strings as they are, UTF-8 or not.
   * Bytes that are not UTF-8 are kept as the lone surrogates U+DC80..U+DCFF (Python's
   * "surrogateescape"), which {@link #toTensor} turns back into the same bytes.
   */
  public static Object parse(byte[] body) throws IOException {
    return parse(decodeKeepingBytes(body));
  }

  private static Object parse(String json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      p.nextToken();
      Object v = read(p);
      if (p.nextToken() != null) {
        throw new IOException("trailing content after the JSON value");
      }
      return v;
    }
  }

  private static Object read(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) {
      throw new IOException("empty JSON");
    }
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String k = p.currentName();
          p.nextToken();
          m.put(k, read(p));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          l.add(read(p));
        }
        return l;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return new Number(p.getText());
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new IOException("unexpected JSON token " + t);
    }
  }

  /** Writes a JSON document with {@code body} filling it. */
  public static String write(JsonBody body) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Something that writes itself into a generator. */
  @FunctionalInterface
  public interface JsonBody {
    void write(JsonGenerator g) throws IOException;
  }

  private static String decodeKeepingBytes(byte[] body) {
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body);
    // UTF-8 never takes fewer bytes than UTF-16 chars, and each kept byte is one char.
    CharBuffer out = CharBuffer.allocate(body.length);
    CoderResult r;
    while ((r = utf8.decode(in, out, true)).isError()) {
      for (int i = 0; i < r.length(); i++) {
        out.put((char) (0xDC00 | (in.get() & 0xFF)));
      }
    }
    if (r.isOverflow() || utf8.flush(out).isOverflow()) {
      throw new IllegalStateException("UTF-8 decoded to more chars than bytes");
    }
    return out.flip().toString();
  }

  /**
   * A parsed JSON string as bytes: UTF-8, with the bytes {@link #parse} kept as U+DCxx. (An escaped
   * U+DC80..U+DCFF would read as one byte too; TF Serving's writer escapes only control
   * characters.)
   */
  static ByteString keptBytes(String s) {
    if (s.chars().noneMatch(c -> c >= 0xDC80 && c <= 0xDCFF)) {
      return ByteString.copyFromUtf8(s);
    }
    ByteString.Output out = ByteString.newOutput(s.length() * 3);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        out.write(0xF0 | cp >> 18);
        out.write(0x80 | (cp >> 12 & 0x3F));
        out.write(0x80 | (cp >> 6 & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      } else if (c >= 0xDC80 && c <= 0xDCFF) {
        out.write(c & 0xFF);
      } else if (c < 0x80) {
        out.write(c);
      } else if (c < 0x800) {
        out.write(0xC0 | c >> 6);
        out.write(0x80 | (c & 0x3F));
      } else {
        // The rest of the BMP; a lone surrogate (from a JSON unicode escape) as RapidJSON has it.
        out.write(0xE0 | c >> 12);
        out.write(0x80 | (c >> 6 & 0x3F));
        out.write(0x80 | (c & 0x3F));
      }
    }
    return out.toByteString();
  }

  // ---- tensors to JSON ----

  /** Writes the whole tensor as nested lists (a bare value for a scalar). */
  public static void writeTensor(JsonGenerator g, HostTensor t) throws IOException {
    writeNested(g, t, 0, 0);
  }

  /** Writes element slice {@code i} along dimension 0 (one example of a row request). */
  public static void writeExample(JsonGenerator g, HostTensor t, long i) throws IOException {
    long stride = HostTensor.elementCount(t.shape()) / Math.max(t.dim(0), 1);
    writeNested(g, t, 1, i * stride);
  }

  private static void writeNested(JsonGenerator g, HostTensor t, int axis, long offset)
      throws IOException {
    if (axis == t.rank()) {
      writeElement(g, t, Math.toIntExact(offset));
      return;
    }
    long[] shape = t.shape();
    long stride = 1;
    for (int a = axis + 1; a < shape.length; a++) {
      stride *= shape[a];
    }
    g.writeStartArray();
    for (long k = 0; k < shape[axis]; k++) {
      writeNested(g, t, axis + 1, offset + k * stride);
    }
    g.writeEndArray();
  }

  private static void writeElement(JsonGenerator g, HostTensor t, int i) throws IOException {
    if (t.dtype() == DType.STRING) {
      writeString(g, t.strings().get(i));
      return;
    }
    ByteBuffer b = t.buffer();
    int at = i * t.dtype().size();
    switch (t.dtype()) {
      // A float32 is written as its exact double value (shortest double form): the reader's
      // double parse is then exact and its cast back to float gives the same bits, with no
      // double rounding, and FLT_MAX stays within TF Serving's |v| <= FLT_MAX check (the
      // shortest float form "3.4028235E38" does not).
      case FLOAT -> g.writeNumber((double) b.getFloat(at));
      case DOUBLE -> g.writeNumber(b.getDouble(at));
      case HALF -> g.writeNumber((double) Halfs.halfToFloat(b.getShort(at)));
      case BFLOAT16 -> g.writeNumber((double) Halfs.bfloat16ToFloat(b.getShort(at)));
      case INT8 -> g.writeNumber(b.get(at));
      case UINT8 -> g.writeNumber(Byte.toUnsignedInt(b.get(at)));
      case INT16 -> g.writeNumber(b.getShort(at));
      case UINT16 -> g.writeNumber(Short.toUnsignedInt(b.getShort(at)));
      case INT32 -> g.writeNumber(b.getInt(at));
      case UINT32 -> g.writeNumber(Integer.toUnsignedLong(b.getInt(at)));
      case INT64 -> g.writeNumber(b.getLong(at));
      case UINT64 -> g.writeNumber(new BigInteger(Long.toUnsignedString(b.getLong(at))));
      case BOOL -> g.writeBoolean(b.get(at) != 0);
      case COMPLEX64, COMPLEX128 ->
          throw new IllegalArgumentException("TF Serving's JSON has no complex numbers");
      case STRING -> throw new IllegalStateException("strings are handled above");
    }
  }

  /** A JSON string when the bytes are valid UTF-8, else {"b64": "..."}. */
  static void writeString(JsonGenerator g, ByteString bytes) throws IOException {
    String text = utf8(bytes);
    if (text != null) {
      g.writeString(text);
    } else {
      g.writeStartObject();
      g.writeStringField("b64", Base64.getEncoder().encodeToString(bytes.toByteArray()));
      g.writeEndObject();
    }
  }

  static String utf8(ByteString bytes) {
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(bytes.asReadOnlyByteBuffer());
      return chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  // ---- JSON to tensors ----

  /** A JSON value read as a tensor of {@code dtype}; shape from the nesting. */
  public static HostTensor toTensor(Object json, DType dtype, String what) throws IOException {
    List<Long> dims = new ArrayList<>();
    Object v = json;
    while (v instanceof List<?> l) {
      dims.add((long) l.size());
      v = l.isEmpty() ? null : l.get(0);
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    List<Object> flat = new ArrayList<>();
    flatten(json, 0, shape, flat, what);
    return fromFlat(flat, dtype, shape, what);
  }

  /** Stacks per-example values (a row response) into one tensor with a leading batch dim. */
  public static HostTensor stack(List<Object> examples, DType dtype, String what)
      throws IOException {
    return toTensor(examples, dtype, what);
  }

  private static void flatten(Object v, int axis, long[] shape, List<Object> out, String what)
      throws IOException {
    if (axis == shape.length) {
      if (v instanceof List<?>) {
        throw new IOException(what + ": ragged nesting (deeper list than its siblings)");
      }
      out.add(v);
      return;
    }
    if (!(v instanceof List<?> l) || l.size() != shape[axis]) {
      throw new IOException(what + ": ragged nesting at depth " + axis);
    }
    for (Object e : l) {
      flatten(e, axis + 1, shape, out, what);
    }
  }

  private static HostTensor fromFlat(List<Object> flat, DType dtype, long[] shape, String what)
      throws IOException {
    if (dtype == DType.STRING) {
      List<ByteString> values = new ArrayList<>(flat.size());
      for (Object v : flat) {
        values.add(stringValue(v, what));
      }
      return HostTensor.ofStrings(shape, values);
    }
    ByteBuffer out = ByteBuffer.allocate(flat.size() * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
    for (Object v : flat) {
      putElement(out, v, dtype, what);
    }
    return HostTensor.ofBytes(dtype, shape, out.array());
  }

  private static ByteString stringValue(Object v, String what) throws IOException {
    if (v instanceof String s) {
      return keptBytes(s);
    }
    if (v instanceof Map<?, ?> m && m.size() == 1 && m.get("b64") instanceof String b64) {
      try {
        return ByteString.copyFrom(Base64.getDecoder().decode(b64));
      } catch (IllegalArgumentException e) {
        throw new IOException(what + ": bad base64: " + e.getMessage());
      }
    }
    throw new IOException(what + ": expected a string or {\"b64\": ...}, got " + v);
  }

  private static void putElement(ByteBuffer out, Object v, DType dtype, String what)
      throws IOException {
    if (dtype == DType.BOOL) {
      if (!(v instanceof Boolean b)) {
        throw new IOException(what + ": expected true or false, got " + v);
      }
      out.put((byte) (b ? 1 : 0));
      return;
    }
    if (!(v instanceof Number n)) {
      throw new IOException(what + ": expected a number, got " + v);
    }
    String text = n.text();
    try {
      switch (dtype) {
        case FLOAT -> out.putFloat(Float.parseFloat(text));
        case DOUBLE -> out.putDouble(Double.parseDouble(text));
        case HALF -> out.putShort(Halfs.floatToHalf(Float.parseFloat(text)));
        case BFLOAT16 -> out.putShort(Halfs.floatToBfloat16(Float.parseFloat(text)));
        case INT8 -> out.put((byte) integer(text, -128, 127, what));
        case UINT8 -> out.put((byte) integer(text, 0, 255, what));
        case INT16 -> out.putShort((short) integer(text, Short.MIN_VALUE, Short.MAX_VALUE, what));
        case UINT16 -> out.putShort((short) integer(text, 0, 65535, what));
        case INT32 -> out.putInt((int) integer(text, Integer.MIN_VALUE, Integer.MAX_VALUE, what));
        case UINT32 -> out.putInt((int) integer(text, 0, 0xFFFF_FFFFL, what));
        case INT64 -> out.putLong(bigInteger(text, what).longValueExact());
        case UINT64 -> {
          BigInteger b = bigInteger(text, what);
          if (b.signum() < 0 || b.bitLength() > 64) {
            throw new IOException(what + ": " + text + " is out of range for uint64");
          }
          out.putLong(b.longValue());
        }
        default -> throw new IOException(what + ": no JSON form for " + dtype.tfName());
      }
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IOException(what + ": " + text + " is not a valid " + dtype.tfName());
    }
  }

  private static long integer(String text, long min, long max, String what) throws IOException {
    BigInteger b = bigInteger(text, what);
    if (b.bitLength() > 63 || b.longValue() < min || b.longValue() > max) {
      throw new IOException(what + ": " + text + " is out of range");
    }
    return b.longValue();
  }

  private static BigInteger bigInteger(String text, String what) throws IOException {
    try {
      return new BigInteger(text);
    } catch (NumberFormatException e) {
      throw new IOException(what + ": " + text + " is not an integer");
    }
  }
}
