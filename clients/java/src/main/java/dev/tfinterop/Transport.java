package dev.tfinterop;

import com.google.protobuf.Message;
import java.util.Map;

/**
 * One way of answering a serving request: in-process, gRPC or REST. Every transport answers a
 * request with the API's response message or a {@link ServingException} with a canonical code.
 */
public interface Transport extends AutoCloseable {

  /** The mode name: inproc, grpc or rest. */
  String name();

  /** Runs one request; thread-safe (bench calls it concurrently). */
  Message call(CaseRequest request) throws ServingException;

  /** Versions for run.json's "runtime" (TensorFlow only where the model runs in-process). */
  Map<String, String> runtime();

  @Override
  void close();
}
