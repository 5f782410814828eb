package rest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/cases"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/tensor"
)

// batch32Case is the golden MNIST batch the REST bench times (v1-batch32):
// its request and, as TF Serving would answer it, its response body.
func batch32Case(b *testing.B) (*apis.PredictRequest, string, []byte, *corepb.SignatureDef) {
	b.Helper()
	dir := filepath.Join("..", "..", "..", "..", "build", "cases", "mnist")
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		b.Skip("build/cases/mnist not exported (make export)")
	}
	m, err := cases.Read(dir)
	if err != nil {
		b.Fatal(err)
	}
	c := m.Find("v1-batch32")
	if c == nil {
		b.Skip("no case v1-batch32 in build/cases/mnist")
	}
	msg, err := c.ParseRequest()
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, c.Response))
	if err != nil {
		b.Fatal(err)
	}
	resp := &apis.PredictResponse{}
	if err := proto.Unmarshal(data, resp); err != nil {
		b.Fatal(err)
	}
	out, err := tensor.Decode(resp.GetOutputs()["output_0"])
	if err != nil {
		b.Fatal(err)
	}
	// TF Serving writes floats in at most 9 digits (%.9g when 6 do not
	// round-trip), in a pretty-printed document.
	body := []byte("{\n    \"predictions\": [")
	rows, cols := int(out.Shape[0]), int(out.Shape[1])
	for r := range rows {
		body = append(comma(body, r > 0), '[')
		for c := range cols {
			if c > 0 {
				body = append(body, ", "...)
			}
			body = strconv.AppendFloat(body, float64(out.Value(r*cols+c).(float32)), 'g', -1, 32)
		}
		body = append(body, ']')
	}
	body = append(body, "]\n}"...)
	sig := &corepb.SignatureDef{Outputs: map[string]*corepb.TensorInfo{"output_0": {Dtype: tensor.Float}}}
	return msg.(*apis.PredictRequest), c.RestFormat, body, sig
}

// BenchmarkPredictBodyBatch32 is the REST client's request half for the
// bench's batch-32 case, for pprof and -benchmem; it asserts nothing about time.
func BenchmarkPredictBodyBatch32(b *testing.B) {
	req, format, _, _ := batch32Case(b)
	w := &bodyWriter{}
	b.ReportAllocs()
	for b.Loop() {
		w.reset() // as the transport's pool does
		if err := w.predict(req, format); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredictOutputsBatch32 is the response half: JSON back into a
// PredictResponse's tensors.
func BenchmarkPredictOutputsBatch32(b *testing.B) {
	_, _, body, sig := batch32Case(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := predictOutputs(body, sig); err != nil {
			b.Fatal(err)
		}
	}
}
