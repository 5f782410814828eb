package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.framework.AttrValue;
import org.tensorflow.framework.DataType;
import org.tensorflow.framework.GraphDef;
import org.tensorflow.framework.MetaGraphDef;
import org.tensorflow.framework.NodeDef;
import org.tensorflow.framework.SavedModel;
import org.tensorflow.framework.SignatureDef;
import org.tensorflow.framework.TensorInfo;
import org.tensorflow.framework.TensorProto;
import org.tensorflow.framework.TensorShapeProto;
import org.tensorflow.framework.VersionDef;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;

/**
 * Custom-op libraries in-process (docs/CONTRACT.md "Op libraries"), end to end through {@link
 * Main}, each run in a fresh JVM as the harness runs the client: a loaded library cannot be
 * unloaded, so a run without it must not share a process with one that loaded it.
 *
 * <p>The library that loads is ops/tfi_affine.cc, TfiAffine on TensorFlow's C kernel API, compiled
 * here with g++ against the venv's TensorFlow headers: TF Java 1.1.0 (TensorFlow 2.18) binds its C
 * symbols. The model is a SavedModel written here from protos: serving_default y = TfiAffine(x;
 * a=3, b=0.5) on float[?], "ints" m = TfiAffine(n; a=2, b=1) on int64[?,2].
 */
class OpLibraryTest {
  static final Path ROOT = OneJvmTest.BUILD.toAbsolutePath().normalize().getParent();
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;

  /** The C-API kernel library, built in {@link #build}. */
  static Path kernel;

  @BeforeAll
  static void build() throws Exception {
    Path include = tensorflowInclude();
    assumeTrue(include != null, "no TensorFlow headers under .venv: run `make venv`");
    assumeTrue(onPath("g++"), "g++ is missing");
    kernel = dir.resolve("lib/libtfi_affine_c.so");
    Files.createDirectories(kernel.getParent());
    Run gxx =
        exec(
            List.of(
                "g++",
                "-shared",
                "-fPIC",
                "-O2",
                "-std=c++17",
                "-I" + include,
                Path.of("../../ops/tfi_affine.cc").toAbsolutePath().normalize().toString(),
                "-o",
                kernel.toString(),
                "-L" + include.getParent(),
                "-l:libtensorflow_framework.so.2"));
    assertEquals(0, gxx.status(), gxx.err());
    // As the case sets' manifests resolve it (against their real folder).
    kernel = kernel.toRealPath();
    writeAffineSavedModel(Files.createDirectories(dir.resolve("model/1")));
    Files.writeString(
        dir.resolve("models.config"),
        """
        model_config_list {
          config { name: "affine" base_path: "%1$s" model_platform: "tensorflow" }
          config { name: "affine_missing" base_path: "%1$s" model_platform: "tensorflow" }
          config { name: "affine_flag" base_path: "%1$s" model_platform: "tensorflow" }
        }
        """
            .formatted(dir.resolve("model")));
  }

  @Test
  void withoutTheLibraryTheModelFailsToLoadOpTypeNotRegistered() throws Exception {
    Path cases = caseSet("affine", null);
    Path out = dir.resolve("out-without");
    Run run = main("run", "--mode", "inproc", "--cases", cases.toString(), "--out", out.toString());
    assertEquals(0, run.status(), run.err());
    assertFalse(run.err().contains("op library"), run.err());
    Path results = out.resolve("java/inproc/affine");
    for (String id : List.of("affine-float", "affine-int64")) {
      JsonNode error = error(results, id);
      // TF Java has no exception class for NOT_FOUND: its load failures arrive as UNKNOWN.
      assertEquals("UNKNOWN", error.path("code").asText(), error.toString());
      assertTrue(
          error.path("message").asText().contains("Op type not registered 'TfiAffine'"),
          error.toString());
    }
    // A case answered before the model loads is unaffected.
    assertEquals("INVALID_ARGUMENT", error(results, "metadata-bad-field").path("code").asText());
  }

  @Test
  void manifestLibrariesLoadPerCaseSetAndAFailureStopsNothing() throws Exception {
    Path needs = caseSet("affine", List.of("../lib/" + kernel.getFileName()));
    Path missing = caseSet("affine_missing", List.of("../lib/libnope.so"));
    Path out = dir.resolve("out-manifest");
    Path nope = dir.toRealPath().resolve("lib/libnope.so");
    Run run =
        main(
            "run",
            "--mode",
            "inproc",
            "--cases",
            missing.toString(),
            "--cases",
            needs.toString(),
            "--out",
            out.toString());
    assertEquals(0, run.status(), run.err());
    assertEquals(
        List.of(
            "op library "
                + nope
                + ": UNKNOWN (each inproc case of the case sets that need it gets"
                + " this error)",
            "op library " + kernel + ": loaded (TfiAffine)"),
        opLibraryLines(run));
    assertAffineAnswers(out.resolve("java/inproc/affine"), "affine");

    Path failed = out.resolve("java/inproc/affine_missing");
    for (String id : List.of("affine-float", "affine-int64", "metadata-bad-field")) {
      JsonNode error = error(failed, id);
      assertEquals("UNKNOWN", error.path("code").asText(), error.toString());
      String message = error.path("message").asText();
      assertTrue(message.startsWith("loading op library " + nope + ": " + nope + ": "), message);
      assertTrue(message.contains("cannot open shared object file"), message);
    }
  }

