package rest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// v2Server answers every request with answer (status and body) and records
// what it was sent.
type v2Server struct {
	*httptest.Server
	method, path, contentType, body string
	calls                           atomic.Int32
}

func newV2Server(t *testing.T, httpStatus int, answer string) *v2Server {
	t.Helper()
	s := &v2Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		s.method, s.path, s.contentType, s.body = r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), string(body)
		w.WriteHeader(httpStatus)
		io.WriteString(w, answer)
	}))
	t.Cleanup(s.Close)
	return s
}

func infer(t *testing.T, base string, req proto.Message) (proto.Message, error) {
	t.Helper()
	tr, err := NewV2(base)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	return tr.Call(context.Background(), transport.Request{API: cases.Predict, Message: req})
}

func TestV2InferPostsJSONAndReadsTheAnswer(t *testing.T) {
	answer := `{"model_name":"half plus/two","model_version":"2","id":"r1","outputs":[{"name":"y","datatype":"FP32","shape":[1,2],"data":[2.5,3.0]}]}`
	for _, tc := range []struct{ version, path string }{
		{"", "/v2/models/half%20plus%2Ftwo/infer"},
		{"2", "/v2/models/half%20plus%2Ftwo/versions/2/infer"},
	} {
		srv := newV2Server(t, http.StatusOK, answer)
		req := &inference.ModelInferRequest{ModelName: "half plus/two", ModelVersion: tc.version, Id: "r1",
			Inputs: []*inputTensor{input("x", "FP32", []int64{1, 2}, &contents{Fp32Contents: []float32{1, 2}})}}
		resp, err := infer(t, srv.URL+"/", req)
		if err != nil {
			t.Fatal(err)
		}
		if srv.method != http.MethodPost || srv.path != tc.path || srv.contentType != "application/json" {
			t.Fatalf("sent %s %s (%s)", srv.method, srv.path, srv.contentType)
		}
		if want := `{"id":"r1","inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1.0,2.0]}]}`; srv.body != want {
			t.Fatalf("sent %s, want %s", srv.body, want)
		}
		want := &inference.ModelInferResponse{ModelName: "half plus/two", ModelVersion: "2", Id: "r1",
			Outputs: []*outputTensor{output("y", "FP32", []int64{1, 2}, &contents{Fp32Contents: []float32{2.5, 3}})}}
		if !proto.Equal(resp, want) {
			t.Fatalf("response %v", resp)
		}
	}
}

func TestV2HTTPErrorsMapBackToCodesWithTheirStatus(t *testing.T) {
	for _, tc := range []struct {
		http int
		body string
		code status.Code
		msg  string
	}{
		{400, `{"error":"unexpected inference input 'z'"}`, status.InvalidArgument, "unexpected inference input 'z'"},
		{404, `{"error":"Request for unknown model: 'nope' is not found"}`, status.NotFound, "Request for unknown model: 'nope' is not found"},
		{500, `{"error":"boom"}`, status.Internal, "boom"},
		{501, `{"error":"no"}`, status.Unimplemented, "no"},
		{503, `{"error":"loading"}`, status.Unavailable, "loading"},
		{422, `{"detail":"validation"}`, status.Unknown, `{"detail":"validation"}`},
	} {
		srv := newV2Server(t, tc.http, tc.body)
		_, err := infer(t, srv.URL, &inference.ModelInferRequest{ModelName: "m"})
		if e := status.FromError(err); e.Code != tc.code || e.HTTPStatus != tc.http || e.Message != tc.msg {
			t.Errorf("HTTP %d: got %+v, want %s %q", tc.http, e, tc.code, tc.msg)
		}
	}
}

func TestV2AnswerThatDoesNotParseIsInternalWithoutHTTPStatus(t *testing.T) {
	srv := newV2Server(t, http.StatusOK, `{"model_name":"m","outputs":[{"name":"y","datatype":"FP32","shape":[2],"data":[1]}]}`)
	_, err := infer(t, srv.URL, &inference.ModelInferRequest{ModelName: "m"})
	if e := status.FromError(err); e.Code != status.Internal || e.HTTPStatus != 0 {
		t.Fatalf("got %+v", e)
	}
}

func TestV2RequestJSONCannotExpressIsRefusedBeforeSending(t *testing.T) {
	srv := newV2Server(t, http.StatusOK, `{}`)
	_, err := infer(t, srv.URL, &inference.ModelInferRequest{ModelName: "m",
		Inputs: []*inputTensor{input("s", "BYTES", []int64{1}, &contents{BytesContents: [][]byte{{0xff}}})}})
	if status.CodeOf(err) != status.Unimplemented || srv.calls.Load() != 0 {
		t.Fatalf("%v after %d calls", err, srv.calls.Load())
	}
	_, err = infer(t, srv.URL, &apis.PredictRequest{})
	if status.CodeOf(err) != status.Unimplemented || srv.calls.Load() != 0 {
		t.Fatalf("a TF Serving request: %v", err)
	}
}

func TestV2UnreachableServerIsUnavailableAndSlowOneDeadlineExceeded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) }))
	tr, _ := NewV2(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := tr.Call(ctx, transport.Request{API: cases.Predict, Message: &inference.ModelInferRequest{ModelName: "m"}})
	cancel()
	if e := status.FromError(err); e.Code != status.DeadlineExceeded || e.HTTPStatus != 0 {
		t.Fatalf("slow server: %+v", e)
	}
	srv.Close()
	_, err = tr.Call(context.Background(), transport.Request{API: cases.Predict, Message: &inference.ModelInferRequest{ModelName: "m"}})
	if e := status.FromError(err); e.Code != status.Unavailable || e.HTTPStatus != 0 {
		t.Fatalf("closed server: %+v", e)
	}
	if _, err := NewV2("ftp://x"); err == nil {
		t.Fatal("accepted ftp://x")
	}
}
