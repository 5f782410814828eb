package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorInfo;
import org.tensorflow.framework.TensorProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * The shared REST codec vectors (docs/CONTRACT.md "Codec vectors"), written by `make export` from
 * python/tfinterop/golden/rest_vectors.py, through the functions RestTransport sends and reads
 * with: one dynamic test per vector, named by its id. The file is the only statement of these
 * rules; this client keeps no copy of them.
 */
class RestVectorsTest {
  private static final String MISSING =
      " (run `make export` at the top to write it, or set TFINTEROP_VECTORS)";

  /** $TFINTEROP_VECTORS, else build/vectors/rest_json.json of the repository holding the cwd. */
  static Path vectorsPath() {
    String env = System.getenv("TFINTEROP_VECTORS");
    if (env != null && !env.isEmpty()) {
      return Path.of(env);
    }
    Path wd = Path.of("").toAbsolutePath();
    for (Path dir = wd; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("clients/java/pom.xml"))) {
        return dir.resolve("build/vectors/rest_json.json");
      }
    }
    return fail("no repository root (clients/java/pom.xml) above " + wd + MISSING);
  }

  static JsonNode vectors() throws IOException {
    Path path = vectorsPath();
    if (!Files.isRegularFile(path)) {
      fail("REST codec vectors: " + path + " is missing" + MISSING);
    }
    JsonNode doc = new ObjectMapper().readTree(path.toFile());
    if (doc.path("version").asInt() != 1
        || doc.path("encode").size() == 0
        || doc.path("decode").size() == 0) {
      fail(path + ": not a version 1 vector file with encode and decode vectors");
    }
    return doc;
  }

  private static Stream<JsonNode> rows(String kind) throws IOException {
    return StreamSupport.stream(vectors().get(kind).spliterator(), false);
  }

  /** A test named by the vector's id; an unexpected exception names the vector too. */
  private static DynamicTest named(JsonNode v, Executable check) {
    String id = v.get("id").asText();
    return DynamicTest.dynamicTest(
        id,
        () -> {
          try {
            check.execute();
          } catch (AssertionError e) {
            throw e;
          } catch (Throwable e) {
            throw new AssertionFailedError(id + ": " + e, e);
          }
        });
  }

  // ---- encode: request proto -> the body the client writes ----

  @TestFactory
  Stream<DynamicTest> encodeVectors() throws IOException {
    return rows("encode").map(v -> named(v, () -> encode(v)));
  }

  private static void encode(JsonNode v) throws Exception {
    String id = v.get("id").asText();
    if (v.has("error")) {
      ServingException e = assertThrows(ServingException.class, () -> write(v), id);
      assertEquals(v.get("error").asText(), e.code().name(), id + ": " + e.getMessage());
      return;
    }
    String got = write(v);
    sameBody(tree(got), tree(v.get("body").asText()), id + ": $", "wrote " + got);
  }

  /** The body the transport would POST for the vector's request. */
  private static String write(JsonNode v) throws Exception {
    byte[] request = Base64.getDecoder().decode(v.get("request").asText());
    return switch (v.get("api").asText()) {
      case "predict" ->
          RestTransport.predictBody(
              PredictRequest.parseFrom(request), RestFormat.of(v.get("rest_format").asText()));
      case "classify" -> {
        ClassificationRequest r = ClassificationRequest.parseFrom(request);
        yield RestExamples.body(r.getModelSpec().getSignatureName(), r.getInput());
      }
      case "regress" -> {
        RegressionRequest r = RegressionRequest.parseFrom(request);
        yield RestExamples.body(r.getModelSpec().getSignatureName(), r.getInput());
      }
      default -> fail("unknown api " + v.get("api"));
    };
  }

  private static final JsonFactory STRICT =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  /**
   * A body as a tree whose numbers keep their kind: an integer token (no '.', 'e' or 'E') as
   * BigInteger, any other number and NaN/Infinity/-Infinity as Double.
   */
  static Object tree(String json) throws IOException {
    try (JsonParser p = STRICT.createParser(json)) {
      p.nextToken();
      Object v = node(p);
      assertEquals(null, p.nextToken(), "trailing content after the JSON value: " + json);
      return v;
    }
  }

  private static Object node(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String k = p.currentName();
          p.nextToken();
          m.put(k, node(p));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          l.add(node(p));
        }
        return l;
      }
      case VALUE_NUMBER_INT -> {
        return new BigInteger(p.getText());
      }
      case VALUE_NUMBER_FLOAT -> {
        return Double.parseDouble(p.getText()); // also "NaN", "Infinity", "-Infinity"
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return p.getBooleanValue();
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new IOException("unexpected JSON token " + t);
    }
  }

  /** The vector rule: keys in any order, integers exact, doubles bit-identical, NaN == NaN. */
  static void sameBody(Object got, Object want, String where, String context) {
    if (want == null || got == null) {
      assertEquals(want, got, where + ": " + context);
      return;
    }
    if (got.getClass() != want.getClass()) {
      fail(where + ": got " + show(got) + ", want " + show(want) + " (another kind); " + context);
    }
    if (want instanceof Map<?, ?> w) {
      Map<?, ?> g = (Map<?, ?>) got;
      assertEquals(
          new TreeSet<>(w.keySet()).toString(),
          new TreeSet<>(g.keySet()).toString(),
          where + ": keys; " + context);
      for (Map.Entry<?, ?> e : w.entrySet()) {
        sameBody(g.get(e.getKey()), e.getValue(), where + "." + e.getKey(), context);
      }
    } else if (want instanceof List<?> w) {
      List<?> g = (List<?>) got;
      assertEquals(w.size(), g.size(), where + ": elements; " + context);
      for (int i = 0; i < w.size(); i++) {
        sameBody(g.get(i), w.get(i), where + "[" + i + "]", context);
      }
    } else if (want instanceof Double w) {
      double g = (Double) got;
      boolean same =
          Double.isNaN(w)
              ? Double.isNaN(g)
              : Double.doubleToRawLongBits(g) == Double.doubleToRawLongBits(w);
      if (!same) {
        fail(where + ": got " + show(got) + ", want " + show(want) + "; " + context);
      }
    } else {
      assertEquals(want, got, where + "; " + context);
    }
  }

  private static String show(Object v) {
    if (v instanceof Double d) {
      return d + " (double " + Long.toHexString(Double.doubleToRawLongBits(d)) + ")";
    }
    if (v instanceof BigInteger b) {
      return b + " (integer)";
    }
    return String.valueOf(v);
  }

  // ---- decode: response body + output dtypes -> the tensors the client reads ----

  @TestFactory
  Stream<DynamicTest> decodeVectors() throws IOException {
    return rows("decode").map(v -> named(v, () -> decode(v)));
  }

  private static void decode(JsonNode v) throws Exception {
    String id = v.get("id").asText();
    byte[] body =
        v.has("body_b64")
            ? Base64.getDecoder().decode(v.get("body_b64").asText())
            : v.get("body").asText().getBytes(StandardCharsets.UTF_8);
    SignatureDef.Builder sig = SignatureDef.newBuilder();
    v.get("outputs")
        .fields()
        .forEachRemaining(
            o ->
                sig.putOutputs(
                    o.getKey(),
                    TensorInfo.newBuilder()
                        .setDtype(DataType.valueOf(o.getValue().asText()))
                        .build()));
    if (v.has("error")) {
      ServingException e =
          assertThrows(
              ServingException.class,
              () -> RestTransport.readPredictResponse(body, sig.build()),
              id + ": the body was accepted");
      assertEquals(v.get("error").asText(), e.code().name(), id + ": " + e.getMessage());
      return;
    }
    PredictResponse got = RestTransport.readPredictResponse(body, sig.build());
    JsonNode expect = v.get("expect");
    assertEquals(
        new TreeSet<>(iterable(expect.fieldNames())).toString(),
        new TreeSet<>(got.getOutputsMap().keySet()).toString(),
        id + ": output names");
    for (String name : iterable(expect.fieldNames())) {
      HostTensor want =
          TensorProtoCodec.decode(
              TensorProto.parseFrom(Base64.getDecoder().decode(expect.get(name).asText())));
      sameTensor(TensorProtoCodec.decode(got.getOutputsOrThrow(name)), want, id + "." + name);
    }
  }

  private static <T> List<T> iterable(Iterator<T> it) {
    List<T> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  /** dtype, shape, then every element bit-exact (NaN == NaN), strings byte for byte. */
  static void sameTensor(HostTensor got, HostTensor want, String where) {
    assertEquals(want.dtype(), got.dtype(), where + ": dtype");
    assertEquals(Arrays.toString(want.shape()), Arrays.toString(got.shape()), where + ": shape");
    long n = want.size();
    for (int i = 0; i < n; i++) {
      String at = where + index(want.shape(), i);
      if (want.dtype() == DType.STRING) {
        ByteString g = got.strings().get(i);
        ByteString w = want.strings().get(i);
        assertEquals(hex(w), hex(g), at + ": bytes");
        continue;
      }
      int size = want.dtype().size();
      ByteBuffer g = got.buffer().position(i * size).limit((i + 1) * size).slice();
      ByteBuffer w = want.buffer().position(i * size).limit((i + 1) * size).slice();
      if (isNaN(want.dtype(), w) && isNaN(want.dtype(), g)) {
        continue;
      }
      if (!g.equals(w)) {
        fail(at + ": got " + element(want.dtype(), g) + ", want " + element(want.dtype(), w));
      }
    }
  }

  private static boolean isNaN(DType dtype, ByteBuffer b) {
    ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    return switch (dtype) {
      case FLOAT -> Float.isNaN(le.getFloat(0));
      case DOUBLE -> Double.isNaN(le.getDouble(0));
      case HALF -> Float.isNaN(Halfs.halfToFloat(le.getShort(0)));
      case BFLOAT16 -> Float.isNaN(Halfs.bfloat16ToFloat(le.getShort(0)));
      default -> false;
    };
  }

  private static String element(DType dtype, ByteBuffer b) {
    ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    String value =
        switch (dtype) {
          case FLOAT -> Float.toString(le.getFloat(0));
          case DOUBLE -> Double.toString(le.getDouble(0));
          case INT8 -> Byte.toString(le.get(0));
          case UINT8 -> Integer.toString(Byte.toUnsignedInt(le.get(0)));
          case INT16 -> Short.toString(le.getShort(0));
          case UINT16 -> Integer.toString(Short.toUnsignedInt(le.getShort(0)));
          case INT32 -> Integer.toString(le.getInt(0));
          case UINT32 -> Integer.toUnsignedString(le.getInt(0));
          case INT64 -> Long.toString(le.getLong(0));
          case UINT64 -> Long.toUnsignedString(le.getLong(0));
          case BOOL -> Boolean.toString(le.get(0) != 0);
          default -> dtype.tfName();
        };
    byte[] raw = new byte[b.remaining()];
    b.duplicate().get(raw);
    return value + " (bytes " + HexFormat.of().formatHex(raw) + ")";
  }

  private static String hex(ByteString s) {
    return HexFormat.of().formatHex(s.toByteArray());
  }

  /** The multi-index of flat element i, as "[a][b]" ("" for a scalar). */
  private static String index(long[] shape, long i) {
    StringBuilder out = new StringBuilder();
    long rest = i;
    long[] at = new long[shape.length];
    for (int a = shape.length - 1; a >= 0; a--) {
      at[a] = rest % shape[a];
      rest /= shape[a];
    }
    for (long x : at) {
      out.append('[').append(x).append(']');
    }
    return out.toString();
  }
}