  @Test
  void theFlagLoadsForEveryCaseSetOnceWithTheManifestsOwn() throws Exception {
    Path plain = caseSet("affine_flag", null);
    Path named = caseSet("affine", List.of("../lib/" + kernel.getFileName()));
    Path out = dir.resolve("out-flag");
    Run run =
        main(
            "run",
            "--mode",
            "inproc",
            "--op-library",
            kernel.toString(),
            "--cases",
            plain.toString(),
            "--cases",
            named.toString(),
            "--op-library",
            kernel.toString(),
            "--out",
            out.toString());
    assertEquals(0, run.status(), run.err());
    assertEquals(List.of("op library " + kernel + ": loaded (TfiAffine)"), opLibraryLines(run));
    assertAffineAnswers(out.resolve("java/inproc/affine_flag"), "affine_flag");
    assertAffineAnswers(out.resolve("java/inproc/affine"), "affine");
  }

  @Test
  void aKernelBuiltAgainstAnotherTensorFlowSaysWhyItCannotLoad() throws Exception {
    // The same op on the C++ kernel API, built against the venv's TensorFlow 2.21.
    Path include = tensorflowInclude();
    Path cxx = dir.resolve("lib/libtfi_affine_cxx.so");
    Run gxx =
        exec(
            List.of(
                "g++",
                "-shared",
                "-fPIC",
                "-O1",
                "-std=c++17",
                "-D_GLIBCXX_USE_CXX11_ABI=1",
                "-DEIGEN_MAX_ALIGN_BYTES=64",
                "-Wno-deprecated-declarations",
                "-I" + include,
                Path.of("src/test/native/tfi_affine_cxx.cc").toAbsolutePath().toString(),
                "-o",
                cxx.toString(),
                "-L" + include.getParent(),
                "-l:libtensorflow_framework.so.2"));
    assertEquals(0, gxx.status(), gxx.err());
    Path out = dir.resolve("out-abi");
    Run run =
        main(
            "run",
            "--mode",
            "inproc",
            "--op-library",
            cxx.toString(),
            "--cases",
            caseSet("affine", null).toString(),
            "--out",
            out.toString());
    assertEquals(0, run.status(), run.err());
    JsonNode error = error(out.resolve("java/inproc/affine"), "affine-float");
    assertEquals("UNKNOWN", error.path("code").asText(), error.toString());
    String message = error.path("message").asText();
    assertTrue(
        message.startsWith(
            "loading op library "
                + cxx
                + ": TF Java 1.1.0 bundles TensorFlow 2.18.0, and this"
                + " kernel was built against another TensorFlow's C++ API"),
        message);
    assertTrue(message.contains(cxx + ": undefined symbol: _ZN"), message);
  }

  @Test
  void benchTakesTheFlag() throws Exception {
    Run run =
        main(
            "bench",
            "--mode",
            "inproc",
            "--cases",
            caseSet("affine", null).toString(),
            "--case",
            "affine-float",
            "--requests",
            "5",
            "--concurrency",
            "2",
            "--warmup",
            "1",
            "--op-library",
            kernel.toString());
    assertEquals(0, run.status(), run.err());
    JsonNode line = JSON.readTree(run.out());
    assertEquals(5, line.path("requests").asInt(), run.out());
    assertEquals(0, line.path("errors").asInt(), run.out());
    assertEquals(List.of("op library " + kernel + ": loaded (TfiAffine)"), opLibraryLines(run));
  }

  @Test
  void overGrpcNoLibraryIsLoaded() throws Exception {
    Path out = dir.resolve("out-grpc");
    // In this JVM: a grpc run must not touch TensorFlow, let alone load the library.
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Cli.execute(
            new String[] {
              "run",
              "--mode",
              "grpc",
              "--target",
              "127.0.0.1:9",
              "--deadline-ms",
              "2000",
              "--op-library",
              dir.resolve("lib/libnope.so").toString(),
              "--cases",
              caseSet("affine_missing", List.of("../lib/libnope.so")).toString(),
              "--out",
              out.toString()
            },
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, status);
    assertFalse(err.toString(StandardCharsets.UTF_8).contains("op library"));
    assertEquals(
        "UNAVAILABLE",
        error(out.resolve("java/grpc/affine_missing"), "affine-float").path("code").asText());
  }

