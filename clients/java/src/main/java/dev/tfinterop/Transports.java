package dev.tfinterop;

import java.util.List;

/** Builds the transport a mode names. */
public final class Transports {
  /** The modes, in the contract's order. */
  public static final List<String> MODES = List.of("inproc", "grpc", "rest");

  private Transports() {}

  /**
   * The transport for case set {@code m}. Inproc reads the manifest's model config unless
   * overridden, and first loads the op libraries {@code m} needs through {@code libraries} (once
   * per path per process); one that fails is every case's answer.
   */
  public static Transport open(Connection c, Manifest m, OpLibraries libraries) {
    return switch (c.mode()) {
      case "inproc" ->
          new InprocTransport(
              ModelConfigFile.read(c.modelConfig() != null ? c.modelConfig() : m.configPath()),
              libraries.load(OpLibraries.needed(c, m)));
      case "grpc" -> new GrpcTransport(c.target(), c.deadlineMs());
      case "rest" -> new RestTransport(c.rest(), c.deadlineMs());
      default -> throw new UsageException("unknown mode " + c.mode());
    };
  }

  /** The APIs a mode's transport sends, in {@link Api} order (info's "apis"). */
  public static List<Api> apis(String mode) {
    return switch (mode) {
      case "inproc" -> InprocTransport.APIS;
      case "grpc" -> GrpcTransport.APIS;
      case "rest" -> RestTransport.APIS;
      default -> throw new UsageException("unknown mode " + mode);
    };
  }
}
