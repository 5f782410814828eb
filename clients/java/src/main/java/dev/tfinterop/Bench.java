package dev.tfinterop;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.io.PrintStream;
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
 * {@code bench}: one case sent N times by C threads, after a JIT warm-up run the same way.
 * The warm-up is reported (count and wall time), never hidden in the figures.
 */
public final class Bench {
  private final PrintStream log;

  public Bench(PrintStream log) {
    this.log = log;
  }

  /** Latencies and errors of one phase. */
  record Phase(long[] latenciesNanos, long errors, long wallNanos) {}

  public Map<String, Object> run(Options.Bench o) {
    Manifest m = Manifest.read(o.cases());
    Manifest.Case c = m.cases().stream().filter(x -> x.id().equals(o.caseId())).findFirst()
        .orElseThrow(() -> new UsageException("no case " + o.caseId() + " in " + o.cases()));
    if (!c.appliesTo(o.connection().mode())) {
      throw new UsageException("case " + c.id() + " does not apply to " + o.connection().mode());
    }
    Message message;
    try {
      message = c.api().parseRequest(c.verify());
    } catch (InvalidProtocolBufferException e) {
      throw new ToolException("case " + c.id() + ": request does not parse: " + e.getMessage());
    }
    CaseRequest request = new CaseRequest(c.api(), message, c.restFormat());
    try (Transport transport = Transports.open(o.connection(), m.configPath())) {
      Phase warm = phase(transport, request, o.warmup(), o.concurrency());
      log.printf("bench: warm-up %d requests in %.1f ms (%d errors)%n", o.warmup(),
          warm.wallNanos() / 1e6, warm.errors());
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
      out.put("warmup_ms", Math.round(warm.wallNanos() / 1e5) / 10.0);
      out.put("warmup_errors", warm.errors());
      out.put("p50_us", Runner.micros(percentile(sorted, 50)));
      out.put("p90_us", Runner.micros(percentile(sorted, 90)));
      out.put("p99_us", Runner.micros(percentile(sorted, 99)));
      out.put("mean_us", Runner.micros((long) Arrays.stream(sorted).average().orElse(0)));
      out.put("rps", Math.round(o.requests() / (p.wallNanos() / 1e9) * 10) / 10.0);
      out.put("errors", p.errors());
      return out;
    }
  }

  private static Phase phase(Transport t, CaseRequest request, int n, int concurrency) {
    long[] latencies = new long[n];
    AtomicInteger next = new AtomicInteger();
    AtomicLong errors = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long start = System.nanoTime();
    try {
      List<Future<?>> workers = java.util.stream.IntStream.range(0, concurrency)
          .<Future<?>>mapToObj(w -> pool.submit(() -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
              long s = System.nanoTime();
              try {
                t.call(request);
              } catch (ServingException e) {
                errors.incrementAndGet();
              }
              latencies[i] = System.nanoTime() - s;
            }
          }))
          .toList();
      for (Future<?> f : workers) {
        f.get();
      }
    } catch (Exception e) {
      throw new ToolException("bench worker failed: " + e);
    } finally {
      pool.shutdownNow();
    }
    return new Phase(latencies, errors.get(), System.nanoTime() - start);
  }

  private static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** The first input's leading dimension (predict), else 1. */
  private static long batch(Message m) {
    if (m instanceof PredictRequest p && p.getInputsCount() > 0) {
      TensorProto first = p.getInputsMap().values().iterator().next();
      if (first.getTensorShape().getDimCount() > 0) {
        return first.getTensorShape().getDim(0).getSize();
      }
    }
    return 1;
  }
}
