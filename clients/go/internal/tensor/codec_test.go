package tensor

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	"tfinterop.dev/clients/go/internal/status"
)

// edgeTensors holds, per dtype, a tensor of edge values: NaN, ±Inf, -0.0,
// extreme and subnormal floats, min/max integers, empty and non-UTF-8 strings.
func edgeTensors(t *testing.T) map[DType]*Tensor {
	t.Helper()
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, math.NaN(), math.Inf(1), math.Inf(-1), 0.1}
	out := map[DType]*Tensor{}
	mk := func(d DType, n int) *Tensor {
		tt, err := New(d, []int64{int64(n)})
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	for _, d := range []DType{Float, Double, Half, BFloat16} {
		tt := mk(d, len(floats)+1)
		for i, v := range floats {
			tt.SetFloat(i, v)
		}
		switch d {
		case Float:
			tt.SetFloat(len(floats), math.MaxFloat32)
		case Double:
			tt.SetFloat(len(floats), math.SmallestNonzeroFloat64)
		default:
			tt.SetFloat(len(floats), 65504)
		}
		out[d] = tt
	}
	ints := map[DType][]int64{
		Int8:   {math.MinInt8, -1, 0, math.MaxInt8},
		Int16:  {math.MinInt16, -1, 0, math.MaxInt16},
		Int32:  {math.MinInt32, -1, 0, math.MaxInt32},
		Int64:  {math.MinInt64, -1, 0, 1<<53 + 1, math.MaxInt64},
		Uint8:  {0, 1, math.MaxUint8},
		Uint16: {0, 1, math.MaxUint16},
		Uint32: {0, 1, math.MaxUint32},
		Uint64: {0, 1, -1}, // -1 stores MaxUint64
		Bool:   {0, 1, 0},
	}
	for d, vals := range ints {
		tt := mk(d, len(vals))
		for i, v := range vals {
			tt.SetInt(i, v)
		}
		out[d] = tt
	}
	for _, d := range []DType{Complex64, Complex128} {
		tt := mk(d, 3)
		tt.SetComplex(0, complex(1, -2))
		tt.SetComplex(1, complex(math.Inf(1), math.NaN()))
		tt.SetComplex(2, complex(math.Copysign(0, -1), 0.1))
		out[d] = tt
	}
	out[String] = &Tensor{DType: String, Shape: []int64{2, 2}, Strings: [][]byte{
		{}, []byte("héllo"), {0xff, 0xfe, 0x00, 0x80}, bytes.Repeat([]byte("x"), 100),
	}}
	return out
}

func sameTensor(a, b *Tensor) bool {
	if a.DType != b.DType || len(a.Shape) != len(b.Shape) || !bytes.Equal(a.Data, b.Data) || len(a.Strings) != len(b.Strings) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	for i := range a.Strings {
		if !bytes.Equal(a.Strings[i], b.Strings[i]) {
			return false
		}
	}
	return true
}

func TestEveryDTypeRoundTripsBitForBit(t *testing.T) {
	edges := edgeTensors(t)
	for _, d := range DTypes() {
		want, ok := edges[d]
		if !ok {
			t.Fatalf("no edge values for %s", Name(d))
		}
		encoders := map[string]func(*Tensor) (*framework.TensorProto, error){
			"typed fields":   Encode,
			"tensor_content": EncodeContent,
		}
		for form, encode := range encoders {
			t.Run(Name(d)+"/"+form, func(t *testing.T) {
				p, err := encode(want)
				if err != nil {
					t.Fatal(err)
				}
				// Through the wire too, as a request or response travels.
				wire, err := proto.Marshal(p)
				if err != nil {
					t.Fatal(err)
				}
				var back framework.TensorProto
				if err := proto.Unmarshal(wire, &back); err != nil {
					t.Fatal(err)
				}
				got, err := Decode(&back)
				if err != nil {
					t.Fatal(err)
				}
				if !sameTensor(got, want) {
					t.Fatalf("round trip changed the tensor:\n got  %+v\n want %+v", got, want)
				}
			})
		}
	}
}

