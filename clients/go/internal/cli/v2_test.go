package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/results"
)

// v2Request is case a's v2 form: x, FP32 [3, 1].
var v2Request = &inference.ModelInferRequest{ModelName: "toy", ModelVersion: "1",
	Inputs: []*inference.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "FP32", Shape: []int64{3, 1},
		Contents: &inference.InferTensorContents{Fp32Contents: []float32{1, 2, 3}}}}}

// v2CaseSet writes three predict cases: a with a v2 form for grpc, v2grpc
// and v2rest; b listing the v2 modes without a v2 form; c with a v2 form but
// for grpc only.
func v2CaseSet(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "toy")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	predict, _ := proto.Marshal(&apis.PredictRequest{ModelSpec: &apis.ModelSpec{Name: "toy"}})
	v2, _ := proto.Marshal(v2Request)
	files := map[string][]byte{"p.request.pb": predict, "v2.request.pb": v2}
	sums := map[string]string{}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(s[:])
	}
	entry := func(id string, transports []string, withV2 bool) map[string]any {
		e := map[string]any{"id": id, "api": "predict", "transports": transports, "request": "p.request.pb", "error": "NOT_FOUND",
			"sha256": map[string]string{"p.request.pb": sums["p.request.pb"]}}
		if withV2 {
			e["v2"] = map[string]any{"request": "v2.request.pb", "error": "NOT_FOUND"}
			e["sha256"].(map[string]string)["v2.request.pb"] = sums["v2.request.pb"]
		}
		return e
	}
	data, _ := json.Marshal(map[string]any{"format": 1, "model": map[string]any{"name": "toy", "config": "missing.config"},
		"cases": []any{
			entry("a", []string{"grpc", "v2grpc", "v2rest"}, true),
			entry("b", []string{"v2grpc", "v2rest"}, false),
			entry("c", []string{"grpc"}, true),
		}})
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readSkipReason(t *testing.T, path string) string {
	t.Helper()
	var skipped map[string]string
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &skipped) != nil {
		t.Fatalf("%s: %s %v", path, data, err)
	}
	return skipped["reason"]
}

func TestV2ModesRecordUnavailablePerCaseAndSkipCasesWithoutAV2Form(t *testing.T) {
	for _, mode := range []string{"v2grpc", "v2rest"} {
		t.Run(mode, func(t *testing.T) {
			dir, out, addr := v2CaseSet(t), t.TempDir(), closedPort(t)
			code, stdout, stderr := run("run", "--mode", mode, "--target", addr, "--rest", "http://"+addr,
				"--deadline-ms", "2000", "--cases", dir, "--out", out)
			final := filepath.Join(out, "go", mode, "toy")
			if code != 0 || strings.TrimSpace(stdout) != final {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			var body results.ErrorBody
			data, err := os.ReadFile(filepath.Join(final, "a.error.json"))
			if err != nil || json.Unmarshal(data, &body) != nil || body.Code != "UNAVAILABLE" || body.HTTPStatus != 0 {
				t.Fatalf("a: %s %v", data, err)
			}
			if r := readSkipReason(t, filepath.Join(final, "b.skipped.json")); r != "case does not apply to "+mode+": it has no v2 form" {
				t.Fatalf("b skipped because %q", r)
			}
			if r := readSkipReason(t, filepath.Join(final, "c.skipped.json")); r != "case does not apply to "+mode {
				t.Fatalf("c skipped because %q", r)
			}
		})
	}
}

// v2Answer is what the fake servers answer for case a.
var v2Answer = &inference.ModelInferResponse{ModelName: "toy", ModelVersion: "1",
	Outputs: []*inference.ModelInferResponse_InferOutputTensor{{Name: "y", Datatype: "FP32", Shape: []int64{3, 1},
		Contents: &inference.InferTensorContents{Fp32Contents: []float32{2.5, 3, 3.5}}}}}

func readV2Response(t *testing.T, path string) *inference.ModelInferResponse {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var resp inference.ModelInferResponse
	if err := proto.Unmarshal(data, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp
}

func TestV2RestRunWritesTheModelInferResponseAndHTTPErrors(t *testing.T) {
	var sent string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sent = r.URL.Path + " " + string(body)
		if fail {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"Request for unknown model: 'toy' version 1 is not found"}`)
			return
		}
		io.WriteString(w, `{"model_name":"toy","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[3,1],"data":[2.5,3.0,3.5]}]}`)
	}))
	defer srv.Close()
	dir := v2CaseSet(t)
	out := t.TempDir()
	if code, _, stderr := run("run", "--mode", "v2rest", "--rest", srv.URL, "--cases", dir, "--out", out); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if want := `/v2/models/toy/versions/1/infer {"inputs":[{"name":"x","shape":[3,1],"datatype":"FP32","data":[1.0,2.0,3.0]}]}`; sent != want {
		t.Fatalf("sent %s, want %s", sent, want)
	}
	final := filepath.Join(out, "go", "v2rest", "toy")
	if got := readV2Response(t, filepath.Join(final, "a.response.pb")); !proto.Equal(got, v2Answer) {
		t.Fatalf("a.response.pb holds %v", got)
	}
	fail = true
	if code, _, stderr := run("run", "--mode", "v2rest", "--rest", srv.URL, "--cases", dir, "--out", out); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var body results.ErrorBody
	data, err := os.ReadFile(filepath.Join(final, "a.error.json"))
	if err != nil || json.Unmarshal(data, &body) != nil || body.Code != "NOT_FOUND" || body.HTTPStatus != 404 || !strings.Contains(body.Message, "unknown model") {
		t.Fatalf("a: %s %v", data, err)
	}
}

// echoInference answers ModelInfer with v2Answer when sent v2Request.
type echoInference struct {
	inference.UnimplementedGRPCInferenceServiceServer
}

func (echoInference) ModelInfer(_ context.Context, req *inference.ModelInferRequest) (*inference.ModelInferResponse, error) {
	if !proto.Equal(req, v2Request) {
		return &inference.ModelInferResponse{Id: "unexpected request"}, nil
	}
	return v2Answer, nil
}

func TestV2GrpcRunAndBenchSendTheV2Form(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	inference.RegisterGRPCInferenceServiceServer(srv, echoInference{})
	go srv.Serve(lis)
	defer srv.Stop()
	dir, out := v2CaseSet(t), t.TempDir()
	if code, _, stderr := run("run", "--mode", "v2grpc", "--target", lis.Addr().String(), "--cases", dir, "--out", out); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if got := readV2Response(t, filepath.Join(out, "go", "v2grpc", "toy", "a.response.pb")); !proto.Equal(got, v2Answer) {
		t.Fatalf("a.response.pb holds %v", got)
	}
	code, stdout, stderr := run("bench", "--mode", "v2grpc", "--target", lis.Addr().String(), "--cases", dir, "--case", "a",
		"--requests", "4", "--concurrency", "2", "--warmup", "1")
	var line map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &line) != nil {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if line["mode"] != "v2grpc" || line["errors"] != 0.0 || line["batch"] != 3.0 || line["requests"] != 4.0 {
		t.Fatalf("bench line %s", stdout)
	}
	// b lists v2grpc but has no v2 form: bench refuses it as bad usage.
	if code, _, _ := run("bench", "--mode", "v2grpc", "--cases", dir, "--case", "b", "--requests", "1", "--concurrency", "1"); code != 2 {
		t.Fatalf("bench of a case without a v2 form: exit %d", code)
	}
}
