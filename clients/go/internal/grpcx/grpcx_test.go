package grpcx

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// fakeService answers Predict by model name: "slow" sleeps, anything but "ok"
// fails with the code named by the model.
type fakeService struct {
	apis.UnimplementedPredictionServiceServer
}

func (fakeService) Predict(ctx context.Context, req *apis.PredictRequest) (*apis.PredictResponse, error) {
	switch name := req.GetModelSpec().GetName(); name {
	case "ok":
		return &apis.PredictResponse{ModelSpec: req.GetModelSpec()}, nil
	case "slow":
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
		}
		return &apis.PredictResponse{}, nil
	default:
		c, _ := status.ParseCode(name)
		return nil, grpcstatus.Error(codes.Code(c), "failed: "+name)
	}
}

func serve(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	apis.RegisterPredictionServiceServer(srv, fakeService{})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func predict(t *testing.T, tr *Transport, model string, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := tr.Call(ctx, transport.Request{API: cases.Predict, Message: &apis.PredictRequest{ModelSpec: &apis.ModelSpec{Name: model}}})
	return err
}

func TestServerStatusCodesPassThroughUnchanged(t *testing.T) {
	tr, err := New(serve(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := predict(t, tr, "ok", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, c := range []status.Code{status.InvalidArgument, status.NotFound, status.FailedPrecondition, status.Internal, status.ResourceExhausted} {
		e := status.FromError(predict(t, tr, c.String(), 5*time.Second))
		if e.Code != c || e.Message != "failed: "+c.String() || e.HTTPStatus != 0 {
			t.Errorf("%s came back as %+v", c, e)
		}
	}
	if got := status.CodeOf(predict(t, tr, "slow", 100*time.Millisecond)); got != status.DeadlineExceeded {
		t.Errorf("slow call: %s, want DEADLINE_EXCEEDED", got)
	}
	_, err = tr.Call(context.Background(), transport.Request{API: cases.Classify, Message: &apis.ClassificationRequest{}})
	if got := status.CodeOf(err); got != status.Unimplemented {
		t.Errorf("classify on a server without it: %s, want UNIMPLEMENTED", got)
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	tr, err := New(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if got := status.CodeOf(predict(t, tr, "ok", 2*time.Second)); got != status.Unavailable {
		t.Fatalf("got %s, want UNAVAILABLE", got)
	}
}