  // --- the model, the case sets and the checks ---

  static void assertAffineAnswers(Path results, String model) throws Exception {
    PredictResponse y = response(results, "affine-float");
    assertEquals(spec(model, "serving_default"), y.getModelSpec());
    HostTensor yt = TensorProtoCodec.decode(y.getOutputsOrThrow("y"));
    assertEquals(DType.of(DataType.DT_FLOAT), yt.dtype());
    assertArrayEquals(new long[] {4}, yt.shape());
    float[] floats = new float[4];
    yt.buffer().asFloatBuffer().get(floats);
    assertArrayEquals(new float[] {3.5f, 6.5f, -11.5f, 1.25f}, floats);

    PredictResponse m = response(results, "affine-int64");
    assertEquals(spec(model, "ints"), m.getModelSpec());
    HostTensor mt = TensorProtoCodec.decode(m.getOutputsOrThrow("m"));
    assertArrayEquals(new long[] {2, 2}, mt.shape());
    long[] longs = new long[4];
    mt.buffer().asLongBuffer().get(longs);
    assertArrayEquals(new long[] {3, 5, -5, 21}, longs);

    assertEquals("INVALID_ARGUMENT", error(results, "metadata-bad-field").path("code").asText());
  }

  static ModelSpec spec(String model, String signature) {
    return ModelSpec.newBuilder()
        .setName(model)
        .setVersion(Int64Value.of(1))
        .setSignatureName(signature)
        .build();
  }

  static PredictResponse response(Path results, String id) throws IOException {
    Path file = results.resolve(id + ".response.pb");
    assertTrue(Files.exists(file), () -> id + ": " + listing(results));
    return PredictResponse.parseFrom(Files.readAllBytes(file));
  }

  static JsonNode error(Path results, String id) throws IOException {
    Path file = results.resolve(id + ".error.json");
    assertTrue(Files.exists(file), () -> id + ": " + listing(results));
    return JSON.readTree(Files.readString(file));
  }

