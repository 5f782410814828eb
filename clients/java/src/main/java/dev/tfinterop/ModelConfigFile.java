package dev.tfinterop;

import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

/**
 * TF Serving's model config (text-format ModelServerConfig) and ModelSpec resolution as ServerCore
 * does it: empty name and unknown label INVALID_ARGUMENT, unknown model or version NOT_FOUND, no
 * version the highest served one.
 */
public final class ModelConfigFile {

  /**
   * One model of the config, its base path absolute, its version folders (version to folder) and
   * the versions its version policy serves (ascending), read from disk once when the config is
   * read, as a server loads them at start-up.
   */
  public record Entry(
      String name,
      Path basePath,
      Map<String, Long> labels,
      SortedMap<Long, Path> folders,
      List<Long> served) {}

  /**
   * Version folders under {@code basePath}, as TF Serving's file_system_storage_path_source.cc
   * finds them: a child whose whole name is ASCII decimal digits with a value that fits int64 is
   * that version and keeps its own name ("00000123" is version 123, loaded from base/00000123);
   * other names are ignored. Names are walked in byte order and the last of two names giving one
   * number wins ("123" over "0123"), as IndexChildrenByVersion does. Whether a folder holds a
   * SavedModel is the loader's business, as in TF Serving. A missing or unreadable base has none.
   */
  static SortedMap<Long, Path> versionFolders(Path basePath) {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(basePath)) {
      for (Path child : children) {
        String name = child.getFileName().toString();
        if (VERSION_NAME.matcher(name).matches()) {
          names.add(name);
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      return new TreeMap<>();
    }
    names.sort(null); // ASCII only: UTF-16 order is byte order
    SortedMap<Long, Path> found = new TreeMap<>();
    for (String name : names) {
      try {
        found.put(Long.parseLong(name), basePath.resolve(name));
      } catch (NumberFormatException e) {
        // beyond int64: not a version
      }
    }
    return found;
  }

  private static final Pattern VERSION_NAME = Pattern.compile("[0-9]+");

  /** The versions a policy keeps loaded out of {@code onDisk} (ascending). */
  static List<Long> served(
      VersionPolicy policy, long latestN, List<Long> specific, List<Long> onDisk) {
    return switch (policy) {
      case ALL -> onDisk;
      case SPECIFIC -> onDisk.stream().filter(specific::contains).toList();
      case LATEST ->
          onDisk.subList(Math.max(0, onDisk.size() - (int) Math.max(latestN, 1)), onDisk.size());
    };
  }

  /** The model_version_policy choices. */
  public enum VersionPolicy {
    LATEST,
    ALL,
    SPECIFIC
  }

  /**
   * A ModelSpec resolved to one version folder. Looked up on every in-process request, so equals
   * and hashCode are written out: a record's generated ones go through method handles, which the
   * client's C1-only JIT (build/bin/tfinterop-java) does not inline, and cost more than the rest of
   * the lookup.
   */
  public record Resolved(String name, long version, Path path) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Resolved r
          && version == r.version
          && name.equals(r.name)
          && path.equals(r.path);
    }

