package dev.tfinterop;

import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

/**
 * TF Serving's model config (text-format ModelServerConfig) and ModelSpec resolution as
 * ServerCore does it: empty name and unknown label INVALID_ARGUMENT, unknown model or version
 * NOT_FOUND, no version the highest served one.
 */
public final class ModelConfigFile {

  /**
   * One model of the config, its base path absolute, and the versions its version policy
   * serves (ascending), read from disk once when the config is read, as a server loads them at
   * start-up.
   */
  public record Entry(String name, Path basePath, Map<String, Long> labels, List<Long> served) {}

  /** Version folders TF Serving would consider: numeric names holding a SavedModel. */
  static List<Long> versionsOnDisk(Path basePath) {
    List<Long> found = new ArrayList<>();
    if (!Files.isDirectory(basePath)) {
      return found;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(basePath)) {
      for (Path child : children) {
        String n = child.getFileName().toString();
        if (!n.matches("\\d+") || !Files.isDirectory(child)) {
          continue;
        }
        if (Files.exists(child.resolve("saved_model.pb"))
            || Files.exists(child.resolve("saved_model.pbtxt"))) {
          found.add(Long.parseLong(n));
        }
      }
    } catch (IOException e) {
      return found;
    }
    found.sort(null);
    return found;
  }

  /** The versions a policy keeps loaded out of {@code onDisk} (ascending). */
  static List<Long> served(VersionPolicy policy, long latestN, List<Long> specific,
      List<Long> onDisk) {
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

  /** A ModelSpec resolved to one version folder. */
  public record Resolved(String name, long version, Path path) {}

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
    List<Long> onDisk = versionsOnDisk(base);
    List<Long> served = switch (policy.getPolicyChoiceCase()) {
      case ALL -> served(VersionPolicy.ALL, 1, List.of(), onDisk);
      case SPECIFIC ->
          served(VersionPolicy.SPECIFIC, 1, policy.getSpecific().getVersionsList(), onDisk);
      case LATEST ->
          served(VersionPolicy.LATEST, policy.getLatest().getNumVersions(), List.of(), onDisk);
      case POLICYCHOICE_NOT_SET -> served(VersionPolicy.LATEST, 1, List.of(), onDisk);
    };
    return new Entry(mc.getName(), base, Map.copyOf(mc.getVersionLabelsMap()), List.copyOf(served));
  }

  /** Resolves a ModelSpec as TF Serving's ServerCore does, or throws its canonical error. */
  public Resolved resolve(ModelSpec spec) throws ServingException {
    if (spec.getName().isEmpty()) {
      throw ServingException.invalidArgument("Missing model name in request.");
    }
    Optional<Entry> entry = entries.stream().filter(e -> e.name().equals(spec.getName())).findFirst();
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
    return new Resolved(e.name(), version, e.basePath().resolve(Long.toString(version)));
  }

  private static ServingException servableNotFound(String name, Long version) {
    String request =
        version == null ? "Latest(" + name + ")" : "Specific(" + name + ", " + version + ")";
    return ServingException.notFound("Servable not found for request: " + request);
  }
}
