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
    OpLibraries libraries = new OpLibraries(log);
    try (Transport transport = Transports.open(o.connection(), m, libraries);
        Reference ref = Reference.open(o, m, c, transport, libraries)) {
      if (o.warmup() > 0) {
        Phase warm = phase(transport, request, o.warmup(), o.concurrency());
        log.printf(
            "bench: warm-up %d requests in %.1f ms (%d errors)%n",
            o.warmup(), warm.wallNanos() / 1e6, warm.errors());
        ref.measure(o.warmup(), new long[o.warmup()], 0);
      }
      long[] refLatencies = new long[o.requests()];
      long[] refWall = new long[1];
      Phase p;
      if (o.concurrency() == 1) {
        // Client and reference alternate in blocks on this one thread, so that the load of a
        // shared machine, which drifts over seconds, weighs on both alike.
        p = alternating(transport, request, o.requests(), ref, refLatencies, refWall);
      } else {
        p = phase(transport, request, o.requests(), o.concurrency());
        long begin = System.nanoTime();
        ref.measure(o.requests(), refLatencies, 0);
        refWall[0] = System.nanoTime() - begin;
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("client", Runner.CLIENT);
      out.put("mode", transport.name());
      out.put("case", c.id());
      out.put("batch", batch(message));
      out.put("requests", o.requests());
      out.put("concurrency", o.concurrency());
      out.put("warmup", o.warmup());
      out.putAll(summary(p.latenciesNanos(), p.wallNanos()));
      out.put("errors", p.errors());
      Map<String, Object> reference = ref.summary(refLatencies, refWall[0], o.requests());
      // Ratios only mean something when every measured request succeeded.
      if (p.errors() == 0 && reference.get("mean_us") instanceof Double mean && mean > 0) {
        double p50 = (Double) out.get("p50_us");
        out.put(
            "overhead_ratio_p50", round2(p50 / Math.max((Double) reference.get("p50_us"), 0.1)));
        out.put("overhead_ratio_mean", round2((Double) out.get("mean_us") / mean));
      }
      out.put("reference", reference);
      return out;
    }
  }

  /** Client and reference blocks in turn on the calling thread; the client's phase. */
  private static Phase alternating(
      Transport t, CaseRequest request, int n, Reference ref, long[] refLatencies, long[] refWall) {
    long[] latencies = new long[n];
    long errors = 0;
    long wall = 0;
    for (int b = 0; b < BLOCKS; b++) {
      int from = (int) ((long) n * b / BLOCKS);
      int to = (int) ((long) n * (b + 1) / BLOCKS);
      long blockStart = System.nanoTime();
      for (int i = from; i < to; i++) {
        long start = System.nanoTime();
        try {
          t.call(request);
        } catch (ServingException e) {
          errors++;
        }
        latencies[i] = System.nanoTime() - start;
      }
      long refStart = System.nanoTime();
      wall += refStart - blockStart;
      ref.measure(to - from, refLatencies, from);
      refWall[0] += System.nanoTime() - refStart;
    }
    return new Phase(latencies, errors, wall);
  }

  /** p50_us, p90_us, p99_us (the contract's nearest rank), mean_us and rps of one phase. */
  static Map<String, Object> summary(long[] latenciesNanos, long wallNanos) {
    long[] sorted = latenciesNanos.clone();
    Arrays.sort(sorted);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("p50_us", Runner.micros(Percentiles.nearestRank(sorted, 50)));
    out.put("p90_us", Runner.micros(Percentiles.nearestRank(sorted, 90)));
    out.put("p99_us", Runner.micros(Percentiles.nearestRank(sorted, 99)));
    out.put("mean_us", Runner.micros(Math.round(Arrays.stream(sorted).average().orElse(0))));
    out.put("rps", Math.round(sorted.length / (wallNanos / 1e9) * 10) / 10.0);
    return out;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** Client and reference alternate in this many blocks of requests at concurrency 1. */
  static final int BLOCKS = 20;

  /**
   * The bare TF Java loop ({@link BareSessionRun}) on the case's predict request, in any mode (v2
   * modes: the case's v1 request, the same tensors): converted once, then only the session run, as
   * many times as measured, after the same warm-up, in this process; at concurrency 1 on the
   * client's thread, alternating with it. In inproc mode it runs on the bench's own loaded model,
   * else it loads one (so TF Java and the transport share the process). Its summary is {"error":
   * why} when it cannot run.
   */
  private static final class Reference implements AutoCloseable {
    private final InprocTransport loaded; // null when it runs on the bench's own model
    private final BareSessionRun call; // null when it cannot run
    private String error;

    private Reference(InprocTransport loaded, BareSessionRun call, String error) {
      this.loaded = loaded;
      this.call = call;
      this.error = error;
    }

    static Reference open(
        Settings o, Manifest m, Manifest.Case c, Transport transport, OpLibraries libraries) {
      if (c.api() != Api.PREDICT) {
        return new Reference(null, null, "the reference runs predict cases only");
      }
      InprocTransport loaded = null;
      try {
        PredictRequest request = PredictRequest.parseFrom(c.read(c.request()));
        InprocTransport inproc;
        if (transport instanceof InprocTransport t) {
          inproc = t;
        } else {
          Connection k = o.connection();
          loaded =
              new InprocTransport(
                  ModelConfigFile.read(k.modelConfig() != null ? k.modelConfig() : m.configPath()),
                  libraries.load(OpLibraries.needed(k, m)));
          inproc = loaded;
        }
        return new Reference(loaded, inproc.prepare(request), null);
      } catch (ServingException e) {
        return failed(loaded, e.code() + ": " + e.getMessage());
      } catch (InvalidProtocolBufferException e) {
        return failed(loaded, "the request does not parse: " + e.getMessage());
      } catch (ToolException e) {
        return failed(loaded, e.getMessage());
      }
    }

    private static Reference failed(InprocTransport loaded, String why) {
      if (loaded != null) {
        loaded.close();
      }
      return new Reference(null, null, why);
    }

    /** `count` runs timed into latencies[from...]; stops (the error kept) at one that fails. */
    void measure(int count, long[] latencies, int from) {
      for (int i = 0; i < count && error == null; i++) {
        long start = System.nanoTime();
        try {
          call.run();
        } catch (ServingException e) {
          error = e.code() + ": " + e.getMessage();
        }
        latencies[from + i] = System.nanoTime() - start;
      }
    }

    Map<String, Object> summary(long[] latencies, long wallNanos, int requests) {
      Map<String, Object> ref = new LinkedHashMap<>();
      if (error != null) {
        ref.put("error", error);
        return ref;
      }
      ref.putAll(Bench.summary(latencies, wallNanos));
      ref.put(
          "what",
          "bare TF Java Session.runner() loop, prepared tensors, same process; at concurrency 1"
              + " on the client's thread, alternating with it in "
              + BLOCKS
              + " blocks");
      ref.put("requests", requests);
      return ref;
    }

    @Override
    public void close() {
      if (call != null) {
        call.close();
      }
      if (loaded != null) {
        loaded.close();
      }
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
