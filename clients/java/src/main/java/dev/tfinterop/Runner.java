package dev.tfinterop;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code run}: replays case sets through one transport and writes typed results to
 * OUT/java/MODE/MODEL/ (one file per case plus run.json), staged and renamed into place.
 */
public final class Runner {
  public static final String CLIENT = "java";

  private final PrintWriter log;

  public Runner(PrintWriter log) {
    this.log = log;
  }

  /** Runs every folder; returns the result folders. Nothing runs unless every file verifies. */
  public List<Path> run(Connection connection, List<Path> caseFolders, Path out) {
    List<Manifest> manifests = new ArrayList<>();
    List<Map<String, byte[]>> requests = new ArrayList<>();
    for (Path folder : caseFolders) {
      Manifest m = Manifest.read(folder);
      Map<String, byte[]> bytes = new LinkedHashMap<>();
      for (Manifest.Case c : m.cases()) {
        bytes.put(c.id(), c.verify(connection.mode()));
      }
      manifests.add(m);
      requests.add(bytes);
    }
    OpLibraries libraries = new OpLibraries(log);
    if (connection.mode().equals("inproc")) {
      // Every case set's libraries before the first model: a graph that uses a custom op cannot
      // load until the op is registered, and a loaded library stays for the whole process.
      for (Manifest m : manifests) {
        libraries.load(OpLibraries.needed(connection, m));
      }
    }
    List<Path> results = new ArrayList<>();
    for (int i = 0; i < manifests.size(); i++) {
      Manifest m = manifests.get(i);
      try (Transport transport = Transports.open(connection, m, libraries)) {
        results.add(runSet(transport, m, requests.get(i), out));
      }
    }
    return results;
  }

  /** Runs one case set through {@code transport}; returns the committed result folder. */
  public Path runSet(Transport transport, Manifest m, Map<String, byte[]> requests, Path out) {
    Path target = out.resolve(CLIENT).resolve(transport.name()).resolve(m.model());
    Map<String, Object> statuses = new TreeMap<>();
    try (ResultDir dir = ResultDir.create(target)) {
      int n = 0;
      for (Manifest.Case c : m.cases()) {
        n++;
        if (!c.appliesTo(transport.name())) {
          dir.write(
              c.id() + ".skipped.json",
              Json.pretty(Map.of("reason", "case does not apply to " + transport.name())));
          statuses.put(c.id(), Map.of("status", "skipped"));
          continue;
        }
        Message request;
        try {
          request = Transports.parseRequest(transport.name(), c.api(), requests.get(c.id()));
        } catch (InvalidProtocolBufferException e) {
          throw new ToolException(
              "case "
                  + c.id()
                  + ": "
                  + c.requestFor(transport.name())
                  + " is not a "
                  + (Transports.isV2(transport.name()) ? "ModelInferRequest" : c.api().id())
                  + " request: "
                  + e.getMessage());
        }
        long start = System.nanoTime();
        String status;
        try {
          Message response = transport.call(new CaseRequest(c.api(), request, c.restFormat()));
          long elapsed = System.nanoTime() - start;
          dir.write(c.id() + ".response.pb", Protos.deterministicBytes(response));
          status = "ok";
          statuses.put(c.id(), Map.of("status", status, "latency_us", micros(elapsed)));
        } catch (ServingException e) {
          long elapsed = System.nanoTime() - start;
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("code", e.code().name());
          body.put("message", e.getMessage());
          if (e.httpStatus() != null) {
            body.put("http_status", e.httpStatus());
          }
          dir.write(c.id() + ".error.json", Json.pretty(body));
          status = "error";
          statuses.put(c.id(), Map.of("status", status, "latency_us", micros(elapsed)));
        }
        log.printf(
            "[%d/%d] %s/%s %s: %s%n",
            n, m.cases().size(), transport.name(), m.model(), c.id(), status);
      }
      Map<String, Object> runtime = new TreeMap<>(transport.runtime());
      runtime.put("language", "java " + Runtime.version());
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("client", CLIENT);
      run.put("mode", transport.name());
      run.put("model", m.model());
      run.put("runtime", runtime);
      run.put("cases", statuses);
      dir.write("run.json", Json.pretty(run));
      return dir.commit();
    }
  }

  static double micros(long nanos) {
    return Math.round(nanos / 100.0) / 10.0;
  }
}
