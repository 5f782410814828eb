package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// The shared REST codec vectors (docs/CONTRACT.md "Codec vectors"), written
// by `make export` from python/tfinterop/golden/rest_vectors.py. This file
// holds no codec rules of its own: every case lives in the vector file.

type vectorFile struct {
	Version int            `json:"version"`
	Encode  []encodeVector `json:"encode"`
	Decode  []decodeVector `json:"decode"`
}

type encodeVector struct {
	ID         string  `json:"id"`
	Why        string  `json:"why"`
	API        string  `json:"api"`
	RestFormat string  `json:"rest_format"`
	Request    []byte  `json:"request"` // base64 in the file
	Body       *string `json:"body"`
	Error      string  `json:"error"`
}

type decodeVector struct {
	ID         string            `json:"id"`
	Why        string            `json:"why"`
	RestFormat string            `json:"rest_format"` // unused: the reader tells the form by "outputs"/"predictions"
	Outputs    map[string]string `json:"outputs"`
	Body       *string           `json:"body"`
	BodyB64    []byte            `json:"body_b64"` // a body that is not UTF-8
	Expect     map[string][]byte `json:"expect"`   // serialized TensorProtos
	Error      string            `json:"error"`
}

// vectorsPath is $TFINTEROP_VECTORS, else build/vectors/rest_json.json under
// the repository that holds this package's working directory.
func vectorsPath(t *testing.T) string {
	if p := os.Getenv("TFINTEROP_VECTORS"); p != "" {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "clients", "go", "go.mod")); err == nil {
			return filepath.Join(dir, "build", "vectors", "rest_json.json")
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no repository root (clients/go/go.mod) above %s; set TFINTEROP_VECTORS", wd)
		}
	}
}

func loadVectors(t *testing.T) *vectorFile {
	t.Helper()
	path := vectorsPath(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("REST codec vectors: %v (run `make export` at the top to write them, or set TFINTEROP_VECTORS)", err)
	}
	var doc vectorFile
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if doc.Version != 1 || len(doc.Encode) == 0 || len(doc.Decode) == 0 {
		t.Fatalf("%s: version %d with %d encode and %d decode vectors; this test reads version 1",
			path, doc.Version, len(doc.Encode), len(doc.Decode))
	}
	return &doc
}

func TestRESTCodecVectors(t *testing.T) {
	doc := loadVectors(t)
	t.Run("encode", func(t *testing.T) {
		for _, v := range doc.Encode {
			t.Run(v.ID, func(t *testing.T) { checkEncode(t, v) })
		}
	})
	t.Run("decode", func(t *testing.T) {
		for _, v := range doc.Decode {
			t.Run(v.ID, func(t *testing.T) { checkDecode(t, v) })
		}
	})
}

// writeBody runs the body writer the transport uses for v's api.
func writeBody(t *testing.T, v encodeVector) ([]byte, error) {
	parse := func(m proto.Message) {
		if err := proto.Unmarshal(v.Request, m); err != nil {
			t.Fatalf("request does not parse as a %s request: %v", v.API, err)
		}
	}
	switch v.API {
	case "predict":
		r := &apis.PredictRequest{}
		parse(r)
		return predictBody(r, v.RestFormat)
	case "classify":
		r := &apis.ClassificationRequest{}
		parse(r)
		return examplesBody(r.GetModelSpec(), r.GetInput())
	case "regress":
		r := &apis.RegressionRequest{}
		parse(r)
		return examplesBody(r.GetModelSpec(), r.GetInput())
	}
	t.Fatalf("unknown api %q", v.API)
	return nil, nil
}

