// Package grpcx holds the two gRPC transports: TF Serving's
// PredictionService (grpc, this file) and the Open Inference Protocol's
// inference.GRPCInferenceService (v2grpc, v2.go), each with a deadline on
// every call and the server's status code passed through unchanged.
package grpcx

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// maxMessage bounds request and response size (TF Serving accepts up to 2 GiB;
// golden batches are far below this).
const maxMessage = 512 << 20

// Transport calls a TF Serving gRPC endpoint. It is safe for concurrent use.
type Transport struct {
	target string
	conn   *grpc.ClientConn
	client apis.PredictionServiceClient
}

// New prepares a client for target (host:port). It does not dial: a server
// that cannot be reached makes each call fail with UNAVAILABLE.
func New(target string) (*Transport, error) {
	conn, err := dial(target)
	if err != nil {
		return nil, err
	}
	return &Transport{target: target, conn: conn, client: apis.NewPredictionServiceClient(conn)}, nil
}

// dial makes the connection both gRPC transports use; it does not connect.
func dial(target string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)),
	)
	if err != nil {
		return nil, fmt.Errorf("bad gRPC target %q: %w", target, err)
	}
	return conn, nil
}

// Name is the mode name.
func (t *Transport) Name() string { return "grpc" }

// Runtime reports the gRPC library; the server ran the model.
func (t *Transport) Runtime() map[string]string {
	return map[string]string{"grpc": grpc.Version, "target": t.target}
}

// Close closes the connection.
func (t *Transport) Close() error { return t.conn.Close() }

// Call sends one request; ctx carries the deadline. Errors are *status.Error
// with the server's code and message.
func (t *Transport) Call(ctx context.Context, req transport.Request) (proto.Message, error) {
	var (
		resp proto.Message
		err  error
	)
	switch m := req.Message.(type) {
	case *apis.PredictRequest:
		resp, err = t.client.Predict(ctx, m)
	case *apis.ClassificationRequest:
		resp, err = t.client.Classify(ctx, m)
	case *apis.RegressionRequest:
		resp, err = t.client.Regress(ctx, m)
	case *apis.MultiInferenceRequest:
		resp, err = t.client.MultiInference(ctx, m)
	case *apis.GetModelMetadataRequest:
		resp, err = t.client.GetModelMetadata(ctx, m)
	default:
		return nil, status.Errorf(status.Unimplemented, "api %s has no gRPC method", req.API)
	}
	if err != nil {
		return nil, fromGRPC(err)
	}
	return resp, nil
}

// fromGRPC keeps the gRPC status code and message unchanged.
func fromGRPC(err error) error {
	s := grpcstatus.Convert(err)
	return &status.Error{Code: status.Code(s.Code()), Message: s.Message()}
}
