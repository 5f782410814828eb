package dev.tfinterop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A case folder's manifest.json (docs/CONTRACT.md). Reading a case's file checks it against the
 * manifest's sha256; any mismatch or missing file is a {@link ToolException}.
 *
 * @param opLibraries {@code model.op_libraries} as written: custom-op libraries the model needs,
 *     relative to the case folder (see {@link #opLibraryPaths})
 */
public record Manifest(
    Path folder,
    String model,
    String config,
    List<String> opLibraries,
    Map<String, String> producer,
    List<Case> cases) {
  public static final int FORMAT = 1;
  static final List<String> TRANSPORTS = List.of("inproc", "grpc", "rest");

  /**
   * A case's Open Inference Protocol form ({@code v2}): the ModelInferRequest file, and the
   * expected ModelInferResponse file or code (null when absent; the judge reads them, the client
   * only verifies the files).
   */
  public record V2(String request, String response, String error) {}

  /**
   * One case entry. {@code response} and {@code error} are exclusive; either may be null. {@code
   * v2} is null for a case without a v2 form.
   */
  public record Case(
      Path folder,
      String id,
      Api api,
      List<String> transports,
      String request,
      String response,
      String error,
      RestFormat restFormat,
      Map<String, String> sha256,
      V2 v2) {

    public Case(
        Path folder,
        String id,
        Api api,
        List<String> transports,
        String request,
        String response,
        String error,
        RestFormat restFormat,
        Map<String, String> sha256) {
      this(folder, id, api, transports, request, response, error, restFormat, sha256, null);
    }

    /** Whether {@code mode} runs this case: listed in transports, and in v2 modes a v2 form. */
    public boolean appliesTo(String mode) {
      return transports.contains(mode) && (!Transports.isV2(mode) || v2 != null);
    }

    /** The request file {@code mode} sends: the v2 form's in v2 modes, else {@code request}. */
    public String requestFor(String mode) {
      return Transports.isV2(mode) && v2 != null ? v2.request() : request;
    }

    /** The bytes of a file this case names, verified against its sha256. */
    public byte[] read(String name) {
      Path path = folder.resolve(name);
      byte[] data;
      try {
        data = Files.readAllBytes(path);
      } catch (NoSuchFileException e) {
        throw new ToolException("case " + id + ": " + path + " is missing");
      } catch (IOException e) {
        throw new ToolException("case " + id + ": cannot read " + path + ": " + e.getMessage());
      }
      String want = sha256.get(name);
      if (want == null) {
        throw new ToolException("case " + id + ": manifest has no sha256 for " + name);
      }
      String got = sha256Hex(data);
      if (!got.equalsIgnoreCase(want)) {
        throw new ToolException(
            "case "
                + id
                + ": "
                + path
                + " sha256 "
                + got.substring(0, 12)
                + "… != manifest "
                + want.substring(0, Math.min(12, want.length()))
                + "…");
      }
      return data;
    }

    /** Verifies every file the case names (requests and responses); returns the request. */
    public byte[] verify() {
      return verify("inproc");
    }

    /** Verifies every file the case names; returns the request {@code mode} sends. */
    public byte[] verify(String mode) {
      byte[] request = read(this.request);
      if (response != null) {
        read(response);
      }
      if (v2 != null) {
        byte[] v2Request = read(v2.request());
        if (v2.response() != null) {
          read(v2.response());
        }
        if (Transports.isV2(mode)) {
          return v2Request;
        }
      }
      return request;
    }
  }

  /** The model config path the manifest names, resolved against the case folder. */
  public Path configPath() {
    return realFolder(folder).resolve(config).normalize();
  }

  /**
   * {@code model.op_libraries} resolved against the case folder, in order. They are not checked
   * here: a library that fails to load is each inproc case's result, not a bad case set.
   */
  public List<Path> opLibraryPaths() {
    Path base = realFolder(folder);
    return opLibraries.stream().map(lib -> base.resolve(lib).normalize()).toList();
  }

  /** The folder with symlinks resolved, so ".." in relative paths means what it does to TF. */
  static Path realFolder(Path folder) {
    try {
      return folder.toRealPath();
    } catch (IOException e) {
      return folder.toAbsolutePath();
    }
  }

  /** Reads and checks folder/manifest.json; ToolException (one line) when missing or bad. */
  public static Manifest read(Path folder) {
    Path path = folder.resolve("manifest.json");
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(path));
    } catch (NoSuchFileException e) {
      throw new ToolException("cannot read " + path + ": no such file");
    } catch (IOException e) {
      throw new ToolException(
          path + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject() || root.path("format").asInt(-1) != FORMAT) {
      throw new ToolException(
          path + ": unsupported manifest format " + (root == null ? null : root.get("format")));
    }
    String model = root.path("model").path("name").asText("");
    if (model.isEmpty()) {
      throw new ToolException(path + ": model.name is missing");
    }
    String config = root.path("model").path("config").asText("");
    List<String> opLibraries = readOpLibraries(path, root.path("model").get("op_libraries"));
    Map<String, String> producer = new LinkedHashMap<>();
    root.path("producer")
        .fields()
        .forEachRemaining(e -> producer.put(e.getKey(), e.getValue().asText()));
    List<Case> cases = new ArrayList<>();
    int i = 0;
    for (JsonNode c : root.path("cases")) {
      cases.add(readCase(folder, path, c, i++));
    }
    return new Manifest(folder, model, config, opLibraries, producer, cases);
  }

  /** model.op_libraries: absent, or an array of non-empty path strings. */
  private static List<String> readOpLibraries(Path path, JsonNode libraries) {
    if (libraries == null || libraries.isNull()) {
      return List.of();
    }
    if (!libraries.isArray()) {
      throw new ToolException(path + ": model.op_libraries is not a list of paths");
    }
    List<String> paths = new ArrayList<>();
    for (JsonNode lib : libraries) {
      if (!lib.isTextual() || lib.asText().isEmpty()) {
        throw new ToolException(
            path + ": model.op_libraries[" + paths.size() + "] is not a non-empty path");
      }
      paths.add(lib.asText());
    }
    return List.copyOf(paths);
  }

  private static Case readCase(Path folder, Path path, JsonNode c, int index) {
    String id = c.path("id").asText("");
    String request = c.path("request").asText("");
    if (id.isEmpty() || request.isEmpty()) {
      throw new ToolException(path + ": case #" + index + " lacks id or request");
    }
    Api api;
    try {
      api = Api.of(c.path("api").asText(""));
    } catch (IllegalArgumentException e) {
      throw new ToolException(path + ": case " + id + " has unknown api " + c.get("api"));
    }
    List<String> transports = new ArrayList<>();
    if (c.has("transports")) {
      c.path("transports").forEach(t -> transports.add(t.asText()));
    } else {
      transports.addAll(TRANSPORTS);
    }
    String response = c.hasNonNull("response") ? c.get("response").asText() : null;
    String error = c.hasNonNull("error") ? c.get("error").asText() : null;
    if ((response == null) == (error == null)) {
      throw new ToolException(path + ": case " + id + " needs exactly one of response and error");
    }
    RestFormat format;
    try {
      format = RestFormat.of(c.path("rest_format").asText("columnar"));
    } catch (IllegalArgumentException e) {
      throw new ToolException(path + ": case " + id + ": " + e.getMessage());
    }
    Map<String, String> sha = new LinkedHashMap<>();
    c.path("sha256").fields().forEachRemaining(e -> sha.put(e.getKey(), e.getValue().asText()));
    return new Case(
        folder,
        id,
        api,
        List.copyOf(transports),
        request,
        response,
        error,
        format,
        sha,
        readV2(path, id, c.get("v2")));
  }

  /** The case's v2 entry: absent (null), or an object naming its request file. */
  private static V2 readV2(Path path, String id, JsonNode v2) {
    if (v2 == null || v2.isNull()) {
      return null;
    }
    String request = v2.path("request").asText("");
    if (!v2.isObject() || request.isEmpty()) {
      throw new ToolException(path + ": case " + id + ": v2 lacks its request file");
    }
    String response = v2.hasNonNull("response") ? v2.get("response").asText() : null;
    String error = v2.hasNonNull("error") ? v2.get("error").asText() : null;
    if (response != null && error != null) {
      throw new ToolException(path + ": case " + id + ": v2 has both response and error");
    }
    return new V2(request, response, error);
  }

  static String sha256Hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