func TestEncodeWritesTheFieldsAsProtoFieldWrites(t *testing.T) {
	edges := edgeTensors(t)
	tests := []struct {
		d     DType
		check func(p *framework.TensorProto) bool
	}{
		{Int8, func(p *framework.TensorProto) bool { return p.IntVal[0] == math.MinInt8 && p.IntVal[3] == math.MaxInt8 }},
		{Uint8, func(p *framework.TensorProto) bool { return p.IntVal[2] == 255 }},
		{Uint16, func(p *framework.TensorProto) bool { return p.IntVal[2] == 65535 }},
		{Uint32, func(p *framework.TensorProto) bool { return p.Uint32Val[2] == math.MaxUint32 }},
		{Uint64, func(p *framework.TensorProto) bool { return p.Uint64Val[2] == math.MaxUint64 }},
		{Int64, func(p *framework.TensorProto) bool { return p.Int64Val[3] == 1<<53+1 }},
		{Half, func(p *framework.TensorProto) bool { return p.HalfVal[1] == 0x8000 && p.HalfVal[5] == 0x7c00 }},
		{BFloat16, func(p *framework.TensorProto) bool { return p.HalfVal[2] == 0x3f80 }},
		{Bool, func(p *framework.TensorProto) bool { return !p.BoolVal[0] && p.BoolVal[1] }},
		{String, func(p *framework.TensorProto) bool { return len(p.StringVal) == 4 && len(p.StringVal[0]) == 0 }},
		{Complex64, func(p *framework.TensorProto) bool { return len(p.ScomplexVal) == 6 && p.ScomplexVal[1] == -2 }},
	}
	for _, tc := range tests {
		t.Run(Name(tc.d), func(t *testing.T) {
			p, err := Encode(edges[tc.d])
			if err != nil {
				t.Fatal(err)
			}
			if len(p.TensorContent) != 0 || !tc.check(p) {
				t.Fatalf("unexpected encoding: %v", p)
			}
		})
	}
}

func TestDecodeFitsATypedListToTheShapeAsFromProtoFieldDoes(t *testing.T) {
	shape := ShapeProto([]int64{2, 2})
	tests := []struct {
		name string
		p    *framework.TensorProto
		want []any
	}{
		{"short float pads with its last value", &framework.TensorProto{Dtype: Float, TensorShape: shape, FloatVal: []float32{1, 2}}, []any{float32(1), float32(2), float32(2), float32(2)}},
		{"empty list is zeros", &framework.TensorProto{Dtype: Int32, TensorShape: shape}, []any{int64(0), int64(0), int64(0), int64(0)}},
		{"one int64", &framework.TensorProto{Dtype: Int64, TensorShape: shape, Int64Val: []int64{-7}}, []any{int64(-7), int64(-7), int64(-7), int64(-7)}},
		{"bool", &framework.TensorProto{Dtype: Bool, TensorShape: shape, BoolVal: []bool{false, true}}, []any{false, true, true, true}},
		{"int8 truncates like static_cast", &framework.TensorProto{Dtype: Int8, TensorShape: shape, IntVal: []int32{257, -129}}, []any{int64(1), int64(127), int64(127), int64(127)}},
		{"longer float keeps the first values", &framework.TensorProto{Dtype: Float, TensorShape: shape, FloatVal: []float32{1, 2, 3, 4, 5, 6}}, []any{float32(1), float32(2), float32(3), float32(4)}},
		{"longer int64 keeps the first values", &framework.TensorProto{Dtype: Int64, TensorShape: shape, Int64Val: []int64{-1, -2, -3, -4, -5}}, []any{int64(-1), int64(-2), int64(-3), int64(-4)}},
		{"longer half keeps the first values", &framework.TensorProto{Dtype: Half, TensorShape: shape, HalfVal: []int32{0x3c00, 0x4000, 0x4200, 0x4400, 0x7c00}}, []any{float32(1), float32(2), float32(3), float32(4)}},
		{"longer complex64 keeps the first pairs", &framework.TensorProto{Dtype: Complex64, TensorShape: shape, ScomplexVal: []float32{1, -1, 2, -2, 3, -3, 4, -4, 5, -5}}, []any{complex64(complex(1, -1)), complex64(complex(2, -2)), complex64(complex(3, -3)), complex64(complex(4, -4))}},
		{"odd complex list drops the half pair", &framework.TensorProto{Dtype: Complex128, TensorShape: shape, DcomplexVal: []float64{1, -1, 2}}, []any{complex(1, -1), complex(1, -1), complex(1, -1), complex(1, -1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != len(tc.want) {
				t.Fatalf("decoded %d elements, want %d", got.Len(), len(tc.want))
			}
			for i, w := range tc.want {
				if v := got.Value(i); v != w {
					t.Fatalf("element %d = %v (%T), want %v (%T)", i, v, v, w, w)
				}
			}
		})
	}
}

func TestDecodeKeepsTheFirstStringsOfALongerList(t *testing.T) {
	p := &framework.TensorProto{Dtype: String, TensorShape: ShapeProto([]int64{2}), StringVal: [][]byte{[]byte("a"), {0xff}, []byte("c")}}
	got, err := Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Strings) != 2 || string(got.Strings[0]) != "a" || !bytes.Equal(got.Strings[1], []byte{0xff}) {
		t.Fatalf("got %q, want [\"a\" \"\\xff\"]", got.Strings)
	}
}

