package rest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/tensor"
)

func oneOutput(d tensor.DType) *corepb.SignatureDef {
	return &corepb.SignatureDef{Outputs: map[string]*corepb.TensorInfo{"y": {Dtype: d}}}
}

// Every body is read by both paths: where the dense reader answers, the tree
// reader must give the same tensors; where the tree reader refuses, the dense
// reader must have stepped aside. fast lists the bodies the dense reader must
// take (so the test fails if it silently always steps aside).
func TestDenseReaderAgreesWithTheTreeReader(t *testing.T) {
	bodies := []struct {
		dtype tensor.DType
		body  string
		fast  bool
	}{
		{tensor.Float, `{"predictions": [[0.1, 1e-07, 3.40282347e+38], [NaN, Infinity, -Infinity]]}`, true},
		{tensor.Float, `{"outputs": [[[1.5]], [[2]]]}`, true},
		{tensor.Float, ` { "predictions" : [ 1 , 2 ] } `, true},
		{tensor.Float, `{"predictions": [1e39, -1e39, 1e-50]}`, true},   // out of float range: ±Infinity, 0
		{tensor.Float, `{"predictions": [1, 2], "outputs": [3]}`, true}, // "outputs" wins
		{tensor.Float, `{"outputs": [1], "outputs": [2, 3]}`, true},     // the first
		{tensor.Float, `{"model_version": "2", "predictions": [4.5]}`, true},
		{tensor.Double, `{"predictions": [0.1000000000000000055511151231257827, 2.5e-320]}`, true},
		{tensor.Half, `{"predictions": [0.333, 65504, 70000]}`, true},
		{tensor.BFloat16, `{"predictions": [0.333, 1e38]}`, true},
		{tensor.Int64, `{"predictions": [9007199254740993, -9223372036854775808]}`, true},
		{tensor.Int8, `{"predictions": [127, -128]}`, true},
		{tensor.Uint64, `{"predictions": [18446744073709551615]}`, true},
		{tensor.Bool, `{"predictions": [[true, false], [false, true]]}`, true},
		{tensor.Float, `{"predictions": 2.5}`, false},       // a scalar
		{tensor.Float, `{"predictions": []}`, false},        // empty
		{tensor.Float, `{"predictions": [[], []]}`, false},  // empty inner lists
		{tensor.Float, `{"predictions": [[], [1]]}`, false}, // ragged
		{tensor.Float, `{"predictions": [[1, 2], [3]]}`, false},
		{tensor.Float, `{"predictions": [[1], 2]}`, false},
		{tensor.Float, `{"predictions": [1, [2]]}`, false},
		{tensor.Float, `{"predictions": [1, "2"]}`, false},
		{tensor.Float, `{"predictions": [1, null]}`, false},
		{tensor.Float, `{"predictions": [01]}`, false},
		{tensor.Float, `{"predictions": [1.]}`, false},
		{tensor.Float, `{"predictions": [nan]}`, false},
		{tensor.Float, `{"predictions": [1,]}`, false},
		{tensor.Float, `{"predictions": [1] x}`, false},
		{tensor.Float, `{"predictions": [1]`, false},
		{tensor.Float, `{"predictions": [1}`, false},
		{tensor.Float, `{"error": "boom"}`, false},
		{tensor.Float, `[1, 2]`, false},
		{tensor.Int32, `{"predictions": [1.5]}`, false},
		{tensor.Int8, `{"predictions": [128]}`, false},
		{tensor.Uint8, `{"predictions": [-1]}`, false},
		{tensor.Bool, `{"predictions": [1]}`, false},
		{tensor.String, `{"predictions": ["a", {"b64": "Yg=="}]}`, false}, // strings: the tree's
		{tensor.Float, `{"predictions": ` + strings.Repeat("[", 300) + `1` + strings.Repeat("]", 300) + `}`, false},
	}
	for _, b := range bodies {
		sig := oneOutput(b.dtype)
		fast, ok := denseOutputs([]byte(b.body), sig)
		tree, err := treeOutputs([]byte(b.body), sig)
		switch {
		case ok != b.fast:
			t.Errorf("%s %s: dense reader took it: %v, want %v", tensor.Name(b.dtype), b.body, ok, b.fast)
		case ok && err != nil:
			t.Errorf("%s %s: dense reader answered, tree reader refused: %v", tensor.Name(b.dtype), b.body, err)
		case ok && !proto.Equal(fast["y"], tree["y"]):
			t.Errorf("%s %s: dense %v, tree %v", tensor.Name(b.dtype), b.body, fast["y"], tree["y"])
		}
	}
}

func TestDenseReaderStepsAsideForSeveralOutputs(t *testing.T) {
	sig := &corepb.SignatureDef{Outputs: map[string]*corepb.TensorInfo{"a": {Dtype: tensor.Float}, "b": {Dtype: tensor.Float}}}
	if _, ok := denseOutputs([]byte(`{"outputs": {"a": [1], "b": [2]}}`), sig); ok {
		t.Fatal("dense reader took a two-output answer")
	}
}

// The memo copies a repeated value's text: the body must be what formatting
// every value afresh writes, through hits, evictions and slot collisions.
func TestFloatMemoWritesWhatAppendFloatWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, math.SmallestNonzeroFloat32, 1, 1e6, 0.1}
	vals := make([]float32, 3*memoSlots)
	for i := range vals {
		switch i % 3 {
		case 0:
			vals[i] = float32(rng.IntN(256)) / 255 // repeats
		case 1:
			vals[i] = rng.Float32() * float32(rng.IntN(1000)-500) // mostly distinct: evictions
		default:
			vals[i] = specials[rng.IntN(len(specials))]
		}
	}
	src := &tensor.Tensor{DType: tensor.Float, Shape: []int64{int64(len(vals))}, Data: make([]byte, 4*len(vals))}
	for i, v := range vals {
		src.SetFloat(i, float64(v))
	}
	w := &bodyWriter{}
	for round := range 2 { // the second on a reset, reused writer
		w.reset()
		if err := w.tensor(src); err != nil {
			t.Fatal(err)
		}
		want := []byte{'['}
		for i, v := range vals {
			want = appendFloat(comma(want, i > 0), float64(v))
		}
		want = append(want, ']')
		if string(w.buf) != string(want) {
			t.Fatalf("round %d: memo body differs from formatting each value", round)
		}
	}
}

// validNumber stands in for encoding/json's number grammar: same verdicts.
func TestValidNumberIsJSONsNumberGrammar(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-12", "01", "-01", "1.", ".5", "1.5", "1.5e", "1e5", "1E+5", "1e-05",
		"-", "+1", "1e+", "1.e5", "0.0e0", "12345678901234567890123", "1-2", "1e5e5", "1..2", "--1", "0x1", ""} {
		if got, want := validNumber([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validNumber(%q) = %v, encoding/json says %v", s, got, want)
		}
	}
}
