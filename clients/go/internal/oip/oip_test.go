package oip

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

func TestEveryContractDatatypeMapsBothWays(t *testing.T) {
	for name, want := range map[string]tensor.DType{
		"BOOL": tensor.Bool, "UINT8": tensor.Uint8, "UINT16": tensor.Uint16, "UINT32": tensor.Uint32, "UINT64": tensor.Uint64,
		"INT8": tensor.Int8, "INT16": tensor.Int16, "INT32": tensor.Int32, "INT64": tensor.Int64,
		"FP16": tensor.Half, "BF16": tensor.BFloat16, "FP32": tensor.Float, "FP64": tensor.Double, "BYTES": tensor.String,
	} {
		d, ok := DType(name)
		back, ok2 := Datatype(want)
		if !ok || d != want || !ok2 || back != name {
			t.Errorf("%s: DType %v %v, Datatype(%v) %q %v", name, d, ok, want, back, ok2)
		}
	}
	for _, name := range []string{"COMPLEX64", "fp32", "STRING", ""} {
		if _, ok := DType(name); ok {
			t.Errorf("%q is not a v2 datatype", name)
		}
	}
	for _, d := range []tensor.DType{tensor.Complex64, tensor.Complex128} {
		if _, ok := Datatype(d); ok {
			t.Errorf("%v has no v2 datatype", d)
		}
	}
}

