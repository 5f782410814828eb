package rest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
	"tfinterop.dev/clients/go/internal/transport"
)

func TestParseJSONRejectsMalformedDocuments(t *testing.T) {
	for _, doc := range []string{`[1,]`, `{"a" 1}`, `[1`, `"abc`, `01`, `nan`, `[1] x`, strings.Repeat("[", 300) + strings.Repeat("]", 300),
		"\"a\x01\"", `"\ud800"`, `"\ud800\u0041"`, `"\x"`, `"\u12g4"`} {
		if _, err := parseJSON([]byte(doc)); err == nil {
			t.Errorf("accepted %s", doc)
		}
	}
}

func TestParseJSONDecodesEscapesAndSurrogatePairs(t *testing.T) {
	n, err := parseJSON([]byte(`"\ud83d\ude00\/\b\f\n\r\u00e9"`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "\U0001F600/\b\f\n\ré"; n.text != want {
		t.Fatalf("got %q, want %q", n.text, want)
	}
}

func floatRequest(shape []int64, vals []float32, signature string) *apis.PredictRequest {
	return &apis.PredictRequest{
		ModelSpec: &apis.ModelSpec{Name: "m", SignatureName: signature},
		Inputs: map[string]*framework.TensorProto{
			"x": {Dtype: tensor.Float, TensorShape: tensor.ShapeProto(shape), FloatVal: vals},
		},
	}
}

// fakeServer answers like TF Serving's REST API for a model with one or two outputs.
func fakeServer(t *testing.T, predict func(w http.ResponseWriter, body string)) *httptest.Server {
	t.Helper()
	meta := `{"model_spec": {"name": "m", "version": "1"}, "metadata": {"signature_def": {"signature_def": {
	  "serving_default": {"inputs": {"x": {"name": "x:0", "dtype": "DT_FLOAT"}},
	    "outputs": {"probs": {"name": "p:0", "dtype": "DT_FLOAT", "tensor_shape": {"dim": [{"size": "-1"}]}}},
	    "method_name": "tensorflow/serving/predict"},
	  "two": {"inputs": {"x": {"name": "x:0", "dtype": "DT_FLOAT"}},
	    "outputs": {"probs": {"name": "p:0", "dtype": "DT_FLOAT"}, "ids_bytes": {"name": "i:0", "dtype": "DT_STRING"}, "n": {"name": "n:0", "dtype": "DT_INT64"}},
	    "method_name": "tensorflow/serving/predict"}}}}}`
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/metadata"):
			io.WriteString(w, meta)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, ":predict"):
			body, _ := io.ReadAll(r.Body)
			predict(w, r.URL.Path+" "+string(body))
		default:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error": "Malformed request"}`)
		}
	}))
}

func TestPredictTurnsJSONBackIntoTypedOutputs(t *testing.T) {
	tests := []struct {
		name, signature, format, answer string
		check                           func(r *apis.PredictResponse) bool
	}{
		{"columnar single output", "", Columnar, `{"outputs": [0.5, NaN]}`, func(r *apis.PredictResponse) bool {
			p := r.Outputs["probs"]
			return len(p.FloatVal) == 2 && p.FloatVal[0] == 0.5 && p.FloatVal[1] != p.FloatVal[1]
		}},
		{"row single output", "", Row, `{"predictions": [[0.25], [1]]}`, func(r *apis.PredictResponse) bool {
			p := r.Outputs["probs"]
			return len(p.TensorShape.Dim) == 2 && p.TensorShape.Dim[0].Size == 2 && p.FloatVal[0] == 0.25
		}},
		{"columnar several outputs", "two", Columnar, `{"outputs": {"probs": [1], "ids_bytes": [{"b64": "/w=="}], "n": [9007199254740993]}}`, func(r *apis.PredictResponse) bool {
			return len(r.Outputs) == 3 && r.Outputs["ids_bytes"].StringVal[0][0] == 0xff && r.Outputs["n"].Int64Val[0] == 1<<53+1
		}},
		{"row several outputs", "two", Row, `{"predictions": [{"probs": 1, "ids_bytes": {"b64": "YQ=="}, "n": 2}, {"probs": 2, "ids_bytes": {"b64": ""}, "n": 3}]}`, func(r *apis.PredictResponse) bool {
			return string(r.Outputs["ids_bytes"].StringVal[0]) == "a" && r.Outputs["n"].Int64Val[1] == 3 && r.Outputs["probs"].TensorShape.Dim[0].Size == 2
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			srv := fakeServer(t, func(w http.ResponseWriter, body string) { got = body; io.WriteString(w, tc.answer) })
			defer srv.Close()
			tr, err := New(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			req := floatRequest([]int64{2, 1}, []float32{1, 2}, tc.signature)
			req.ModelSpec.VersionChoice = &apis.ModelSpec_Version{Version: wrapperspb.Int64(3)}
			resp, err := tr.Call(context.Background(), transport.Request{API: cases.Predict, Message: req, RestFormat: tc.format})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, "/v1/models/m/versions/3:predict ") {
				t.Fatalf("request went to %s", got)
			}
			if r := resp.(*apis.PredictResponse); r.ModelSpec != nil || !tc.check(r) {
				t.Fatalf("response %v", r)
			}
		})
	}
}

