package rest

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

func mustTensor(t *testing.T, d tensor.DType, shape []int64, set func(*tensor.Tensor)) *tensor.Tensor {
	t.Helper()
	tt, err := tensor.New(d, shape)
	if err != nil {
		t.Fatal(err)
	}
	set(tt)
	return tt
}

func TestWriteElementUsesRoundTripFormsAndBareTokens(t *testing.T) {
	f := mustTensor(t, tensor.Float, []int64{6}, func(tt *tensor.Tensor) {
		for i, v := range []float64{0.1, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 16777217} {
			tt.SetFloat(i, v)
		}
	})
	i := mustTensor(t, tensor.Int64, []int64{2}, func(tt *tensor.Tensor) { tt.SetInt(0, 1<<53+1); tt.SetInt(1, math.MinInt64) })
	u := mustTensor(t, tensor.Uint64, []int64{1}, func(tt *tensor.Tensor) { tt.SetInt(0, -1) })
	s := &tensor.Tensor{DType: tensor.String, Shape: []int64{3}, Strings: [][]byte{{}, []byte(`é"`), {0xff, 0x00}}}
	tests := []struct {
		t    *tensor.Tensor
		want string
	}{
		{f, `[0.10000000149011612,NaN,Infinity,-Infinity,-0.0,1.6777216e+07]`},
		{i, `[9007199254740993,-9223372036854775808]`},
		{u, `[18446744073709551615]`},
		{s, `["","é\"",{"b64":"/wA="}]`},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := writeTensor(&buf, tc.t); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("got %s, want %s", buf.String(), tc.want)
		}
	}
}

func TestFloat32IsWrittenAsItsExactDouble(t *testing.T) {
	// rapidjson's IsLosslessFloat: the decimal, read as a double, must convert
	// to float and back unchanged. float32's own shortest forms fail that.
	for _, v := range []float32{0.1, math.MaxFloat32, -math.SmallestNonzeroFloat32, 1.0 / 3, 16777216} {
		tt := mustTensor(t, tensor.Float, []int64{1}, func(tt *tensor.Tensor) { tt.SetFloat(0, float64(v)) })
		var buf bytes.Buffer
		if err := writeTensor(&buf, tt); err != nil {
			t.Fatal(err)
		}
		text := strings.Trim(buf.String(), "[]")
		d, err := strconv.ParseFloat(text, 64)
		if err != nil || d != float64(float32(d)) || float32(d) != v {
			t.Errorf("%v written as %s: not lossless as a double", v, text)
		}
	}
	if got := floatFeature(2); got != "2.0" {
		t.Errorf("float feature 2 written as %s; TF Serving would read an int64", got)
	}
}

func TestReadTensorIsExact(t *testing.T) {
	tests := []struct {
		json  string
		d     tensor.DType
		shape []int64
		want  []any
	}{
		{`[[0.1, NaN], [Infinity, -Infinity]]`, tensor.Float, []int64{2, 2}, []any{float32(0.1), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}},
		{`[1.0000001192092896]`, tensor.Float, []int64{1}, []any{math.Nextafter32(1, 2)}},
		{`[0.1]`, tensor.Double, []int64{1}, []any{0.1}},
		{`[9007199254740993, -9223372036854775808]`, tensor.Int64, []int64{2}, []any{int64(1<<53 + 1), int64(math.MinInt64)}},
		{`[18446744073709551615]`, tensor.Uint64, []int64{1}, []any{uint64(math.MaxUint64)}},
		{`[true, false]`, tensor.Bool, []int64{2}, []any{true, false}},
		{`7`, tensor.Int32, nil, []any{int64(7)}},
		{`[]`, tensor.Float, []int64{0}, nil},
	}
	for _, tc := range tests {
		n, err := parseJSON([]byte(tc.json))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readTensor(n, tc.d)
		if err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		if len(got.Shape) != len(tc.shape) {
			t.Fatalf("%s: shape %v, want %v", tc.json, got.Shape, tc.shape)
		}
		for i, w := range tc.want {
			v := got.Value(i)
			if f, ok := w.(float32); ok && f != f {
				if g := v.(float32); g == g {
					t.Fatalf("%s: element %d = %v, want NaN", tc.json, i, v)
				}
				continue
			}
			if v != w {
				t.Fatalf("%s: element %d = %v (%T), want %v (%T)", tc.json, i, v, v, w, w)
			}
		}
	}
}

func TestReadTensorDecodesB64AndKeepsBytes(t *testing.T) {
	n, err := parseJSON([]byte(`[{"b64": "/wA="}, "plain", ""]`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readTensor(n, tensor.String)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Strings[0], []byte{0xff, 0}) || string(got.Strings[1]) != "plain" || len(got.Strings[2]) != 0 {
		t.Fatalf("got %q", got.Strings)
	}
}

func TestReadTensorRejectsWhatTFServingNeverSends(t *testing.T) {
	for _, tc := range []struct {
		json string
		d    tensor.DType
	}{
		{`[[1, 2], [3]]`, tensor.Float},
		{`[[1, 2], 3]`, tensor.Float},
		{`[1.5]`, tensor.Int32},
		{`[128]`, tensor.Int8},
		{`[-1]`, tensor.Uint8},
		{`["1"]`, tensor.Float},
		{`[1]`, tensor.Bool},
		{`[{"b64": "!!"}]`, tensor.String},
		{`[null]`, tensor.Float},
	} {
		n, err := parseJSON([]byte(tc.json))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readTensor(n, tc.d); err == nil {
			t.Errorf("%s as %s: accepted", tc.json, tensor.Name(tc.d))
		}
	}
}

func TestParseJSONRejectsMalformedDocuments(t *testing.T) {
	for _, doc := range []string{`[1,]`, `{"a" 1}`, `[1`, `"abc`, `01`, `nan`, `[1] x`, strings.Repeat("[", 300) + strings.Repeat("]", 300)} {
		if _, err := parseJSON([]byte(doc)); err == nil {
			t.Errorf("accepted %s", doc)
		}
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

func TestPredictBodyColumnarAndRow(t *testing.T) {
	req := floatRequest([]int64{2, 2}, []float32{1, 2, 3, 4}, "sig")
	col, err := predictBody(req, Columnar)
	if err != nil || string(col) != `{"signature_name":"sig","inputs":{"x":[[1.0,2.0],[3.0,4.0]]}}` {
		t.Fatalf("columnar: %s %v", col, err)
	}
	row, err := predictBody(req, Row)
	if err != nil || string(row) != `{"signature_name":"sig","instances":[[1.0,2.0],[3.0,4.0]]}` {
		t.Fatalf("row: %s %v", row, err)
	}
	req.Inputs["k"] = &framework.TensorProto{Dtype: tensor.String, TensorShape: tensor.ShapeProto([]int64{2}), StringVal: [][]byte{[]byte("a"), {0xff}}}
	req.ModelSpec.SignatureName = ""
	row, err = predictBody(req, Row)
	if err != nil || string(row) != `{"instances":[{"k":"a","x":[1.0,2.0]},{"k":{"b64":"/w=="},"x":[3.0,4.0]}]}` {
		t.Fatalf("row with two inputs: %s %v", row, err)
	}
	req.Inputs["k"].TensorShape = tensor.ShapeProto([]int64{3})
	req.Inputs["k"].StringVal = append(req.Inputs["k"].StringVal, nil)
	if _, err := predictBody(req, Row); status.CodeOf(err) != status.InvalidArgument {
		t.Fatalf("row with different batch sizes: %v", err)
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