func TestRawContentsRoundTripEveryDatatype(t *testing.T) {
	for _, dt := range datatypes {
		t.Run(dt.name, func(t *testing.T) {
			var raw []byte
			if dt.dtype == tensor.String {
				raw = []byte{3, 0, 0, 0, 'a', 0xff, 0, 0, 0, 0, 0}
			} else {
				for i := range 3 * tensor.ElementSize(dt.dtype) {
					raw = append(raw, byte(i+1))
				}
			}
			got, err := FromRaw("x", dt.dtype, raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != map[bool]int{true: 2, false: 3}[dt.dtype == tensor.String] || !slices.Equal(got.Shape, []int64{int64(got.Len())}) {
				t.Fatalf("%d elements, shape %v", got.Len(), got.Shape)
			}
			if back := ToRaw(got); !bytes.Equal(back, raw) {
				t.Fatalf("round trip % x, want % x", back, raw)
			}
		})
	}
}

func TestRawBytesAreLengthPrefixedLittleEndian(t *testing.T) {
	raw := []byte{2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 1, 0, 0, 0, 0x80}
	got, err := FromRaw("s", tensor.String, raw)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{[]byte("hi"), {}, {0x80}}
	if !slices.EqualFunc(got.Strings, want, bytes.Equal) {
		t.Fatalf("got %q, want %q", got.Strings, want)
	}
}

func TestRawContentsThatDoNotSplitAreInvalidArgument(t *testing.T) {
	for name, tc := range map[string]struct {
		d   tensor.DType
		raw []byte
	}{
		"FP32 not a multiple of 4":  {tensor.Float, []byte{1, 2, 3}},
		"FP16 odd":                  {tensor.Half, []byte{1}},
		"BYTES short prefix":        {tensor.String, []byte{1, 0}},
		"BYTES longer than remains": {tensor.String, []byte{5, 0, 0, 0, 'a'}},
		"BYTES huge length":         {tensor.String, []byte{0xff, 0xff, 0xff, 0xff}},
	} {
		if _, err := FromRaw("x", tc.d, tc.raw); status.CodeOf(err) != status.InvalidArgument {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", name, err)
		}
	}
}

func TestRawHalfAndBFloat16WidenExactly(t *testing.T) {
	// 0x3c00 1.0, 0x2e66 0.0999755859375, 0x0001 the smallest subnormal, 0xfc00 -Inf, 0x7e00 NaN.
	half, _ := FromRaw("h", tensor.Half, []byte{0x00, 0x3c, 0x66, 0x2e, 0x01, 0x00, 0x00, 0xfc, 0x00, 0x7e})
	want := []float64{1, 0.0999755859375, math.Ldexp(1, -24), math.Inf(-1)}
	for i, w := range want {
		if got := float64(half.Value(i).(float32)); got != w {
			t.Errorf("half %d = %v, want %v", i, got, w)
		}
	}
	if v := half.Value(4).(float32); v == v {
		t.Errorf("half NaN widened to %v", v)
	}
	// 0x3dcd is bfloat16's nearest to 0.1: 0.10009765625.
	bf, _ := FromRaw("b", tensor.BFloat16, []byte{0xcd, 0x3d, 0x80, 0xbf})
	if a, b := bf.Value(0).(float32), bf.Value(1).(float32); a != 0.10009765625 || b != -1 {
		t.Errorf("bfloat16 widened to %v %v", a, b)
	}
}

func TestContentsUseTheDatatypesTypedField(t *testing.T) {
	tensorOf := func(d tensor.DType, raw []byte) *tensor.Tensor {
		tt, err := FromRaw("x", d, raw)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	f32 := math.Float32bits(-0.5)
	f64 := math.Float64bits(1e300)
	for _, tc := range []struct {
		name string
		t    *tensor.Tensor
		want *inference.InferTensorContents
	}{
		{"BOOL", tensorOf(tensor.Bool, []byte{1, 0}), &inference.InferTensorContents{BoolContents: []bool{true, false}}},
		{"INT8 sign-extends", tensorOf(tensor.Int8, []byte{0xff, 0x7f}), &inference.InferTensorContents{IntContents: []int32{-1, 127}}},
		{"INT16", tensorOf(tensor.Int16, []byte{0x00, 0x80}), &inference.InferTensorContents{IntContents: []int32{-32768}}},
		{"INT32", tensorOf(tensor.Int32, []byte{0xff, 0xff, 0xff, 0x7f}), &inference.InferTensorContents{IntContents: []int32{math.MaxInt32}}},
		{"INT64 beyond 2^53", tensorOf(tensor.Int64, []byte{1, 0, 0, 0, 0, 0, 0x20, 0}), &inference.InferTensorContents{Int64Contents: []int64{1<<53 + 1}}},
		{"UINT8", tensorOf(tensor.Uint8, []byte{0xff}), &inference.InferTensorContents{UintContents: []uint32{255}}},
		{"UINT16", tensorOf(tensor.Uint16, []byte{0xff, 0xff}), &inference.InferTensorContents{UintContents: []uint32{65535}}},
		{"UINT32", tensorOf(tensor.Uint32, []byte{0xff, 0xff, 0xff, 0xff}), &inference.InferTensorContents{UintContents: []uint32{math.MaxUint32}}},
		{"UINT64", tensorOf(tensor.Uint64, bytes.Repeat([]byte{0xff}, 8)), &inference.InferTensorContents{Uint64Contents: []uint64{math.MaxUint64}}},
		{"FP32", tensorOf(tensor.Float, []byte{byte(f32), byte(f32 >> 8), byte(f32 >> 16), byte(f32 >> 24)}), &inference.InferTensorContents{Fp32Contents: []float32{-0.5}}},
		{"FP64", tensorOf(tensor.Double, []byte{byte(f64), byte(f64 >> 8), byte(f64 >> 16), byte(f64 >> 24), byte(f64 >> 32), byte(f64 >> 40), byte(f64 >> 48), byte(f64 >> 56)}), &inference.InferTensorContents{Fp64Contents: []float64{1e300}}},
		{"BYTES", tensorOf(tensor.String, []byte{1, 0, 0, 0, 0xfe}), &inference.InferTensorContents{BytesContents: [][]byte{{0xfe}}}},
	} {
		got, err := ToContents(tc.t)
		if err != nil || !proto.Equal(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.name, got, err, tc.want)
		}
		if fields := ContentFields(got); len(fields) != 1 || fields[0] != ContentField(tc.t.DType) {
			t.Errorf("%s: fields %v, ContentField %q", tc.name, fields, ContentField(tc.t.DType))
		}
		back, err := FromContents("x", tc.t.DType, got)
		if err != nil || !bytes.Equal(ToRaw(back), ToRaw(tc.t)) || !slices.Equal(back.Shape, tc.t.Shape) {
			t.Errorf("%s: FromContents gave %v %v", tc.name, back, err)
		}
	}
	for _, d := range []tensor.DType{tensor.Half, tensor.BFloat16} {
		if _, err := ToContents(&tensor.Tensor{DType: d, Shape: []int64{1}, Data: []byte{0, 0}}); status.CodeOf(err) != status.Unimplemented || HasTypedContents(d) || ContentField(d) != "" {
			t.Errorf("%v has no typed field: %v", d, err)
		}
	}
}

func TestContentsInTheWrongFieldAreInvalidArgument(t *testing.T) {
	for name, tc := range map[string]struct {
		d tensor.DType
		c *inference.InferTensorContents
	}{
		"FP32 in int_contents":  {tensor.Float, &inference.InferTensorContents{IntContents: []int32{1}}},
		"INT64 in two fields":   {tensor.Int64, &inference.InferTensorContents{Int64Contents: []int64{1}, IntContents: []int32{1}}},
		"FP16 in fp32_contents": {tensor.Half, &inference.InferTensorContents{Fp32Contents: []float32{1}}},
	} {
		if _, err := FromContents("x", tc.d, tc.c); status.CodeOf(err) != status.InvalidArgument {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", name, err)
		}
	}
	// No contents at all: zero elements.
	if got, err := FromContents("x", tensor.Half, nil); err != nil || got.Len() != 0 {
		t.Errorf("empty FP16: %v %v", got, err)
	}
}
