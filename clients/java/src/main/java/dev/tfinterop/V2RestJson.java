package dev.tfinterop;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import inference.GrpcService.InferParameter;
import inference.GrpcService.InferTensorContents;
import inference.GrpcService.ModelInferRequest;
import inference.GrpcService.ModelInferRequest.InferInputTensor;
import inference.GrpcService.ModelInferRequest.InferRequestedOutputTensor;
import inference.GrpcService.ModelInferResponse;
import inference.GrpcService.ModelInferResponse.InferOutputTensor;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Open Inference Protocol's REST JSON (docs/CONTRACT.md "v2 transports", REST): a
 * ModelInferRequest written as the infer body, and the infer answer read back into a
 * ModelInferResponse.
 *
 * <p>The request's tensors are written as the protocol's flat row-major {@code data} lists from
 * their typed contents or, decoded, from {@code raw_input_contents}; numbers exactly as RestJson
 * writes them (a float as its exact double value, NaN and Infinity as bare tokens, 64-bit integers
 * in full), BOOL as true/false, FP16 and BF16 as numbers, BYTES as strings. The answer's numbers
 * are read from their decimal text straight into the datatype (no detour through double), so
 * nothing is rounded twice and int64 beyond 2^53 stays exact.
 */
public final class V2RestJson {
  private V2RestJson() {}

  // ---- request ----

  /**
   * The infer body of {@code r}; INVALID_ARGUMENT when JSON cannot carry it: BYTES that are not
   * UTF-8 (the spec has no JSON form for them, open-inference-protocol#12), raw contents that are
   * not whole elements or do not match the inputs one for one, a parameter without a value.
   */
  public static String requestBody(ModelInferRequest r) throws ServingException {
    List<HostTensor> raw = rawInputs(r);
    try {
      return RestJson.write(
          g -> {
            g.writeStartObject();
            if (!r.getId().isEmpty()) {
              g.writeStringField("id", r.getId());
            }
            if (r.getParametersCount() > 0) {
              g.writeFieldName("parameters");
              writeParameters(g, r.getParametersMap(), "request");
            }
            g.writeArrayFieldStart("inputs");
            for (int i = 0; i < r.getInputsCount(); i++) {
              InferInputTensor in = r.getInputs(i);
              String what = "input " + in.getName();
              g.writeStartObject();
              g.writeStringField("name", in.getName());
              g.writeArrayFieldStart("shape");
              for (long d : in.getShapeList()) {
                g.writeNumber(d);
              }
              g.writeEndArray();
              g.writeStringField("datatype", in.getDatatype());
              if (in.getParametersCount() > 0) {
                g.writeFieldName("parameters");
                writeParameters(g, in.getParametersMap(), what);
              }
              g.writeFieldName("data");
              if (raw != null) {
                writeRaw(g, raw.get(i), what);
              } else {
                writeContents(g, in.getDatatype(), in.getContents(), what);
              }
              g.writeEndObject();
            }
            g.writeEndArray();
            if (r.getOutputsCount() > 0) {
              g.writeArrayFieldStart("outputs");
              for (InferRequestedOutputTensor out : r.getOutputsList()) {
                g.writeStartObject();
                g.writeStringField("name", out.getName());
                if (out.getParametersCount() > 0) {
                  g.writeFieldName("parameters");
                  writeParameters(g, out.getParametersMap(), "output " + out.getName());
                }
                g.writeEndObject();
              }
              g.writeEndArray();
            }
            g.writeEndObject();
          });
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw ServingException.invalidArgument("request cannot be sent as JSON: " + e.getMessage());
    }
  }

  /**
   * The decoded raw_input_contents, one flat tensor per input, or null when the request uses typed
   * contents. The protocol takes raw contents for all inputs or none, so a count that differs from
   * the inputs', or an input that also has typed contents, cannot be written as one JSON body.
   */
  private static List<HostTensor> rawInputs(ModelInferRequest r) throws ServingException {
    if (r.getRawInputContentsCount() == 0) {
      return null;
    }
    if (r.getRawInputContentsCount() != r.getInputsCount()) {
      throw ServingException.invalidArgument(
          "request has "
              + r.getRawInputContentsCount()
              + " raw_input_contents for "
              + r.getInputsCount()
              + " inputs");
    }
    List<HostTensor> out = new ArrayList<>(r.getInputsCount());
    for (int i = 0; i < r.getInputsCount(); i++) {
      InferInputTensor in = r.getInputs(i);
      if (in.hasContents()) {
        throw ServingException.invalidArgument(
            "input "
                + in.getName()
                + " has contents while the request uses raw_input_contents (all or none)");
      }
      V2Datatype type = V2Datatype.of(in.getDatatype());
      if (type == null) {
        throw ServingException.invalidArgument(
            "input "
                + in.getName()
                + ": raw contents of datatype \""
                + in.getDatatype()
                + "\" cannot be decoded (not a v2 datatype)");
      }
      try {
        out.add(V2Raw.decode(type, r.getRawInputContents(i), "input " + in.getName()));
      } catch (IllegalArgumentException e) {
        throw ServingException.invalidArgument(e.getMessage());
      }
    }
    return out;
  }