func checkEncode(t *testing.T, v encodeVector) {
	body, err := writeBody(t, v)
	if v.Error != "" {
		if got := status.CodeOf(err).String(); got != v.Error {
			t.Fatalf("%s: want %s, got %s (err %v, body %s)", v.Why, v.Error, got, err, body)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", v.Why, err)
	}
	if v.Body == nil {
		t.Fatalf("vector has neither body nor error")
	}
	// Both sides are read by the package's response parser: encoding/json
	// refuses NaN/Infinity, and the parser keeps every number's literal text,
	// so the rule below sees the tokens as written.
	want, err := parseJSON([]byte(*v.Body))
	if err != nil {
		t.Fatalf("the vector's body: %v", err)
	}
	got, err := parseJSON(body)
	if err != nil {
		t.Fatalf("wrote %s, not JSON: %v", body, err)
	}
	if diff := treeDiff(got, want, "$"); diff != "" {
		t.Fatalf("%s\n%s\nwrote %s\nwant  %s", v.Why, diff, body, *v.Body)
	}
}

// isInteger is the vector rule for a number token: no '.', 'e' or 'E' (and
// not NaN or ±Infinity) makes it an integer, compared exactly.
func isInteger(text string) bool {
	switch text {
	case "NaN", "Infinity", "-Infinity":
		return false
	}
	return !strings.ContainsAny(text, ".eE")
}

// treeDiff names the first place got and want differ as JSON trees ("" when
// none): keys in any order, integers exact, other numbers as bit-identical
// doubles (NaN equals NaN), strings exact.
func treeDiff(got, want *node, path string) string {
	if got.kind != want.kind {
		return fmt.Sprintf("%s: got %s, want %s", path, describe(got), describe(want))
	}
	switch want.kind {
	case kObject:
		keys := func(n *node) []string {
			var k []string
			for _, m := range n.members {
				k = append(k, m.key)
			}
			slices.Sort(k)
			return k
		}
		if g, w := keys(got), keys(want); !slices.Equal(g, w) {
			return fmt.Sprintf("%s: keys %q, want %q", path, g, w)
		}
		for _, m := range want.members {
			g, _ := got.get(m.key)
			if d := treeDiff(g, m.value, path+"."+m.key); d != "" {
				return d
			}
		}
	case kArray:
		if len(got.items) != len(want.items) {
			return fmt.Sprintf("%s: %d elements, want %d", path, len(got.items), len(want.items))
		}
		for i := range want.items {
			if d := treeDiff(got.items[i], want.items[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case kNumber:
		if isInteger(got.text) != isInteger(want.text) {
			return fmt.Sprintf("%s: got %s, want %s (an integer and a double differ)", path, got.text, want.text)
		}
		if isInteger(want.text) {
			g, okG := new(big.Int).SetString(got.text, 10)
			w, okW := new(big.Int).SetString(want.text, 10)
			if !okG || !okW || g.Cmp(w) != 0 {
				return fmt.Sprintf("%s: got %s, want %s", path, got.text, want.text)
			}
			return ""
		}
		g, errG := parseFloat(got.text, 64)
		w, errW := parseFloat(want.text, 64)
		if errG != nil || errW != nil || !sameFloat64(g, w) {
			return fmt.Sprintf("%s: got %s, want %s", path, got.text, want.text)
		}
	case kString:
		if got.text != want.text {
			return fmt.Sprintf("%s: got %q, want %q", path, got.text, want.text)
		}
	case kBool:
		if got.boolean != want.boolean {
			return fmt.Sprintf("%s: got %t, want %t", path, got.boolean, want.boolean)
		}
	}
	return ""
}

func sameFloat64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func checkDecode(t *testing.T, v decodeVector) {
	body := v.BodyB64
	if v.Body != nil {
		body = []byte(*v.Body)
	}
	sig := &corepb.SignatureDef{Outputs: map[string]*corepb.TensorInfo{}}
	for name, dtype := range v.Outputs {
		d, ok := framework.DataType_value[dtype]
		if !ok {
			t.Fatalf("output %s: unknown dtype %s", name, dtype)
		}
		sig.Outputs[name] = &corepb.TensorInfo{Dtype: framework.DataType(d)}
	}
	got, err := predictOutputs(body, sig)
	if v.Error != "" {
		if code := status.CodeOf(err).String(); code != v.Error {
			t.Fatalf("%s: want %s, got %s (err %v, outputs %v)", v.Why, v.Error, code, err, got)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", v.Why, err)
	}
	names, wantNames := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(v.Expect))
	if !slices.Equal(names, wantNames) {
		t.Fatalf("outputs %q, want %q", names, wantNames)
	}
	for _, name := range wantNames {
		var wantProto framework.TensorProto
		if err := proto.Unmarshal(v.Expect[name], &wantProto); err != nil {
			t.Fatalf("expect %s: %v", name, err)
		}
		want, err := tensor.Decode(&wantProto)
		if err != nil {
			t.Fatalf("expect %s: %v", name, err)
		}
		read, err := tensor.Decode(got[name])
		if err != nil {
			t.Fatalf("output %s: the reader's TensorProto does not decode: %v", name, err)
		}
		if diff := tensorDiff(read, want); diff != "" {
			t.Errorf("%s: output %s: %s", v.Why, name, diff)
		}
	}
}

// tensorDiff names the first difference between two tensors: dtype, shape,
// then the first element that is not bit-identical (NaN equals NaN).
func tensorDiff(got, want *tensor.Tensor) string {
	if got.DType != want.DType {
		return fmt.Sprintf("dtype %s, want %s", tensor.Name(got.DType), tensor.Name(want.DType))
	}
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)
	}
	if got.Len() != want.Len() {
		return fmt.Sprintf("%d elements, want %d", got.Len(), want.Len())
	}
	for i := range want.Len() {
		g, w := got.Value(i), want.Value(i)
		if !sameElement(g, w) {
			return fmt.Sprintf("element %d: got %s, want %s", i, show(g), show(w))
		}
	}
	return ""
}

func sameElement(g, w any) bool {
	switch w := w.(type) {
	case float32:
		g, ok := g.(float32)
		return ok && (math.Float32bits(g) == math.Float32bits(w) || (g != g && w != w))
	case float64:
		g, ok := g.(float64)
		return ok && sameFloat64(g, w)
	case []byte:
		g, ok := g.([]byte)
		return ok && bytes.Equal(g, w)
	}
	return g == w // integers and bools (no decode vector is complex: JSON has no form for it)
}

func show(v any) string {
	switch v := v.(type) {
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32) + fmt.Sprintf(" (bits %#08x)", math.Float32bits(v))
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64) + fmt.Sprintf(" (bits %#016x)", math.Float64bits(v))
	case []byte:
		return strconv.Quote(string(v))
	}
	return fmt.Sprint(v)
}
