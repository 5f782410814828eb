package dev.tfinterop;

import java.util.List;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * The bench's bare reference (docs/BENCHMARKS.md "ratio"): a signature's inputs made TF Java
 * tensors once, then only TF Java's own session call per run (Session.runner() feed, fetch, run;
 * the outputs closed unread). What TF Java 1.1.0 itself costs per run, measured beside the
 * in-process figure, which adds this client's validation and conversion.
 */
final class BareSessionRun implements AutoCloseable {
  private final Session session;
  private final String key;
  private final List<Output<?>> feeds;
  private final List<Tensor> tensors;
  private final List<Output<?>> fetches;

  BareSessionRun(
      Session session,
      String key,
      List<Output<?>> feeds,
      List<Tensor> tensors,
      List<Output<?>> fetches) {
    this.session = session;
    this.key = key;
    this.feeds = List.copyOf(feeds);
    this.tensors = List.copyOf(tensors);
    this.fetches = List.copyOf(fetches);
  }

  /** One session run; TensorFlow's error as a ServingException. */
  void run() throws ServingException {
    Session.Runner runner = session.runner();
    for (int i = 0; i < feeds.size(); i++) {
      runner.feed(feeds.get(i), tensors.get(i));
    }
    for (Output<?> f : fetches) {
      runner.fetch(f);
    }
    try (Result result = runner.run()) {
      // Outputs are released unread: reading them is the client's conversion, not TF Java's.
    } catch (TensorFlowException | IllegalArgumentException | UnsupportedOperationException e) {
      throw SavedModelServable.fromTensorFlow(e, "running signature " + key);
    }
  }

  @Override
  public void close() {
    tensors.forEach(Tensor::close);
  }
}
