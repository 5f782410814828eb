package dev.tfinterop;

import com.google.protobuf.Message;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.PredictionServiceGrpc.PredictionServiceBlockingStub;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * TF Serving's PredictionService over gRPC: one channel, a deadline on every call, the server's
 * status code recorded unchanged (UNAVAILABLE when nothing listens).
 */
public final class GrpcTransport implements Transport {
  private static final int MAX_MESSAGE_BYTES = 1 << 30;

  /** What {@link #call} sends: every PredictionService API. */
  static final List<Api> APIS =
      List.of(Api.PREDICT, Api.CLASSIFY, Api.REGRESS, Api.MULTI_INFERENCE, Api.METADATA);

  private final ManagedChannel channel;
  private final PredictionServiceBlockingStub stub;
  private final long deadlineMs;

  public GrpcTransport(String target, long deadlineMs) {
    this(channel(target), deadlineMs);
  }

  /**
   * The plaintext channel both gRPC transports (TF Serving's API and v2) use. Without grpc-java's
   * transparent retry: a call is sent once and its status recorded as the server (or the
   * connection) gave it, and no call pays for the retry buffer that wraps every stream otherwise (a
   * profile of a short bench shows it among the per-call frames still interpreted).
   */
  static ManagedChannel channel(String target) {
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .disableRetry()
        .build();
  }

  /** The server's status, unchanged, as the result records it. */
  static ServingException failure(StatusRuntimeException e) {
    String message = e.getStatus().getDescription();
    return new ServingException(e.getStatus().getCode(), message == null ? "" : message);
  }

  static void shutdown(ManagedChannel channel) {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Over a channel the caller built (tests use an in-process one); closes it on close(). */
  public GrpcTransport(ManagedChannel channel, long deadlineMs) {
    this.channel = channel;
    this.stub = PredictionServiceGrpc.newBlockingStub(channel);
    this.deadlineMs = deadlineMs;
  }

  @Override
  public String name() {
    return "grpc";
  }

  @Override
  public Message call(CaseRequest call) throws ServingException {
    PredictionServiceBlockingStub s = stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
    Message request = call.message();
    try {
      return switch (call.api()) {
        case PREDICT -> s.predict((PredictRequest) request);
        case CLASSIFY -> s.classify((ClassificationRequest) request);
        case REGRESS -> s.regress((RegressionRequest) request);
        case MULTI_INFERENCE -> s.multiInference((MultiInferenceRequest) request);
        case METADATA -> s.getModelMetadata((GetModelMetadataRequest) request);
      };
    } catch (StatusRuntimeException e) {
      throw failure(e);
    }
  }

  @Override
  public Map<String, String> runtime() {
    return Map.of("grpc", "grpc-java " + Versions.get("grpc"));
  }

  @Override
  public void close() {
    shutdown(channel);
  }
}
