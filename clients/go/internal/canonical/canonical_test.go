package canonical

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
)

func TestMarshalWritesFieldNumberOrderAndSortedMaps(t *testing.T) {
	// TensorInfo's oneof `name` is field 1: it must come before dtype (2).
	info := &corepb.TensorInfo{Encoding: &corepb.TensorInfo_Name{Name: "x:0"}, Dtype: framework.DataType_DT_FLOAT}
	want := []byte{0x0a, 3, 'x', ':', '0', 0x10, 1}
	if got := Marshal(info); !bytes.Equal(got, want) {
		t.Fatalf("got % x, want % x", got, want)
	}
	sig := &corepb.SignatureDef{Outputs: map[string]*corepb.TensorInfo{"b": info, "a": info}}
	got := Marshal(sig)
	if i, j := bytes.Index(got, []byte{1, 'a'}), bytes.Index(got, []byte{1, 'b'}); i < 0 || j < i {
		t.Fatalf("map keys out of order: % x", got)
	}
}

func TestMarshalRoundTripsMessages(t *testing.T) {
	msgs := []proto.Message{
		&apis.PredictResponse{
			ModelSpec: &apis.ModelSpec{Name: "m", SignatureName: "s", VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(3)}},
			Outputs: map[string]*framework.TensorProto{
				"z": {Dtype: framework.DataType_DT_FLOAT, FloatVal: []float32{1, -0.5}, TensorShape: &framework.TensorShapeProto{Dim: []*framework.TensorShapeProto_Dim{{Size: 2}}}},
				"a": {Dtype: framework.DataType_DT_INT64, Int64Val: []int64{-1, 1 << 62}, StringVal: [][]byte{{}, {0xff}}},
			},
		},
		&corepb.SignatureDef{MethodName: "m", Defaults: map[string]*framework.TensorProto{"k": {HalfVal: []int32{-1}, BoolVal: []bool{true}, DoubleVal: []float64{2}}}},
	}
	for _, m := range msgs {
		back := m.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(Marshal(m), back); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(m, back) {
			t.Fatalf("round trip changed %v into %v", m, back)
		}
	}
}