func TestDecodePadsStringsAndKeepsNonUTF8Bytes(t *testing.T) {
	p := &framework.TensorProto{Dtype: String, TensorShape: ShapeProto([]int64{3}), StringVal: [][]byte{{0xff}, {0xc3, 0x28}}}
	got, err := Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{{0xff}, {0xc3, 0x28}, {0xc3, 0x28}}
	for i := range want {
		if !bytes.Equal(got.Strings[i], want[i]) {
			t.Fatalf("element %d = %x, want %x", i, got.Strings[i], want[i])
		}
	}
	empty, err := Decode(&framework.TensorProto{Dtype: String, TensorShape: ShapeProto([]int64{2})})
	if err != nil || len(empty.Strings) != 2 || len(empty.Strings[0]) != 0 {
		t.Fatalf("empty string list: %v %v", empty, err)
	}
}

func TestDecodeReadsStringTensorContent(t *testing.T) {
	// EncodeStringList: varint lengths first, then the bytes.
	content := []byte{0, 3, 1, 'a', 'b', 'c', 0xff}
	got, err := Decode(&framework.TensorProto{Dtype: String, TensorShape: ShapeProto([]int64{3}), TensorContent: content})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Strings[0]) != 0 || string(got.Strings[1]) != "abc" || !bytes.Equal(got.Strings[2], []byte{0xff}) {
		t.Fatalf("got %q", got.Strings)
	}
}

func TestDecodeRejectsBadTensorsWithInvalidArgument(t *testing.T) {
	tests := []struct {
		name string
		p    *framework.TensorProto
	}{
		{"content shorter than shape", &framework.TensorProto{Dtype: Float, TensorShape: ShapeProto([]int64{2}), TensorContent: make([]byte, 7)}},
		{"content longer than shape", &framework.TensorProto{Dtype: Float, TensorShape: ShapeProto([]int64{2}), TensorContent: make([]byte, 12)}},
		{"content for zero elements", &framework.TensorProto{Dtype: Int8, TensorShape: ShapeProto([]int64{0}), TensorContent: []byte{1}}},
		{"negative dimension", &framework.TensorProto{Dtype: Float, TensorShape: ShapeProto([]int64{-1})}},
		{"unknown rank", &framework.TensorProto{Dtype: Float, TensorShape: &framework.TensorShapeProto{UnknownRank: true}}},
		{"absurd element count", &framework.TensorProto{Dtype: Float, TensorShape: ShapeProto([]int64{1 << 20, 1 << 20, 1 << 20}), FloatVal: []float32{1}}},
		{"absurd byte count", &framework.TensorProto{Dtype: Complex128, TensorShape: ShapeProto([]int64{1 << 30})}},
		{"overflowing shape", &framework.TensorProto{Dtype: Int8, TensorShape: ShapeProto([]int64{1 << 62, 4, 0})}},
		{"unsupported dtype", &framework.TensorProto{Dtype: framework.DataType_DT_RESOURCE, TensorShape: ShapeProto(nil)}},
		{"invalid dtype", &framework.TensorProto{TensorShape: ShapeProto(nil)}},
		{"string content with a bad length", &framework.TensorProto{Dtype: String, TensorShape: ShapeProto([]int64{1}), TensorContent: []byte{5, 'a'}}},
		{"string content with a truncated varint", &framework.TensorProto{Dtype: String, TensorShape: ShapeProto([]int64{1}), TensorContent: []byte{0x80}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.p)
			if status.CodeOf(err) != status.InvalidArgument {
				t.Fatalf("got %v, want INVALID_ARGUMENT", err)
			}
		})
	}
}