  private static void writeRaw(JsonGenerator g, HostTensor t, String what) throws IOException {
    if (t.dtype() == DType.STRING) {
      writeStrings(g, t.strings(), what);
    } else {
      RestJson.writeTensor(g, t);
    }
  }

  /**
   * The elements of the typed field the datatype names, as sent: the server, not the client, judges
   * a count that does not fit the shape. A datatype the protocol lacks is written from whichever
   * field holds values, so the server sees the request as the gRPC form would carry it.
   */
  private static void writeContents(
      JsonGenerator g, String datatype, InferTensorContents c, String what) throws IOException {
    V2Datatype type = V2Datatype.of(datatype);
    V2Datatype.Contents field = type != null ? type.contents() : populated(c);
    if (field == V2Datatype.Contents.BYTES) {
      writeStrings(g, c.getBytesContentsList(), what);
      return;
    }
    g.writeStartArray();
    switch (field) {
      case BOOL -> {
        for (boolean v : c.getBoolContentsList()) {
          g.writeBoolean(v);
        }
      }
      case INT -> {
        for (int v : c.getIntContentsList()) {
          g.writeNumber(v);
        }
      }
      case INT64 -> {
        for (long v : c.getInt64ContentsList()) {
          g.writeNumber(v);
        }
      }
      case UINT -> {
        for (int v : c.getUintContentsList()) {
          g.writeNumber(Integer.toUnsignedLong(v));
        }
      }
      case UINT64 -> {
        for (long v : c.getUint64ContentsList()) {
          g.writeNumber(unsigned(v));
        }
      }
      case FP32 -> {
        for (float v : c.getFp32ContentsList()) {
          g.writeNumber((double) v); // exact double value, as RestJson writes float32
        }
      }
      case FP64 -> {
        for (double v : c.getFp64ContentsList()) {
          g.writeNumber(v);
        }
      }
      case BYTES -> throw new IllegalStateException("written above");
      case NONE -> {} // FP16 and BF16 have no typed field: nothing to send
    }
    g.writeEndArray();
  }

  /** The first typed field holding values, for a datatype the protocol does not name. */
  private static V2Datatype.Contents populated(InferTensorContents c) {
    if (c.getBoolContentsCount() > 0) {
      return V2Datatype.Contents.BOOL;
    } else if (c.getIntContentsCount() > 0) {
      return V2Datatype.Contents.INT;
    } else if (c.getInt64ContentsCount() > 0) {
      return V2Datatype.Contents.INT64;
    } else if (c.getUintContentsCount() > 0) {
      return V2Datatype.Contents.UINT;
    } else if (c.getUint64ContentsCount() > 0) {
      return V2Datatype.Contents.UINT64;
    } else if (c.getFp32ContentsCount() > 0) {
      return V2Datatype.Contents.FP32;
    } else if (c.getFp64ContentsCount() > 0) {
      return V2Datatype.Contents.FP64;
    } else if (c.getBytesContentsCount() > 0) {
      return V2Datatype.Contents.BYTES;
    }
    return V2Datatype.Contents.NONE;
  }

  /** BYTES elements as JSON strings; IllegalArgumentException for one that is not UTF-8. */
  private static void writeStrings(JsonGenerator g, List<ByteString> values, String what)
      throws IOException {
    g.writeStartArray();
    for (int i = 0; i < values.size(); i++) {
      String text = RestJson.utf8(values.get(i));
      if (text == null) {
        throw new IllegalArgumentException(
            what
                + " element "
                + i
                + " is not valid UTF-8, and the protocol's JSON carries BYTES only as strings");
      }
      g.writeString(text);
    }
    g.writeEndArray();
  }

