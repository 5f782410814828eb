package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Tensor;
import org.tensorflow.framework.FunctionDef;
import org.tensorflow.framework.FunctionDefLibrary;
import org.tensorflow.framework.GraphDef;
import org.tensorflow.framework.MetaGraphDef;
import org.tensorflow.framework.NodeDef;
import org.tensorflow.framework.OpDef;
import org.tensorflow.framework.TensorProto;
import tensorflow.serving.Predict.PredictRequest;

class ReusedInputsTest {
  static final Path BUILD = Path.of(System.getProperty("tfinterop.build", "../../build"));

  /** A graph of {@code graphOps}, calling a library function made of {@code functionOps}. */
  static MetaGraphDef graph(List<String> graphOps, List<String> functionOps) {
    GraphDef.Builder g = GraphDef.newBuilder();
    for (String op : graphOps) {
      g.addNode(NodeDef.newBuilder().setName(op.toLowerCase()).setOp(op));
    }
    FunctionDef.Builder f =
        FunctionDef.newBuilder().setSignature(OpDef.newBuilder().setName("__inference_f_12"));
    for (String op : functionOps) {
      f.addNodeDef(NodeDef.newBuilder().setName(op.toLowerCase()).setOp(op));
    }
    g.setLibrary(FunctionDefLibrary.newBuilder().addFunction(f));
    return MetaGraphDef.newBuilder().setGraphDef(g).build();
  }

  static final List<String> KERAS_GRAPH =
      List.of("Placeholder", "StatefulPartitionedCall", "VarHandleOp", "NoOp");
  static final List<String> KERAS_FUNCTION =
      List.of("ReadVariableOp", "MatMul", "BiasAdd", "Relu", "Softmax", "Identity");

  @Test
  void kerasLikeGraphOfVariablesAndStatelessOpsRefillsInputs() {
    assertTrue(ReusedInputs.safeFor(graph(KERAS_GRAPH, KERAS_FUNCTION)));
  }

  @Test
  void aNodeCallingALibraryFunctionByNameRefillsInputs() {
    List<String> calls = new ArrayList<>(KERAS_FUNCTION);
    calls.add("__inference_f_12");
    assertTrue(ReusedInputs.safeFor(graph(KERAS_GRAPH, calls)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"QueueEnqueueV2", "Stage", "MapStage", "StackPushV2", "EagerPyFunc"})
  void anOpThatMayKeepItsInputMakesFreshTensors(String op) {
    List<String> withOp = new ArrayList<>(KERAS_FUNCTION);
    withOp.add(op);
    assertFalse(ReusedInputs.safeFor(graph(KERAS_GRAPH, withOp)), op + " in a function");
    List<String> top = new ArrayList<>(KERAS_GRAPH);
    top.add(op);
    assertFalse(ReusedInputs.safeFor(graph(top, KERAS_FUNCTION)), op + " in the graph");
  }

  @Test
  void anOpThisTensorFlowDoesNotKnowMakesFreshTensors() {
    assertFalse(ReusedInputs.safeFor(graph(List.of("Placeholder", "NoSuchOp"), List.of())));
  }

  static HostTensor floats(long[] shape, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return HostTensor.ofBytes(DType.FLOAT, shape, b.array());
  }

  @Test
  void sameDtypeAndShapeRefillsTheKeptTensor() throws Exception {
    try (ReusedInputs reused = new ReusedInputs()) {
      Tensor first = reused.fill("x:0", floats(new long[] {2}, 1, 2), "x");
      HostTensor second = floats(new long[] {2}, 3, 4);
      Tensor again = reused.fill("x:0", second, "x");
      assertSame(first, again);
      assertEquals(second, TfTensors.fromTensor(again, "x"));
    }
  }

  @Test
  void anotherShapeDtypeOrFeedGetsItsOwnTensor() throws Exception {
    try (ReusedInputs reused = new ReusedInputs()) {
      Tensor first = reused.fill("x:0", floats(new long[] {2}, 1, 2), "x");
      HostTensor column = floats(new long[] {2, 1}, 5, 6);
      Tensor reshaped = reused.fill("x:0", column, "x");
      assertNotSame(first, reshaped);
      assertEquals(column, TfTensors.fromTensor(reshaped, "x"));
      HostTensor ints = HostTensor.ofBytes(DType.INT32, new long[] {2, 1}, new byte[8]);
      assertEquals(ints, TfTensors.fromTensor(reused.fill("x:0", ints, "x"), "x"));
      Tensor other = reused.fill("y:0", column, "y");
      assertNotSame(reused.fill("x:0", ints, "x"), other);
    }
  }

  @Test
  void stringTensorsAreLeftToTheCaller() throws Exception {
    try (ReusedInputs reused = new ReusedInputs()) {
      HostTensor s = HostTensor.ofStrings(new long[] {1}, List.of(ByteString.copyFromUtf8("a")));
      assertNull(reused.fill("s:0", s, "s"));
    }
  }

  @Test
  void threadsNeverShareATensor() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ReusedInputs reused = new ReusedInputs()) {
      Tensor mine = reused.fill("x:0", floats(new long[] {1}, 1), "x");
      Future<Tensor> theirs = pool.submit(() -> reused.fill("x:0", floats(new long[] {1}, 2), "x"));
      assertNotSame(mine, theirs.get());
      assertEquals(floats(new long[] {1}, 1), TfTensors.fromTensor(mine, "x"));
    } finally {
      pool.shutdownNow();
    }
  }

  /** y for x = {@code values} (shape [n, 1]) through the servable's default signature. */
  static List<Float> y(SavedModelServable servable, PredictRequest golden, float... values)
      throws ServingException {
    TensorProto.Builder x = golden.getInputsOrThrow("x").toBuilder().clearFloatVal();
    for (float v : values) {
      x.addFloatVal(v);
    }
    return SavedModelServableTest.y(servable, x.build()).getFloatValList();
  }

  @Test
  void successiveAndConcurrentRunsEachGetTheirOwnAnswer() throws Exception {
    Path model = BUILD.resolve("models/half_plus_two/00000123");
    Path request = BUILD.resolve("cases/half_plus_two/predict.request.pb");
    assumeTrue(Files.exists(request), "run `make export`");
    PredictRequest golden = PredictRequest.parseFrom(Files.readAllBytes(request));
    try (SavedModelServable servable = SavedModelServable.load("half_plus_two", 123, model)) {
      assertTrue(servable.refillsInputs());
      assertEquals(List.of(3f, 2.5f, 7f), y(servable, golden, 2, 1, 10));
      assertEquals(List.of(2f, 4f, 1f), y(servable, golden, 0, 4, -2));
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          float base = w * 1000;
          workers.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 200; i++) {
                      float v = base + i;
                      assertEquals(
                          List.of(v / 2 + 2, v / 2 + 3, v / 2 + 4),
                          y(servable, golden, v, v + 2, v + 4));
                    }
                    return null;
                  }));
        }
        for (Future<?> f : workers) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