func TestDecodeAcceptsZeroElementTensors(t *testing.T) {
	got, err := Decode(&framework.TensorProto{Dtype: Float, TensorShape: ShapeProto([]int64{0, 1 << 40})})
	if err != nil || got.Len() != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestDecodeScalar(t *testing.T) {
	got, err := Decode(&framework.TensorProto{Dtype: Double, DoubleVal: []float64{2.5}})
	if err != nil || len(got.Shape) != 0 || got.Value(0) != 2.5 {
		t.Fatalf("got %v, %v", got, err)
	}
}

// FuzzDecodeTensor feeds arbitrary TensorProto bytes to the decoder: it must
// never panic, and whatever it accepts must survive both encodings unchanged.
func FuzzDecodeTensor(f *testing.F) {
	for _, p := range []*framework.TensorProto{
		{Dtype: Float, TensorShape: ShapeProto([]int64{2, 2}), FloatVal: []float32{1, float32(math.NaN())}},
		{Dtype: String, TensorShape: ShapeProto([]int64{2}), StringVal: [][]byte{{0xff}, {}}},
		{Dtype: String, TensorShape: ShapeProto([]int64{2}), TensorContent: []byte{1, 0, 'a'}},
		{Dtype: Half, TensorShape: ShapeProto([]int64{3}), HalfVal: []int32{0x7e00, 0x8000}},
		{Dtype: Int64, TensorShape: ShapeProto([]int64{1, 1}), TensorContent: make([]byte, 8)},
		{Dtype: Complex64, TensorShape: ShapeProto([]int64{2}), ScomplexVal: []float32{1, 2, 3}},
	} {
		b, err := proto.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	limits := Limits{MaxElements: 1 << 16, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p framework.TensorProto
		if proto.Unmarshal(data, &p) != nil {
			return
		}
		got, err := DecodeWithLimits(&p, limits)
		if err != nil {
			if status.CodeOf(err) != status.InvalidArgument {
				t.Fatalf("error without INVALID_ARGUMENT: %v", err)
			}
			return
		}
		for _, encode := range []func(*Tensor) (*framework.TensorProto, error){Encode, EncodeContent} {
			q, err := encode(got)
			if err != nil {
				t.Fatalf("cannot re-encode an accepted tensor: %v", err)
			}
			again, err := Decode(q)
			if err != nil {
				t.Fatalf("cannot decode a re-encoded tensor: %v", err)
			}
			if !sameTensor(got, again) {
				t.Fatalf("re-encoding changed the tensor")
			}
		}
	})
}

func TestDecodeSharedKeepsTheContentBytesAndDecodeCopiesThem(t *testing.T) {
	p := &framework.TensorProto{Dtype: framework.DataType_DT_INT32, TensorContent: []byte{1, 0, 0, 0, 2, 0, 0, 0},
		TensorShape: ShapeProto([]int64{2})}
	shared, err := DecodeShared(p)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	p.TensorContent[0] = 9
	if shared.Value(0) != int64(9) || copied.Value(0) != int64(1) || shared.Value(1) != int64(2) {
		t.Fatalf("shared %v, copied %v", shared.Value(0), copied.Value(0))
	}
}

func TestDecodeReusingFillsScratchAsDecodeFillsNewMemory(t *testing.T) {
	dirty := func(n int) []byte { return bytes.Repeat([]byte{0xff}, n) }
	shape := ShapeProto([]int64{4})
	for _, p := range []*framework.TensorProto{
		{Dtype: framework.DataType_DT_BOOL, TensorShape: shape, BoolVal: []bool{true, false}},  // false bytes and padding
		{Dtype: framework.DataType_DT_FLOAT, TensorShape: shape, FloatVal: []float32{1.5, -2}}, // padded with -2
		{Dtype: framework.DataType_DT_INT64, TensorShape: shape},                               // no values: zeros
	} {
		want, err := Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		scratch := dirty(64)
		got, err := DecodeReusing(p, scratch)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, want.Data) || &got.Data[0] != &scratch[0] {
			t.Errorf("%v: got % x (in scratch: %v), want % x", p.GetDtype(), got.Data, &got.Data[0] == &scratch[0], want.Data)
		}
		if small, err := DecodeReusing(p, dirty(1)); err != nil || !bytes.Equal(small.Data, want.Data) {
			t.Errorf("%v with a short scratch: got % x, want % x (%v)", p.GetDtype(), small.Data, want.Data, err)
		}
	}
	content := &framework.TensorProto{Dtype: framework.DataType_DT_INT32, TensorContent: []byte{1, 0, 0, 0}, TensorShape: ShapeProto([]int64{1})}
	got, err := DecodeReusing(content, dirty(64))
	if err != nil || &got.Data[0] != &content.TensorContent[0] {
		t.Fatalf("tensor_content is not shared: %v", err)
	}
}

