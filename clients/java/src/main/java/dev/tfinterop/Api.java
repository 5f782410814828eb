package dev.tfinterop;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.Inference.MultiInferenceResponse;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;

/** A case's {@code api}: which TF Serving request and response messages it carries. */
public enum Api {
  PREDICT("predict", PredictRequest.parser(), PredictResponse.parser()),
  CLASSIFY("classify", ClassificationRequest.parser(), ClassificationResponse.parser()),
  REGRESS("regress", RegressionRequest.parser(), RegressionResponse.parser()),
  MULTI_INFERENCE(
      "multi_inference", MultiInferenceRequest.parser(), MultiInferenceResponse.parser()),
  METADATA("metadata", GetModelMetadataRequest.parser(), GetModelMetadataResponse.parser());

  private final String id;
  private final Parser<? extends Message> request;
  private final Parser<? extends Message> response;

  Api(String id, Parser<? extends Message> request, Parser<? extends Message> response) {
    this.id = id;
    this.request = request;
    this.response = response;
  }

  /** The name used in manifest.json. */
  public String id() {
    return id;
  }

  public static Api of(String id) {
    for (Api a : values()) {
      if (a.id.equals(id)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown api " + id);
  }

  public Message parseRequest(byte[] data) throws InvalidProtocolBufferException {
    return request.parseFrom(data);
  }

  public Message parseResponse(byte[] data) throws InvalidProtocolBufferException {
    return response.parseFrom(data);
  }
}
