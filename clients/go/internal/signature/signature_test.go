package signature

import (
	"testing"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

func info(name string, d tensor.DType) *corepb.TensorInfo {
	return &corepb.TensorInfo{Encoding: &corepb.TensorInfo_Name{Name: name}, Dtype: d}
}

func metaGraph() *corepb.MetaGraphDef {
	return &corepb.MetaGraphDef{SignatureDef: map[string]*corepb.SignatureDef{
		"serving_default": {
			MethodName: PredictMethod,
			Inputs:     map[string]*corepb.TensorInfo{"image": info("in:0", tensor.Float), "scale": info("scale", tensor.Int64)},
			Outputs:    map[string]*corepb.TensorInfo{"probs": info("out:0", tensor.Float), "label": info("out:1", tensor.Int64)},
		},
		"with_default": {
			MethodName: PredictMethod,
			Inputs:     map[string]*corepb.TensorInfo{"x": info("x:0", tensor.Float), "k": info("k:0", tensor.Int32)},
			Outputs:    map[string]*corepb.TensorInfo{"y": info("y:0", tensor.Float)},
			Defaults:   map[string]*framework.TensorProto{"k": {Dtype: tensor.Int32, IntVal: []int32{3}}},
		},
		"train": {MethodName: "tensorflow/supervised/training", Inputs: map[string]*corepb.TensorInfo{"x": info("x:0", tensor.Float)}},
	}}
}

func floats(n int64) *framework.TensorProto {
	return &framework.TensorProto{Dtype: tensor.Float, TensorShape: tensor.ShapeProto([]int64{n}), FloatVal: []float32{1}}
}

func int64s() *framework.TensorProto {
	return &framework.TensorProto{Dtype: tensor.Int64, TensorShape: tensor.ShapeProto(nil), Int64Val: []int64{2}}
}

func TestSelectUnknownSignatureIsFailedPrecondition(t *testing.T) {
	_, _, err := Select(metaGraph(), "nope")
	if status.CodeOf(err) != status.FailedPrecondition || status.FromError(err).Message != `Serving signature key "nope" not found.` {
		t.Fatalf("got %v", err)
	}
	key, _, err := Select(metaGraph(), "")
	if err != nil || key != DefaultKey {
		t.Fatalf("empty name selects %q, %v", key, err)
	}
}

func TestInputsValidateLikePredictUtil(t *testing.T) {
	mg := metaGraph()
	tests := []struct {
		name   string
		sig    string
		inputs map[string]*framework.TensorProto
		code   status.Code
	}{
		{"valid", "serving_default", map[string]*framework.TensorProto{"image": floats(4), "scale": int64s()}, status.OK},
		{"extra input", "serving_default", map[string]*framework.TensorProto{"image": floats(4), "scale": int64s(), "x": floats(1)}, status.InvalidArgument},
		{"missing input", "serving_default", map[string]*framework.TensorProto{"image": floats(4)}, status.InvalidArgument},
		{"unknown alias", "serving_default", map[string]*framework.TensorProto{"image": floats(4), "scal": int64s()}, status.InvalidArgument},
		{"wrong dtype", "serving_default", map[string]*framework.TensorProto{"image": int64s(), "scale": int64s()}, status.InvalidArgument},
		{"unparsable tensor", "serving_default", map[string]*framework.TensorProto{"image": {Dtype: tensor.Float, TensorShape: tensor.ShapeProto([]int64{2}), TensorContent: []byte{1}}, "scale": int64s()}, status.InvalidArgument},
		{"default fills a missing input", "with_default", map[string]*framework.TensorProto{"x": floats(2)}, status.OK},
		{"not a predict signature", "train", map[string]*framework.TensorProto{"x": floats(2)}, status.Internal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			feeds, err := Inputs(mg.SignatureDef[tc.sig], tc.inputs)
			if got := status.CodeOf(err); got != tc.code {
				t.Fatalf("code %s (%v), want %s", got, err, tc.code)
			}
			if err == nil && len(feeds) != len(mg.SignatureDef[tc.sig].Inputs) {
				t.Fatalf("feeds %v", feeds)
			}
		})
	}
}

func TestOutputsHonourTheFilter(t *testing.T) {
	sig := metaGraph().SignatureDef["serving_default"]
	tests := []struct {
		filter []string
		want   []string
		code   status.Code
	}{
		{nil, []string{"label", "probs"}, status.OK},
		{[]string{"probs"}, []string{"probs"}, status.OK},
		{[]string{"probs", "label"}, []string{"probs", "label"}, status.OK},
		{[]string{"logits"}, nil, status.InvalidArgument},
		{[]string{"probs", "probs"}, nil, status.InvalidArgument},
	}
	for _, tc := range tests {
		fetches, err := Outputs(sig, tc.filter)
		if got := status.CodeOf(err); got != tc.code {
			t.Fatalf("filter %v: code %s, want %s", tc.filter, got, tc.code)
		}
		for i, w := range tc.want {
			if fetches[i].Alias != w {
				t.Fatalf("filter %v: fetches %v, want %v", tc.filter, fetches, tc.want)
			}
		}
	}
}

func TestParseTensorName(t *testing.T) {
	for in, want := range map[string]struct {
		op    string
		index int
	}{"a/b:1": {"a/b", 1}, "x": {"x", 0}, "serving_default_image:0": {"serving_default_image", 0}} {
		op, index, err := ParseTensorName(in)
		if err != nil || op != want.op || index != want.index {
			t.Fatalf("ParseTensorName(%q) = %q, %d, %v", in, op, index, err)
		}
	}
	if _, _, err := ParseTensorName("x:y"); err == nil {
		t.Fatal("accepted a bad index")
	}
}
