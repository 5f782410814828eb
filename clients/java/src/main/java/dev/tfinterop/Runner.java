package dev.tfinterop;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * {@code run}: replays case sets through one transport per mode and writes typed results to
 * OUT/java/MODE/MODEL/ (one file per case plus run.json), each folder staged and renamed into
 * place.
 */
public final class Runner {
  public static final String CLIENT = "java";

  private final PrintWriter log;

  public Runner(PrintWriter log) {
    this.log = log;
  }

  /** Runs every folder through one mode; returns the result folders. */
  public List<Path> run(Connection connection, List<Path> caseFolders, Path out) {
    List<Path> written = new ArrayList<>();
    run(List.of(connection), caseFolders, out, written::add);
    return written;
  }

  /**
   * Runs every folder through each mode in turn, in this one process (docs/CONTRACT.md "Several
   * modes in one process"), handing each result folder to {@code written} once committed. Nothing
   * runs unless every file of every case set verifies; a ToolException stops the modes not yet run,
   * and the folders already written stay.
   */
  public void run(
      List<Connection> modes, List<Path> caseFolders, Path out, Consumer<Path> written) {
    List<Manifest> manifests = new ArrayList<>();
    List<Map<String, byte[]>> requestFiles = new ArrayList<>();
    for (Path folder : caseFolders) {
      Manifest m = Manifest.read(folder);
      manifests.add(m);
      requestFiles.add(verifiedRequests(m, modes));
    }
    // One per process: a library is loaded (or fails) once, whichever mode needs it first.
    OpLibraries libraries = new OpLibraries(log);
    for (Connection connection : modes) {
      String mode = connection.mode();
      if (mode.equals("inproc")) {
        // Every case set's libraries before the first model: a graph that uses a custom op cannot
        // load until the op is registered, and a loaded library stays for the whole process.
        for (Manifest m : manifests) {
          libraries.load(OpLibraries.needed(connection, m));
        }
      }
      for (int i = 0; i < manifests.size(); i++) {
        Manifest m = manifests.get(i);
        Map<String, byte[]> requests = new LinkedHashMap<>();
        for (Manifest.Case c : m.cases()) {
          requests.put(c.id(), requestFiles.get(i).get(c.requestFor(mode)));
        }
        try (Transport transport = Transports.open(connection, m, libraries)) {
          written.accept(runSet(transport, m, requests, out));
        }
      }
    }
  }

  /**
   * Every file of {@code m} read and checked once; the request files the modes send, by name (a v1
   * and a v2 mode send different files of one case).
   */
  private static Map<String, byte[]> verifiedRequests(Manifest m, List<Connection> modes) {
    Map<String, byte[]> files = new HashMap<>();
    for (Manifest.Case c : m.cases()) {
      boolean verified = false;
      for (Connection connection : modes) {
        String name = c.requestFor(connection.mode());
        if (!files.containsKey(name)) {
          files.put(name, verified ? c.read(name) : c.verify(connection.mode()));
          verified = true;
        }
      }
    }
    return files;
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