    @Override
    public int hashCode() {
      return 31 * name.hashCode() + Long.hashCode(version);
    }
  }

  private final List<Entry> entries;

  private ModelConfigFile(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Parses a config file; ToolException names the file and the problem. */
  public static ModelConfigFile read(Path path) {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ToolException("cannot read model config " + path + ": " + e.getMessage());
    }
    return parse(text, Manifest.realFolder(path.toAbsolutePath().getParent()), path.toString());
  }

  /** Parses config text; relative base paths resolve against {@code relativeTo}. */
  public static ModelConfigFile parse(String text, Path relativeTo, String source) {
    ModelServerConfig.Builder config = ModelServerConfig.newBuilder();
    try {
      TextFormat.merge(text, config);
    } catch (TextFormat.ParseException e) {
      throw new ToolException("model config " + source + " does not parse: " + e.getMessage());
    }
    if (config.hasCustomModelConfig()) {
      throw new ToolException("model config " + source + ": custom_model_config is not supported");
    }
    List<Entry> entries = new ArrayList<>();
    for (ModelConfig mc : config.getModelConfigList().getConfigList()) {
      entries.add(entry(mc, relativeTo, source));
    }
    return new ModelConfigFile(entries);
  }

  private static Entry entry(ModelConfig mc, Path relativeTo, String source) {
    if (mc.getName().isEmpty()) {
      throw new ToolException("model config " + source + ": a model has no name");
    }
    if (mc.getBasePath().isEmpty()) {
      throw new ToolException(
          "model config " + source + ": model '" + mc.getName() + "' has no base_path");
    }
    if (!mc.getModelPlatform().isEmpty() && !mc.getModelPlatform().equals("tensorflow")) {
      throw new ToolException(
          "model config "
              + source
              + ": model '"
              + mc.getName()
              + "' has platform '"
              + mc.getModelPlatform()
              + "'; only 'tensorflow' is served");
    }
    Path base = Path.of(mc.getBasePath());
    if (!base.isAbsolute()) {
      base = relativeTo.resolve(base).normalize();
    }
    var policy = mc.getModelVersionPolicy();
    SortedMap<Long, Path> folders = versionFolders(base);
    List<Long> onDisk = List.copyOf(folders.keySet());
    List<Long> served =
        switch (policy.getPolicyChoiceCase()) {
          case ALL -> served(VersionPolicy.ALL, 1, List.of(), onDisk);
          case SPECIFIC ->
              served(VersionPolicy.SPECIFIC, 1, policy.getSpecific().getVersionsList(), onDisk);
          case LATEST ->
              served(VersionPolicy.LATEST, policy.getLatest().getNumVersions(), List.of(), onDisk);
          case POLICYCHOICE_NOT_SET -> served(VersionPolicy.LATEST, 1, List.of(), onDisk);
        };
    return new Entry(
        mc.getName(),
        base,
        Map.copyOf(mc.getVersionLabelsMap()),
        Collections.unmodifiableSortedMap(folders),
        List.copyOf(served));
  }

  /** Resolves a ModelSpec as TF Serving's ServerCore does, or throws its canonical error. */
  public Resolved resolve(ModelSpec spec) throws ServingException {
    if (spec.getName().isEmpty()) {
      throw ServingException.invalidArgument("Missing model name in request.");
    }
    Optional<Entry> entry = entry(spec.getName());
    Long wanted =
        switch (spec.getVersionChoiceCase()) {
          case VERSION_LABEL -> {
            Long v = entry.map(e -> e.labels().get(spec.getVersionLabel())).orElse(null);
            if (v == null) {
              throw ServingException.invalidArgument(
                  "Unrecognized servable version label: " + spec.getVersionLabel());
            }
            yield v;
          }
          case VERSION -> spec.getVersion().getValue();
          case VERSIONCHOICE_NOT_SET -> null;
        };
    if (entry.isEmpty()) {
      throw servableNotFound(spec.getName(), wanted);
    }
    List<Long> served = entry.get().served();
    long version;
    if (wanted == null) {
      if (served.isEmpty()) {
        throw servableNotFound(spec.getName(), null);
      }
      version = served.get(served.size() - 1);
    } else if (served.contains(wanted)) {
      version = wanted;
    } else {
      throw servableNotFound(spec.getName(), wanted);
    }
    Entry e = entry.get();
    // served was taken from folders: every served version has its folder.
    return new Resolved(e.name(), version, e.folders().get(version));
  }

  /** The model named {@code name} (a loop, not a stream: this runs on every request). */
  private Optional<Entry> entry(String name) {
    for (Entry e : entries) {
      if (e.name().equals(name)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  private static ServingException servableNotFound(String name, Long version) {
    String request =
        version == null ? "Latest(" + name + ")" : "Specific(" + name + ", " + version + ")";
    return ServingException.notFound("Servable not found for request: " + request);
  }
}