  /** A parameter map as a JSON object, keys sorted. */
  private static void writeParameters(
      JsonGenerator g, Map<String, InferParameter> parameters, String what) throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, InferParameter> e : new TreeMap<>(parameters).entrySet()) {
      g.writeFieldName(e.getKey());
      InferParameter p = e.getValue();
      switch (p.getParameterChoiceCase()) {
        case BOOL_PARAM -> g.writeBoolean(p.getBoolParam());
        case INT64_PARAM -> g.writeNumber(p.getInt64Param());
        case STRING_PARAM -> g.writeString(p.getStringParam());
        case DOUBLE_PARAM -> g.writeNumber(p.getDoubleParam());
        case UINT64_PARAM -> g.writeNumber(unsigned(p.getUint64Param()));
        case PARAMETERCHOICE_NOT_SET ->
            throw new IllegalArgumentException(what + " parameter " + e.getKey() + " has no value");
      }
    }
    g.writeEndObject();
  }

  private static BigInteger unsigned(long v) {
    return new BigInteger(Long.toUnsignedString(v));
  }

  // ---- response ----

  /**
   * The infer answer as a ModelInferResponse: typed contents, or raw_output_contents for every
   * output when one is FP16 or BF16 (no typed field exists for them, and the protocol takes raw
   * contents for all outputs or none). INTERNAL for a body the protocol does not describe (not
   * JSON, no outputs, an unknown datatype, data that does not fit the shape or the datatype), as
   * gRPC reports a response it cannot parse.
   */
  public static ModelInferResponse readResponse(byte[] body) throws ServingException {
    try {
      return response(RestJson.parse(body));
    } catch (IOException e) {
      throw new ServingException(
          Status.Code.INTERNAL, "cannot read the infer response: " + e.getMessage());
    }
  }

  private static ModelInferResponse response(Object json) throws IOException {
    if (!(json instanceof Map<?, ?> root)) {
      throw new IOException("response is not a JSON object");
    }
    ModelInferResponse.Builder out = ModelInferResponse.newBuilder();
    out.setModelName(optionalString(root, "model_name", "response"));
    out.setModelVersion(optionalString(root, "model_version", "response"));
    out.setId(optionalString(root, "id", "response"));
    out.putAllParameters(parameters(root.get("parameters"), "response"));
    if (!(root.get("outputs") instanceof List<?> outputs)) {
      throw new IOException("response has no \"outputs\" list");
    }
    List<V2Datatype> types = new ArrayList<>();
    List<HostTensor> tensors = new ArrayList<>();
    boolean raw = false;
    for (Object o : outputs) {
      if (!(o instanceof Map<?, ?> output)) {
        throw new IOException("an output is not a JSON object: " + o);
      }
      if (!(output.get("name") instanceof String name)) {
        throw new IOException("an output has no \"name\" string");
      }
      String what = "output " + name;
      if (!(output.get("datatype") instanceof String datatype)) {
        throw new IOException(what + " has no \"datatype\" string");
      }
      V2Datatype type = V2Datatype.of(datatype);
      if (type == null) {
        throw new IOException(what + " has datatype \"" + datatype + "\", not a v2 datatype");
      }
      long[] shape = shape(output.get("shape"), what);
      List<Object> flat = flatData(output.get("data"), shape, what);
      InferOutputTensor.Builder t =
          InferOutputTensor.newBuilder().setName(name).setDatatype(datatype);
      for (long d : shape) {
        t.addShape(d);
      }
      t.putAllParameters(parameters(output.get("parameters"), what));
      out.addOutputs(t);
      types.add(type);
      tensors.add(elements(type, flat, what));
      raw |= type.contents() == V2Datatype.Contents.NONE;
    }
    for (int i = 0; i < tensors.size(); i++) {
      if (raw) {
        out.addRawOutputContents(V2Raw.encode(tensors.get(i)));
      } else {
        out.getOutputsBuilder(i).setContents(contents(types.get(i), tensors.get(i)));
      }
    }
    return out.build();
  }

  private static String optionalString(Map<?, ?> object, String key, String what)
      throws IOException {
    Object v = object.get(key);
    if (v == null) {
      return "";
    }
    if (!(v instanceof String s)) {
      throw new IOException(what + " \"" + key + "\" is not a string: " + v);
    }
    return s;
  }

  /** The shape: a list of non-negative integers whose product fits an int (the element count). */
  private static long[] shape(Object json, String what) throws IOException {
    if (!(json instanceof List<?> dims)) {
      throw new IOException(what + " has no \"shape\" list");
    }
    long[] shape = new long[dims.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      if (!(dims.get(i) instanceof RestJson.Number n) || !isInteger(n.text())) {
        throw new IOException(what + " shape " + dims + " is not a list of integers");
      }
      try {
        shape[i] = Long.parseLong(n.text());
        count = Math.multiplyExact(count, shape[i]);
      } catch (NumberFormatException | ArithmeticException e) {
        throw new IOException(what + " shape " + dims + " is out of range");
      }
      if (shape[i] < 0 || count > Integer.MAX_VALUE) {
        throw new IOException(what + " shape " + dims + " is not a tensor shape");
      }
    }
    return shape;
  }

  /**
   * The data's elements in row-major order: the spec's flat list, or a nested one whose nesting is
   * exactly the shape. Either way there must be one element per shape element.
   */
  private static List<Object> flatData(Object json, long[] shape, String what) throws IOException {
    if (!(json instanceof List<?> data)) {
      throw new IOException(what + " has no \"data\" list");
    }
    long count = HostTensor.elementCount(shape);
    List<Object> flat = new ArrayList<>();
    if (data.stream().noneMatch(v -> v instanceof List<?>)) {
      flat.addAll(data);
    } else {
      nested(data, 0, shape, flat, what);
    }
    if (flat.size() != count) {
      throw new IOException(
          what + " has " + flat.size() + " data elements for shape " + shapeText(shape));
    }
    return flat;
  }

  private static void nested(Object v, int axis, long[] shape, List<Object> out, String what)
      throws IOException {
    if (axis == shape.length) {
      if (v instanceof List<?>) {
        throw new IOException(what + ": data nested deeper than shape " + shapeText(shape));
      }
      out.add(v);
      return;
    }
    if (!(v instanceof List<?> l) || l.size() != shape[axis]) {
      throw new IOException(
          what + ": nested data does not match shape " + shapeText(shape) + " at depth " + axis);
    }
    for (Object e : l) {
      nested(e, axis + 1, shape, out, what);
    }
  }

  private static String shapeText(long[] shape) {
    return Arrays.toString(shape);
  }

  /** The JSON elements as a flat tensor of the datatype, each value checked against its range. */
  static HostTensor elements(V2Datatype type, List<Object> flat, String what) throws IOException {
    long[] shape = {flat.size()};
    if (type == V2Datatype.BYTES) {
      List<ByteString> values = new ArrayList<>(flat.size());
      for (Object v : flat) {
        if (!(v instanceof String s)) {
          throw new IOException(what + ": expected a BYTES string, got " + v);
        }
        values.add(RestJson.keptBytes(s));
      }
      return HostTensor.ofStrings(shape, values);
    }
    ByteBuffer b =
        ByteBuffer.allocate(flat.size() * type.dtype().size()).order(ByteOrder.LITTLE_ENDIAN);
    for (Object v : flat) {
      putElement(b, type, v, what);
    }
    return HostTensor.ofBytes(type.dtype(), shape, b.array());
  }

  private static void putElement(ByteBuffer b, V2Datatype type, Object v, String what)
      throws IOException {
    if (type == V2Datatype.BOOL) {
      if (!(v instanceof Boolean bool)) {
        throw new IOException(what + ": expected true or false, got " + v);
      }
      b.put((byte) (bool ? 1 : 0));
      return;
    }
    if (!(v instanceof RestJson.Number n)) {
      throw new IOException(what + ": expected a number, got " + v);
    }
    String text = n.text();
    try {
      switch (type) {
        case FP32 -> b.putFloat(Float.parseFloat(text));
        case FP64 -> b.putDouble(Double.parseDouble(text));
        case FP16 -> b.putShort(Halfs.decimalToHalf(text));
        case BF16 -> b.putShort(Halfs.decimalToBfloat16(text));
        case INT8 -> b.put((byte) integer(text, Byte.MIN_VALUE, Byte.MAX_VALUE));
        case INT16 -> b.putShort((short) integer(text, Short.MIN_VALUE, Short.MAX_VALUE));
        case INT32 -> b.putInt((int) integer(text, Integer.MIN_VALUE, Integer.MAX_VALUE));
        case INT64 -> b.putLong(new BigInteger(checkedInteger(text)).longValueExact());
        case UINT8 -> b.put((byte) integer(text, 0, 0xFF));
        case UINT16 -> b.putShort((short) integer(text, 0, 0xFFFF));
        case UINT32 -> b.putInt((int) integer(text, 0, 0xFFFF_FFFFL));
        case UINT64 -> {
          BigInteger u = new BigInteger(checkedInteger(text));
          if (u.signum() < 0 || u.bitLength() > 64) {
            throw new ArithmeticException("out of range");
          }
          b.putLong(u.longValue());
        }
        case BOOL, BYTES -> throw new IllegalStateException("handled above");
      }
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IOException(what + ": " + text + " is not a valid " + type);
    }
  }

  private static long integer(String text, long min, long max) {
    BigInteger v = new BigInteger(checkedInteger(text));
    if (v.bitLength() > 63 || v.longValue() < min || v.longValue() > max) {
      throw new ArithmeticException("out of range");
    }
    return v.longValue();
  }

  /** The text of an integer element; a fraction or exponent (1.0, 1e3) is not an integer. */
  private static String checkedInteger(String text) {
    if (!isInteger(text)) {
      throw new NumberFormatException(text);
    }
    return text;
  }

  private static boolean isInteger(String text) {
    return text.matches("-?[0-9]+");
  }

  /** A flat tensor as the typed field of its datatype (never called for FP16 and BF16). */
  static InferTensorContents contents(V2Datatype type, HostTensor t) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    ByteBuffer b = type == V2Datatype.BYTES ? null : t.buffer();
    int n = Math.toIntExact(t.size());
    for (int i = 0; i < n; i++) {
      switch (type) {
        case BOOL -> c.addBoolContents(b.get(i) != 0);
        case INT8 -> c.addIntContents(b.get(i));
        case INT16 -> c.addIntContents(b.getShort(2 * i));
        case INT32 -> c.addIntContents(b.getInt(4 * i));
        case INT64 -> c.addInt64Contents(b.getLong(8 * i));
        case UINT8 -> c.addUintContents(Byte.toUnsignedInt(b.get(i)));
        case UINT16 -> c.addUintContents(Short.toUnsignedInt(b.getShort(2 * i)));
        case UINT32 -> c.addUintContents(b.getInt(4 * i));
        case UINT64 -> c.addUint64Contents(b.getLong(8 * i));
        case FP32 -> c.addFp32Contents(b.getFloat(4 * i));
        case FP64 -> c.addFp64Contents(b.getDouble(8 * i));
        case BYTES -> c.addBytesContents(t.strings().get(i));
        case FP16, BF16 -> throw new IllegalArgumentException(type + " has no typed contents");
      }
    }
    return c.build();
  }

  /** A parameters object (absent: none) as InferParameters. */
  private static Map<String, InferParameter> parameters(Object json, String what)
      throws IOException {
    Map<String, InferParameter> out = new TreeMap<>();
    if (json == null) {
      return out;
    }
    if (!(json instanceof Map<?, ?> m)) {
      throw new IOException(what + " \"parameters\" is not a JSON object");
    }
    for (Map.Entry<?, ?> e : m.entrySet()) {
      out.put((String) e.getKey(), parameter(e.getValue(), what + " parameter " + e.getKey()));
    }
    return out;
  }

  /**
   * A parameter value: a boolean, a string, an integer (int64, else uint64 when beyond int64) or
   * another number (double).
   */
  private static InferParameter parameter(Object v, String what) throws IOException {
    InferParameter.Builder p = InferParameter.newBuilder();
    if (v instanceof Boolean b) {
      return p.setBoolParam(b).build();
    }
    if (v instanceof String s) {
      return p.setStringParam(s).build();
    }
    if (v instanceof RestJson.Number n) {
      if (!isInteger(n.text())) {
        return p.setDoubleParam(Double.parseDouble(n.text())).build();
      }
      BigInteger i = new BigInteger(n.text());
      if (i.bitLength() <= 63) {
        return p.setInt64Param(i.longValue()).build();
      }
      if (i.signum() > 0 && i.bitLength() <= 64) {
        return p.setUint64Param(i.longValue()).build();
      }
      throw new IOException(what + ": " + n.text() + " is beyond int64 and uint64");
    }
    throw new IOException(what + " is not a boolean, number or string: " + v);
  }
}
