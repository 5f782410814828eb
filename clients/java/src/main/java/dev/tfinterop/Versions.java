package dev.tfinterop;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Library versions this client was built against (filtered from the POM at build time). */
public final class Versions {
  private static final Properties PROPS = load();

  private Versions() {}

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream("versions.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** The version of {@code library} (grpc, protobuf, jackson, tensorflow-java), or "unknown". */
  public static String get(String library) {
    return PROPS.getProperty(library, "unknown");
  }
}