  static String listing(Path results) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(results)) {
      List<String> names = new ArrayList<>();
      files.forEach(f -> names.add(f.getFileName().toString()));
      return names.toString();
    } catch (IOException e) {
      return e.toString();
    }
  }

  static List<String> opLibraryLines(Run run) {
    return run.err().lines().filter(l -> l.startsWith("op library ")).toList();
  }

  /**
   * A case set in dir/NAME-N for model {@code model} of dir/models.config, with {@code
   * model.op_libraries} when {@code libraries} is not null: predict on both signatures, and a
   * metadata request the client refuses before loading the model.
   */
  static Path caseSet(String model, List<String> libraries) throws IOException {
    Path folder = Files.createTempDirectory(dir, model + "-");
    ObjectNode manifest = JSON.createObjectNode().put("format", Manifest.FORMAT);
    ObjectNode modelNode = manifest.putObject("model").put("name", model);
    modelNode.put("config", "../models.config");
    if (libraries != null) {
      ArrayNode libs = modelNode.putArray("op_libraries");
      libraries.forEach(libs::add);
    }
    manifest.putObject("producer").put("tensorflow_build", "pip:tensorflow==2.21.0");
    ArrayNode cases = manifest.putArray("cases");
    PredictRequest affineFloat =
        PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName(model))
            .putInputs("x", floats(1f, 2f, -4f, 0.25f))
            .build();
    addCase(folder, cases, "affine-float", "predict", affineFloat, "response");
    PredictRequest affineInt =
        PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName(model).setSignatureName("ints"))
            .putInputs(
                "n",
                TensorProto.newBuilder()
                    .setDtype(DataType.DT_INT64)
                    .setTensorShape(TensorProtoCodec.shapeProto(new long[] {2, 2}))
                    .addAllInt64Val(List.of(1L, 2L, -3L, 10L))
                    .build())
            .build();
    addCase(folder, cases, "affine-int64", "predict", affineInt, "response");
    GetModelMetadataRequest badField =
        GetModelMetadataRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName(model))
            .addMetadataField("bogus")
            .build();
    addCase(folder, cases, "metadata-bad-field", "metadata", badField, "INVALID_ARGUMENT");
    Files.writeString(folder.resolve("manifest.json"), JSON.writeValueAsString(manifest));
    return folder;
  }

  /** One case; {@code expect} is "response" (any bytes: the judge's concern) or a code name. */
  static void addCase(
      Path folder, ArrayNode cases, String id, String api, Message request, String expect)
      throws IOException {
    ObjectNode c = cases.addObject().put("id", id).put("api", api);
    c.putArray("transports").add("inproc").add("grpc").add("rest");
    ObjectNode sha = c.putObject("sha256");
    String requestFile = id + ".request.pb";
    Files.write(folder.resolve(requestFile), request.toByteArray());
    c.put("request", requestFile);
    sha.put(requestFile, Manifest.sha256Hex(request.toByteArray()));
    if (expect.equals("response")) {
      String responseFile = id + ".response.pb";
      byte[] placeholder = PredictResponse.getDefaultInstance().toByteArray();
      Files.write(folder.resolve(responseFile), placeholder);
      c.put("response", responseFile);
      sha.put(responseFile, Manifest.sha256Hex(placeholder));
    } else {
      c.put("error", expect);
    }
  }

  static TensorProto floats(float... values) {
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorProtoCodec.shapeProto(new long[] {values.length}));
    for (float v : values) {
      t.addFloatVal(v);
    }
    return t.build();
  }

  /** The affine SavedModel: a plain GraphDef (no variables), two signatures, tag "serve". */
  static void writeAffineSavedModel(Path version) throws IOException {
    GraphDef graph =
        GraphDef.newBuilder()
            .setVersions(VersionDef.newBuilder().setProducer(1994))
            .addNode(placeholder("x", DataType.DT_FLOAT, -1))
            .addNode(affine("y", "x", DataType.DT_FLOAT, 3f, 0.5f))
            .addNode(placeholder("n", DataType.DT_INT64, -1, 2))
            .addNode(affine("m", "n", DataType.DT_INT64, 2f, 1f))
            .build();
    MetaGraphDef meta =
        MetaGraphDef.newBuilder()
            .setMetaInfoDef(MetaGraphDef.MetaInfoDef.newBuilder().addTags("serve"))
            .setGraphDef(graph)
            .putSignatureDef(
                "serving_default",
                signature("x", tensor("x:0", DataType.DT_FLOAT, -1), "y", "y:0", -1))
            .putSignatureDef(
                "ints", signature("n", tensor("n:0", DataType.DT_INT64, -1, 2), "m", "m:0", -1, 2))
            .build();
    SavedModel model =
        SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(meta).build();
    Files.write(version.resolve("saved_model.pb"), model.toByteArray());
  }

  static NodeDef placeholder(String name, DataType dtype, long... shape) {
    return NodeDef.newBuilder()
        .setName(name)
        .setOp("Placeholder")
        .putAttr("dtype", AttrValue.newBuilder().setType(dtype).build())
        .putAttr("shape", AttrValue.newBuilder().setShape(shape(shape)).build())
        .build();
  }

  static NodeDef affine(String name, String input, DataType dtype, float a, float b) {
    return NodeDef.newBuilder()
        .setName(name)
        .setOp("TfiAffine")
        .addInput(input)
        .putAttr("T", AttrValue.newBuilder().setType(dtype).build())
        .putAttr("a", AttrValue.newBuilder().setF(a).build())
        .putAttr("b", AttrValue.newBuilder().setF(b).build())
        .build();
  }

  static TensorInfo tensor(String name, DataType dtype, long... shape) {
    return TensorInfo.newBuilder()
        .setName(name)
        .setDtype(dtype)
        .setTensorShape(shape(shape))
        .build();
  }

  static SignatureDef signature(
      String inputAlias, TensorInfo input, String outputAlias, String output, long... shape) {
    return SignatureDef.newBuilder()
        .setMethodName("tensorflow/serving/predict")
        .putInputs(inputAlias, input)
        .putOutputs(outputAlias, tensor(output, input.getDtype(), shape))
        .build();
  }

  static TensorShapeProto shape(long... dims) {
    return TensorProtoCodec.shapeProto(dims);
  }

  // --- processes ---

  /** What one process did. */
  record Run(int status, String out, String err) {}

  /** Runs {@link Main} in a fresh JVM with this test's class path. */
  static Run main(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    return exec(command);
  }

  static Run exec(List<String> command) throws Exception {
    Path out = Files.createTempFile(dir, "stdout-", ".txt");
    Path err = Files.createTempFile(dir, "stderr-", ".txt");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(Map.of("TF_CPP_MIN_LOG_LEVEL", "2"));
    Process p = builder.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(command + " did not finish in 300 s");
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** The venv's tensorflow/include (the wheel's headers, C API included), or null. */
  static Path tensorflowInclude() throws IOException {
    Path lib = ROOT.resolve(".venv/lib");
    if (!Files.isDirectory(lib)) {
      return null;
    }
    try (DirectoryStream<Path> pythons = Files.newDirectoryStream(lib, "python3*")) {
      for (Path python : pythons) {
        Path include = python.resolve("site-packages/tensorflow/include");
        if (Files.exists(include.resolve("tensorflow/c/kernels.h"))) {
          return include;
        }
      }
    }
    return null;
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }
}
