package cases

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
)

// The case APIs and the TF Serving messages each one carries.
const (
	Predict        = "predict"
	Classify       = "classify"
	Regress        = "regress"
	MultiInference = "multi_inference"
	Metadata       = "metadata"
)

// NewRequest is an empty request message for api.
func NewRequest(api string) (proto.Message, error) {
	switch api {
	case Predict:
		return &apis.PredictRequest{}, nil
	case Classify:
		return &apis.ClassificationRequest{}, nil
	case Regress:
		return &apis.RegressionRequest{}, nil
	case MultiInference:
		return &apis.MultiInferenceRequest{}, nil
	case Metadata:
		return &apis.GetModelMetadataRequest{}, nil
	}
	return nil, fmt.Errorf("unknown api %q", api)
}

// NewResponse is an empty response message for api.
func NewResponse(api string) (proto.Message, error) {
	switch api {
	case Predict:
		return &apis.PredictResponse{}, nil
	case Classify:
		return &apis.ClassificationResponse{}, nil
	case Regress:
		return &apis.RegressionResponse{}, nil
	case MultiInference:
		return &apis.MultiInferenceResponse{}, nil
	case Metadata:
		return &apis.GetModelMetadataResponse{}, nil
	}
	return nil, fmt.Errorf("unknown api %q", api)
}

// RequestFor decodes the request the case sends in mode: its v2 form's
// inference.ModelInferRequest in v2 modes, else the TF Serving request.
func (c *Case) RequestFor(mode string) (proto.Message, error) {
	if !IsV2(mode) {
		return c.ParseRequest()
	}
	if c.V2 == nil {
		return nil, fmt.Errorf("case %s has no v2 form", c.ID)
	}
	msg := &inference.ModelInferRequest{}
	if err := proto.Unmarshal(c.V2.RequestBytes, msg); err != nil {
		return nil, fmt.Errorf("case %s: %s does not parse as %s: %w", c.ID, c.V2.Request, msg.ProtoReflect().Descriptor().FullName(), err)
	}
	return msg, nil
}

// ParseRequest decodes the case's verified request bytes.
func (c *Case) ParseRequest() (proto.Message, error) {
	msg, err := NewRequest(c.API)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.ID, err)
	}
	if err := proto.Unmarshal(c.RequestBytes, msg); err != nil {
		return nil, fmt.Errorf("case %s: %s does not parse as %s: %w", c.ID, c.Request, msg.ProtoReflect().Descriptor().FullName(), err)
	}
	return msg, nil
}
