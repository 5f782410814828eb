package dev.tfinterop;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import inference.GrpcService.ModelInferRequest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.tensorflow.framework.TensorProto;
import tensorflow.serving.Predict.PredictRequest;

/**
 * {@code bench}: one case sent N times by C threads, after a warm-up sent the same way (it also
 * warms the JIT). The warm-up's count is in the JSON line, its wall time and errors on stderr;
 * never in the figures.
 */
public final class Bench {
  public static final int DEFAULT_WARMUP = 10;

  private final PrintWriter log;

  public Bench(PrintWriter log) {
    this.log = log;
  }

  /** A parsed bench command line. */
  public record Settings(
      Connection connection,
      Path cases,
      String caseId,
      int requests,
      int concurrency,
      int warmup) {}

  /**
   * One phase: per-request latencies, errors, and the wall time from the first request sent to the
   * last answer.
   */
  record Phase(long[] latenciesNanos, long errors, long wallNanos) {}

  /** Runs the warm-up and the measured phase; the bench JSON line's fields, in order. */
  public Map<String, Object> run(Settings o) {
    Manifest m = Manifest.read(o.cases());
    Manifest.Case c =
        m.cases().stream()
            .filter(x -> x.id().equals(o.caseId()))
            .findFirst()
            .orElseThrow(() -> new UsageException("no case " + o.caseId() + " in " + o.cases()));
    if (!c.appliesTo(o.connection().mode())) {
      throw new UsageException("case " + c.id() + " does not apply to " + o.connection().mode());
    }
    Message message;
    try {
      String mode = o.connection().mode();
      message = Transports.parseRequest(mode, c.api(), c.verify(mode));
    } catch (InvalidProtocolBufferException e) {
      throw new ToolException("case " + c.id() + ": request does not parse: " + e.getMessage());
    }
    CaseRequest request = new CaseRequest(c.api(), message, c.restFormat());
    try (Transport transport = Transports.open(o.connection(), m, new OpLibraries(log))) {
      if (o.warmup() > 0) {
        Phase warm = phase(transport, request, o.warmup(), o.concurrency());
        log.printf(
            "bench: warm-up %d requests in %.1f ms (%d errors)%n",
            o.warmup(), warm.wallNanos() / 1e6, warm.errors());
      }
      Phase p = phase(transport, request, o.requests(), o.concurrency());
      long[] sorted = p.latenciesNanos().clone();
      Arrays.sort(sorted);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("client", Runner.CLIENT);
      out.put("mode", transport.name());
      out.put("case", c.id());
      out.put("batch", batch(message));
      out.put("requests", o.requests());
      out.put("concurrency", o.concurrency());
      out.put("warmup", o.warmup());
      out.put("p50_us", Runner.micros(Percentiles.nearestRank(sorted, 50)));
      out.put("p90_us", Runner.micros(Percentiles.nearestRank(sorted, 90)));
      out.put("p99_us", Runner.micros(Percentiles.nearestRank(sorted, 99)));
      out.put("mean_us", Runner.micros(Math.round(Arrays.stream(sorted).average().orElse(0))));
      out.put("rps", Math.round(sorted.length / (p.wallNanos() / 1e9) * 10) / 10.0);
      out.put("errors", p.errors());
      return out;
    }
  }

  private static Phase phase(Transport t, CaseRequest request, int n, int concurrency) {
    long[] sent = new long[n];
    long[] answered = new long[n];
    AtomicInteger next = new AtomicInteger();
    AtomicLong errors = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    Runnable worker =
        () -> {
          for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            sent[i] = System.nanoTime();
            try {
              t.call(request);
            } catch (ServingException e) {
              errors.incrementAndGet();
            }
            answered[i] = System.nanoTime();
          }
        };
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < concurrency; w++) {
        workers.add(pool.submit(worker));
      }
      for (Future<?> f : workers) {
        f.get();
      }
    } catch (Exception e) {
      throw new ToolException("bench worker failed: " + e);
    } finally {
      pool.shutdownNow();
    }
    long[] latencies = new long[n];
    for (int i = 0; i < n; i++) {
      latencies[i] = answered[i] - sent[i];
    }
    long wall = Arrays.stream(answered).max().orElse(0) - Arrays.stream(sent).min().orElse(0);
    return new Phase(latencies, errors.get(), wall);
  }

  /** The first input's leading dimension (predict, v1 or v2), else 1. */
  private static long batch(Message m) {
    if (m instanceof PredictRequest p && p.getInputsCount() > 0) {
      TensorProto first = p.getInputsMap().values().iterator().next();
      if (first.getTensorShape().getDimCount() > 0) {
        return first.getTensorShape().getDim(0).getSize();
      }
    }
    if (m instanceof ModelInferRequest r
        && r.getInputsCount() > 0
        && r.getInputs(0).getShapeCount() > 0) {
      return r.getInputs(0).getShape(0);
    }
    return 1;
  }
}
