package dev.tfinterop;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.framework.FunctionDef;
import org.tensorflow.framework.MetaGraphDef;
import org.tensorflow.framework.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * The input tensors a servable feeds, kept per thread and per feed name and refilled in place on
 * the next run of the same dtype and shape: a new TF Java tensor costs a native allocation and
 * JavaCPP's deallocator bookkeeping on every request, about as much as the rest of this client's
 * per-request work.
 *
 * <p>Refilling is safe because nothing holds the buffer once a run is over: TensorFlow never writes
 * into a fed buffer (forwarding an input for in-place use needs its only reference, and the kept
 * tensor is another); an output that aliases an input (Identity) is copied into the response and
 * released before the thread's next run; threads never share a tensor. What could keep a buffer
 * past the run is a stateful op that stores its input shallowly (a queue, a staging area, a Python
 * function), so a graph with any stateful op outside {@link #KEEPS_NO_INPUT}, or an op this
 * TensorFlow does not know, gets a new tensor per run, as do string tensors (TString's layout).
 */
final class ReusedInputs implements AutoCloseable {
  /**
   * Stateful ops known to keep no reference to an input after the run: variables (assignment copies
   * a buffer with a second reference), tables (they copy keys and values), checkpoints, function
   * calls (their bodies are checked op by op) and random number generators (they read a shape).
   */
  static final Set<String> KEEPS_NO_INPUT =
      Set.of(
          "VarHandleOp",
          "ReadVariableOp",
          "AssignVariableOp",
          "AssignAddVariableOp",
          "AssignSubVariableOp",
          "VarIsInitializedOp",
          "DisableCopyOnRead",
          "DestroyResourceOp",
          "HashTable",
          "HashTableV2",
          "MutableHashTableV2",
          "MutableHashTableOfTensorsV2",
          "MutableDenseHashTableV2",
          "LookupTableFindV2",
          "LookupTableSizeV2",
          "LookupTableInsertV2",
          "LookupTableImportV2",
          "LookupTableExportV2",
          "InitializeTableV2",
          "InitializeTableFromTextFileV2",
          "SaveV2",
          "RestoreV2",
          "MergeV2Checkpoints",
          "StatefulPartitionedCall",
          "RandomUniform",
          "RandomUniformInt",
          "RandomStandardNormal",
          "TruncatedNormal");

  /** Each thread's tensors by feed name; only that thread touches its map until {@link #close}. */
  private final ThreadLocal<Map<String, Tensor>> byThread;

  /** Every thread's map, for {@link #close}. */
  private final Set<Map<String, Tensor>> all = ConcurrentHashMap.newKeySet();

  ReusedInputs() {
    byThread =
        ThreadLocal.withInitial(
            () -> {
              Map<String, Tensor> m = new HashMap<>();
              all.add(m);
              return m;
            });
  }

  /**
   * Whether refilling fed tensors is safe for this graph: every op of its graph and function
   * library is known to this TensorFlow, and each stateful one keeps no input (see the class
   * comment).
   */
  static boolean safeFor(MetaGraphDef metaGraph) {
    Map<String, Boolean> stateful = new HashMap<>();
    for (OpDef op : TensorFlow.registeredOpList().getOpList()) {
      stateful.put(op.getName(), op.getIsStateful());
    }
    for (NodeDef n : metaGraph.getGraphDef().getNodeList()) {
      if (!keepsNoInput(n.getOp(), stateful)) {
        return false;
      }
    }
    Set<String> functions = new HashSet<>();
    for (FunctionDef f : metaGraph.getGraphDef().getLibrary().getFunctionList()) {
      functions.add(f.getSignature().getName());
    }
    for (FunctionDef f : metaGraph.getGraphDef().getLibrary().getFunctionList()) {
      for (NodeDef n : f.getNodeDefList()) {
        // A node may call a library function by name; its body is checked as its own entry.
        if (!keepsNoInput(n.getOp(), stateful) && !functions.contains(n.getOp())) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean keepsNoInput(String op, Map<String, Boolean> stateful) {
    Boolean s = stateful.get(op);
    return s != null && (!s || KEEPS_NO_INPUT.contains(op));
  }

  /**
   * A tensor holding {@code t}, the input {@code alias}, for the feed {@code feedName}: this
   * thread's kept one refilled, or a new one kept in its place (the old one closed). Null for a
   * string tensor: the caller makes and closes its own. UNIMPLEMENTED for a dtype TF Java lacks.
   */
  Tensor fill(String feedName, HostTensor t, String alias) throws ServingException {
    if (t.dtype() == DType.STRING) {
      return null;
    }
    Map<String, Tensor> kept = byThread.get();
    Tensor old = kept.get(feedName);
    if (old != null && fits(old, t)) {
      old.asRawTensor().data().write(t.data());
      return old;
    }
    Tensor fresh = TfTensors.toTensor(t, "input " + alias);
    kept.put(feedName, fresh);
    if (old != null) {
      old.close();
    }
    return fresh;
  }

  /** Same dtype and shape, compared without copying either shape. */
  private static boolean fits(Tensor kept, HostTensor t) {
    if (kept.dataType().getNumber() != t.dtype().proto().getNumber()
        || kept.shape().numDimensions() != t.rank()) {
      return false;
    }
    for (int i = 0; i < t.rank(); i++) {
      if (kept.shape().get(i) != t.dim(i)) {
        return false;
      }
    }
    return true;
  }

  /** Closes every thread's tensors; call once no run is in flight. */
  @Override
  public void close() {
    for (Map<String, Tensor> m : all) {
      m.values().forEach(Tensor::close);
      m.clear();
    }
  }
}
