package dev.tfinterop;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import inference.GrpcService.ModelInferRequest;
import java.util.List;

/** Builds the transport a mode names. */
public final class Transports {
  /** The modes, in the contract's order. */
  public static final List<String> MODES = List.of("inproc", "grpc", "rest", "v2grpc", "v2rest");

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
      case "v2grpc" -> new V2GrpcTransport(c.target(), c.deadlineMs());
      case "v2rest" -> new V2RestTransport(c.rest(), c.deadlineMs());
      default -> throw new UsageException("unknown mode " + c.mode());
    };
  }

  /** The APIs a mode's transport sends, in {@link Api} order (info's "apis"). */
  public static List<Api> apis(String mode) {
    return switch (mode) {
      case "inproc" -> InprocTransport.APIS;
      case "grpc" -> GrpcTransport.APIS;
      case "rest" -> RestTransport.APIS;
      case "v2grpc" -> V2GrpcTransport.APIS;
      case "v2rest" -> V2RestTransport.APIS;
      default -> throw new UsageException("unknown mode " + mode);
    };
  }

  /** Whether {@code mode} speaks the Open Inference Protocol (sends cases' v2 forms). */
  public static boolean isV2(String mode) {
    return mode.equals("v2grpc") || mode.equals("v2rest");
  }

  /**
   * The request message {@code mode} sends, from the bytes of {@link Manifest.Case#requestFor}: a
   * ModelInferRequest in v2 modes, else the api's TF Serving request.
   */
  public static Message parseRequest(String mode, Api api, byte[] data)
      throws InvalidProtocolBufferException {
    return isV2(mode) ? ModelInferRequest.parseFrom(data) : api.parseRequest(data);
  }
}
