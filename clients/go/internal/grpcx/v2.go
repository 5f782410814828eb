package grpcx

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// V2Transport is the v2grpc mode: inference.GRPCInferenceService/ModelInfer
// on the gRPC target. It is safe for concurrent use.
type V2Transport struct {
	target string
	conn   *grpc.ClientConn
	client inference.GRPCInferenceServiceClient
}

// NewV2 prepares a client for target (host:port). It does not dial: a server
// that cannot be reached makes each call fail with UNAVAILABLE.
func NewV2(target string) (*V2Transport, error) {
	conn, err := dial(target)
	if err != nil {
		return nil, err
	}
	return &V2Transport{target: target, conn: conn, client: inference.NewGRPCInferenceServiceClient(conn)}, nil
}

// Name is the mode name.
func (t *V2Transport) Name() string { return "v2grpc" }

// Runtime reports the gRPC library; the server ran the model.
func (t *V2Transport) Runtime() map[string]string {
	return map[string]string{"grpc": grpc.Version, "target": t.target}
}

// Close closes the connection.
func (t *V2Transport) Close() error { return t.conn.Close() }

// Call sends one ModelInferRequest; ctx carries the deadline. Errors are
// *status.Error with the server's code and message.
func (t *V2Transport) Call(ctx context.Context, req transport.Request) (proto.Message, error) {
	m, ok := req.Message.(*inference.ModelInferRequest)
	if !ok {
		return nil, status.Errorf(status.Unimplemented, "api %s has no v2 gRPC method", req.API)
	}
	resp, err := t.client.ModelInfer(ctx, m)
	if err != nil {
		return nil, fromGRPC(err)
	}
	return resp, nil
}