func TestDecodeSharedIntoReusesTheShapeAndDecodesAsDecodeShared(t *testing.T) {
	matrix := &framework.TensorProto{Dtype: framework.DataType_DT_INT32, TensorContent: make([]byte, 24), TensorShape: ShapeProto([]int64{2, 3})}
	scalar := &framework.TensorProto{Dtype: framework.DataType_DT_FLOAT, FloatVal: []float32{1.5}, TensorShape: ShapeProto(nil)}
	var into Tensor
	for _, p := range []*framework.TensorProto{matrix, scalar, matrix} {
		want, err := DecodeShared(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := DecodeSharedInto(&into, p); err != nil {
			t.Fatal(err)
		}
		if into.DType != want.DType || !slices.Equal(into.Shape, want.Shape) || into.Shape == nil || !bytes.Equal(into.Data, want.Data) {
			t.Fatalf("%v: into %+v, want %+v", p.GetTensorShape(), into, want)
		}
	}
	shape := &into.Shape[0]
	if err := DecodeSharedInto(&into, matrix); err != nil || &into.Shape[0] != shape {
		t.Fatalf("shape array not reused (%v)", err)
	}
	bad := &framework.TensorProto{Dtype: framework.DataType_DT_INT32, TensorContent: []byte{1}, TensorShape: ShapeProto([]int64{2})}
	if err := DecodeSharedInto(&into, bad); status.CodeOf(err) != status.InvalidArgument {
		t.Fatalf("bad content: %v", err)
	}
}

func TestEncodeIntoAnswersAsEncodeWhateverTheMessageHeld(t *testing.T) {
	edges := edgeTensors(t)
	// Every dtype, encoded into one message in turn, after a message of
	// fields Encode never writes and of a higher rank.
	p := &framework.TensorProto{
		Dtype: framework.DataType_DT_INT32, TensorContent: []byte{1, 2, 3, 4}, VersionNumber: 7,
		TensorShape: &framework.TensorShapeProto{Dim: []*framework.TensorShapeProto_Dim{{Size: 1, Name: "b"}, {Size: 1}, {Size: 1}, {Size: 1}, {Size: 1}}, UnknownRank: true},
	}
	marshal := proto.MarshalOptions{Deterministic: true}
	for _, round := range []string{"first", "again"} {
		for _, d := range DTypes() {
			want, err := Encode(edges[d])
			if err != nil {
				t.Fatal(err)
			}
			if err := EncodeInto(p, edges[d]); err != nil {
				t.Fatal(err)
			}
			wantBytes, _ := marshal.Marshal(want)
			gotBytes, _ := marshal.Marshal(p)
			if !proto.Equal(p, want) || !bytes.Equal(gotBytes, wantBytes) {
				t.Fatalf("%s, %s: EncodeInto gave %v, Encode %v", round, Name(d), p, want)
			}
		}
	}
	before := proto.Clone(p)
	bad := &Tensor{DType: Float, Shape: []int64{3}, Data: make([]byte, 4)}
	if err := EncodeInto(p, bad); status.CodeOf(err) != status.InvalidArgument || !proto.Equal(p, before) {
		t.Fatalf("a short tensor: %v, and the message became %v", err, p)
	}
}

func TestEncodeIntoTheSameShapeAllocatesNothing(t *testing.T) {
	edges := edgeTensors(t)
	matrix := &Tensor{DType: Float, Shape: []int64{1, 10}, Data: make([]byte, 40)}
	for _, v := range []*Tensor{matrix, edges[Int64], edges[String]} {
		p := &framework.TensorProto{}
		if err := EncodeInto(p, v); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if err := EncodeInto(p, v); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.0f allocations per EncodeInto, want 0", Name(v.DType), allocs)
		}
	}
}
