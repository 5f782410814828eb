package grpcx

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// fakeInference answers ModelInfer by model name: "ok" echoes the request's
// inputs as outputs in raw form, "slow" sleeps, any other name fails with the
// code it names.
type fakeInference struct {
	inference.UnimplementedGRPCInferenceServiceServer
}

func (fakeInference) ModelInfer(ctx context.Context, req *inference.ModelInferRequest) (*inference.ModelInferResponse, error) {
	switch name := req.GetModelName(); name {
	case "ok":
		resp := &inference.ModelInferResponse{ModelName: name, ModelVersion: "7", Id: req.GetId(), RawOutputContents: req.GetRawInputContents()}
		for _, in := range req.GetInputs() {
			resp.Outputs = append(resp.Outputs, &inference.ModelInferResponse_InferOutputTensor{Name: in.GetName(), Datatype: in.GetDatatype(), Shape: in.GetShape()})
		}
		return resp, nil
	case "slow":
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
		}
		return &inference.ModelInferResponse{}, nil
	default:
		c, _ := status.ParseCode(name)
		return nil, grpcstatus.Error(codes.Code(c), "failed: "+name)
	}
}

func serveV2(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	inference.RegisterGRPCInferenceServiceServer(srv, fakeInference{})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func modelInfer(t *testing.T, tr *V2Transport, req *inference.ModelInferRequest, timeout time.Duration) (proto.Message, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return tr.Call(ctx, transport.Request{API: cases.Predict, Message: req})
}

func TestV2ModelInferReturnsTheServersResponseUnchanged(t *testing.T) {
	tr, err := NewV2(serveV2(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	req := &inference.ModelInferRequest{ModelName: "ok", Id: "a",
		Inputs:           []*inference.ModelInferRequest_InferInputTensor{{Name: "h", Datatype: "FP16", Shape: []int64{2}}},
		RawInputContents: [][]byte{{0x00, 0x3c, 0x00, 0xbc}}}
	resp, err := modelInfer(t, tr, req, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := &inference.ModelInferResponse{ModelName: "ok", ModelVersion: "7", Id: "a",
		Outputs:           []*inference.ModelInferResponse_InferOutputTensor{{Name: "h", Datatype: "FP16", Shape: []int64{2}}},
		RawOutputContents: [][]byte{{0x00, 0x3c, 0x00, 0xbc}}}
	if !proto.Equal(resp, want) || tr.Name() != "v2grpc" {
		t.Fatalf("%s answered %v", tr.Name(), resp)
	}
}

func TestV2ServerStatusCodesPassThroughUnchanged(t *testing.T) {
	tr, err := NewV2(serveV2(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, c := range []status.Code{status.InvalidArgument, status.NotFound, status.FailedPrecondition, status.Internal, status.Unimplemented} {
		_, err := modelInfer(t, tr, &inference.ModelInferRequest{ModelName: c.String()}, 5*time.Second)
		if e := status.FromError(err); e.Code != c || e.Message != "failed: "+c.String() || e.HTTPStatus != 0 {
			t.Errorf("%s came back as %+v", c, e)
		}
	}
	if _, err := modelInfer(t, tr, &inference.ModelInferRequest{ModelName: "slow"}, 100*time.Millisecond); status.CodeOf(err) != status.DeadlineExceeded {
		t.Errorf("slow call: %v, want DEADLINE_EXCEEDED", err)
	}
	_, err = tr.Call(context.Background(), transport.Request{API: cases.Predict, Message: &apis.PredictRequest{}})
	if status.CodeOf(err) != status.Unimplemented {
		t.Errorf("a TF Serving request: %v, want UNIMPLEMENTED", err)
	}
}

func TestV2UnreachableServerIsUnavailable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	tr, err := NewV2(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := modelInfer(t, tr, &inference.ModelInferRequest{ModelName: "ok"}, 2*time.Second); status.CodeOf(err) != status.Unavailable {
		t.Fatalf("got %v, want UNAVAILABLE", err)
	}
}
