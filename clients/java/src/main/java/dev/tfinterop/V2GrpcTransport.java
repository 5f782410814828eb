package dev.tfinterop;

import com.google.protobuf.Message;
import inference.GRPCInferenceServiceGrpc;
import inference.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import inference.GrpcService.ModelInferRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Open Inference Protocol over gRPC: inference.GRPCInferenceService/ModelInfer on one channel,
 * a deadline on every call, the answer kept as the server sent it (typed or raw contents) and its
 * status code recorded unchanged (UNAVAILABLE when nothing listens).
 */
public final class V2GrpcTransport implements Transport {
  /** What {@link #call} sends: the protocol serves predict cases only. */
  static final List<Api> APIS = List.of(Api.PREDICT);

  private final ManagedChannel channel;
  private final GRPCInferenceServiceBlockingStub stub;
  private final long deadlineMs;

  public V2GrpcTransport(String target, long deadlineMs) {
    this(GrpcTransport.channel(target), deadlineMs);
  }

  /** Over a channel the caller built (tests use an in-process one); closes it on close(). */
  public V2GrpcTransport(ManagedChannel channel, long deadlineMs) {
    this.channel = channel;
    this.stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    this.deadlineMs = deadlineMs;
  }

  @Override
  public String name() {
    return "v2grpc";
  }

  @Override
  public Message call(CaseRequest request) throws ServingException {
    ModelInferRequest r = inferRequest(request);
    try {
      return stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).modelInfer(r);
    } catch (StatusRuntimeException e) {
      throw GrpcTransport.failure(e);
    }
  }

  /**
   * The ModelInferRequest a v2 mode sends; UNIMPLEMENTED for the APIs the protocol lacks (it has no
   * classify, regress, multi_inference or TF Serving metadata).
   */
  static ModelInferRequest inferRequest(CaseRequest request) throws ServingException {
    if (request.api() != Api.PREDICT) {
      throw ServingException.unimplemented(
          "the Open Inference Protocol has no " + request.api().id() + " API");
    }
    if (!(request.message() instanceof ModelInferRequest r)) {
      throw new IllegalArgumentException(
          "a v2 mode sends a ModelInferRequest, not " + request.message().getClass().getName());
    }
    return r;
  }

  @Override
  public Map<String, String> runtime() {
    return Map.of("grpc", "grpc-java " + Versions.get("grpc"));
  }

  @Override
  public void close() {
    GrpcTransport.shutdown(channel);
  }
}