func TestHTTPErrorsMapBackToCodesWithTheirStatus(t *testing.T) {
	for _, tc := range []struct {
		http int
		body string
		code status.Code
		msg  string
	}{
		{400, `{"error": "Serving signature key \"x\" not found."}`, status.InvalidArgument, `Serving signature key "x" not found.`},
		{404, `{"error": "Servable not found"}`, status.NotFound, "Servable not found"},
		{501, `{"error": "half"}`, status.Unimplemented, "half"},
		{503, `not json`, status.Unavailable, "not json"},
		{504, ``, status.DeadlineExceeded, "504 Gateway Timeout"},
		{418, `{"error": "teapot"}`, status.Unknown, "teapot"},
	} {
		srv := fakeServer(t, func(w http.ResponseWriter, _ string) { w.WriteHeader(tc.http); io.WriteString(w, tc.body) })
		tr, _ := New(srv.URL)
		_, err := tr.Call(context.Background(), transport.Request{API: cases.Predict, Message: floatRequest([]int64{1}, []float32{1}, "")})
		srv.Close()
		e := status.FromError(err)
		if e.Code != tc.code || e.HTTPStatus != tc.http || e.Message != tc.msg {
			t.Errorf("HTTP %d: got %+v, want %s %q", tc.http, e, tc.code, tc.msg)
		}
	}
}

func TestUnreachableServerIsUnavailableAndSlowOneDeadlineExceeded(t *testing.T) {
	srv := fakeServer(t, func(w http.ResponseWriter, _ string) { time.Sleep(300 * time.Millisecond) })
	url := srv.URL
	tr, _ := New(url)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := tr.Call(ctx, transport.Request{API: cases.Predict, Message: floatRequest([]int64{1}, []float32{1}, "")})
	cancel()
	if e := status.FromError(err); e.Code != status.DeadlineExceeded || e.HTTPStatus != 0 {
		t.Fatalf("slow server: %+v", e)
	}
	srv.Close()
	_, err = tr.Call(context.Background(), transport.Request{API: cases.Predict, Message: floatRequest([]int64{1}, []float32{1}, "")})
	if e := status.FromError(err); e.Code != status.Unavailable || e.HTTPStatus != 0 {
		t.Fatalf("closed server: %+v", e)
	}
}

func TestMetadataPacksTheSignatureMap(t *testing.T) {
	srv := fakeServer(t, nil)
	defer srv.Close()
	tr, _ := New(srv.URL)
	resp, err := tr.Call(context.Background(), transport.Request{API: cases.Metadata, Message: &apis.GetModelMetadataRequest{
		ModelSpec: &apis.ModelSpec{Name: "m"}, MetadataField: []string{"signature_def"}}})
	if err != nil {
		t.Fatal(err)
	}
	var sigs apis.SignatureDefMap
	meta := resp.(*apis.GetModelMetadataResponse)
	if err := meta.Metadata["signature_def"].UnmarshalTo(&sigs); err != nil {
		t.Fatal(err)
	}
	if meta.GetModelSpec().GetName() != "m" || meta.GetModelSpec().GetVersion().GetValue() != 1 {
		t.Fatalf("model_spec %v", meta.GetModelSpec())
	}
	probs := sigs.SignatureDef["serving_default"].GetOutputs()["probs"]
	if probs.GetDtype() != tensor.Float || probs.GetTensorShape().GetDim()[0].GetSize() != -1 || probs.GetEncoding().(*corepb.TensorInfo_Name).Name != "p:0" {
		t.Fatalf("signature map %v", &sigs)
	}
}

// Consecutive predicts through one transport reuse one pooled body buffer and
// send what a fresh writer writes: the buffer comes back once net/http has
// closed the body, and a reused writer carries nothing over.
func TestPredictBodiesReuseThePooledBufferAndStayExact(t *testing.T) {
	var bodies []string
	srv := fakeServer(t, func(w http.ResponseWriter, body string) {
		bodies = append(bodies, body)
		io.WriteString(w, `{"outputs": [1]}`)
	})
	defer srv.Close()
	var released atomic.Int32
	lent := func(body []byte) {
		data, err := sendBody(context.Background(), http.DefaultClient, srv.URL+"/v1/models/m:predict", body, func() { released.Add(1) })
		if err != nil || string(data) != `{"outputs": [1]}` {
			t.Fatalf("sendBody: %q, %v", data, err)
		}
	}
	lent([]byte(`{"inputs":[1]}`))
	if released.Load() != 1 {
		t.Fatalf("buffer released %d times after a complete exchange, want 1", released.Load())
	}
	tr, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	requests := []*apis.PredictRequest{
		floatRequest([]int64{2, 3}, []float32{0.5, 1, 2, 0.5, 1, 2}, ""),
		floatRequest([]int64{1}, []float32{7}, ""),
	}
	for _, req := range requests {
		if _, err := tr.Call(context.Background(), transport.Request{API: cases.Predict, Message: req, RestFormat: Columnar}); err != nil {
			t.Fatal(err)
		}
	}
	for i, req := range requests {
		want, err := predictBody(req, Columnar)
		if err != nil {
			t.Fatal(err)
		}
		sent := bodies[i+1] // after the one lent above
		if got := sent[strings.IndexByte(sent, ' ')+1:]; got != string(want) {
			t.Errorf("body %d: sent %s, a fresh writer writes %s", i, got, want)
		}
	}
}
