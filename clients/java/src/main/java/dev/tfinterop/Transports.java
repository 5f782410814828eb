package dev.tfinterop;

import java.nio.file.Path;

/** Builds the transport a mode names. */
public final class Transports {
  private Transports() {}

  /** The transport for {@code c}; inproc reads {@code manifestConfig} unless overridden. */
  public static Transport open(Options.Connection c, Path manifestConfig) {
    return switch (c.mode()) {
      case "inproc" ->
          new InprocTransport(
              ModelConfigFile.read(c.modelConfig() != null ? c.modelConfig() : manifestConfig));
      case "grpc" -> new GrpcTransport(c.target(), c.deadlineMs());
      case "rest" -> new RestTransport(c.rest(), c.deadlineMs());
      default -> throw new UsageException("unknown mode " + c.mode());
    };
  }
}
