package tensor

import (
	"encoding/binary"
	"math"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
)

// Limits bound what a decoded tensor may allocate.
type Limits struct {
	MaxElements int64
	MaxBytes    int64
}

// DefaultLimits are the limits Decode applies.
var DefaultLimits = Limits{MaxElements: MaxElements, MaxBytes: MaxBytes}

// Decode converts p as Tensor::FromProto does: tensor_content when present,
// else the dtype's typed field, of which it keeps the first n values (n the
// shape's element count) and pads a short list with its last value (zeros
// when empty). INVALID_ARGUMENT when the dtype is not carried, the shape is
// bad or too large, or the content does not match the shape.
func Decode(p *framework.TensorProto) (*Tensor, error) {
	return DecodeWithLimits(p, DefaultLimits)
}

// DecodeShared is Decode, except that a tensor decoded from tensor_content
// keeps p's bytes as its Data instead of a copy: for a caller that only reads
// the value while p lives (the in-process run copies it into a TF_Tensor).
func DecodeShared(p *framework.TensorProto) (*Tensor, error) {
	return decode(p, DefaultLimits, true, nil)
}

// DecodeSharedInto is DecodeShared into t, whose Shape array it reuses: for a
// caller that decodes request after request into Tensors of its own (the
// in-process transport, which allocates nothing for a request's inputs). On
// error t is left in no useful state.
func DecodeSharedInto(t *Tensor, p *framework.TensorProto) error {
	*t = Tensor{Shape: t.Shape[:0]}
	return decodeInto(t, p, DefaultLimits, true, nil)
}

// DecodeReusing is DecodeShared, except that a tensor decoded from a typed
// field keeps its Data in scratch's array when it is large enough, instead of
// a new one: for a caller that reuses scratch only once done with the tensor
// (the REST body writer, which writes hundreds of kilobytes per batch).
func DecodeReusing(p *framework.TensorProto, scratch []byte) (*Tensor, error) {
	return decode(p, DefaultLimits, true, scratch)
}

// DecodeWithLimits is Decode with explicit size limits.
func DecodeWithLimits(p *framework.TensorProto, lim Limits) (*Tensor, error) {
	return decode(p, lim, false, nil)
}

func decode(p *framework.TensorProto, lim Limits, shared bool, scratch []byte) (*Tensor, error) {
	t := &Tensor{}
	if err := decodeInto(t, p, lim, shared, scratch); err != nil {
		return nil, err
	}
	return t, nil
}

// decodeInto decodes p into t, a zero Tensor but for the Shape array it may
// reuse.
func decodeInto(t *Tensor, p *framework.TensorProto, lim Limits, shared bool, scratch []byte) error {
	d := p.GetDtype()
	if err := checkDType(d); err != nil {
		return err
	}
	shape, err := shapeOf(t.Shape[:0], p.GetTensorShape())
	if err != nil {
		return err
	}
	n, err := NumElements(shape, lim.MaxElements)
	if err != nil {
		return err
	}
	t.DType, t.Shape = d, shape
	if d == String {
		return decodeStrings(t, p, n)
	}
	size := int64(ElementSize(d))
	if n*size > lim.MaxBytes {
		return invalidf("%s tensor of shape %v needs more than %d bytes", Name(d), shape, lim.MaxBytes)
	}
	if content := p.GetTensorContent(); len(content) > 0 {
		if int64(len(content)) != n*size {
			return invalidf("tensor_content holds %d bytes but %s%v needs %d", len(content), Name(d), shape, n*size)
		}
		if shared {
			t.Data = content
		} else {
			t.Data = append([]byte(nil), content...)
		}
		return nil
	}
	// FromProtoField copies min(count, n) values: a longer list is served
	// truncated, not refused.
	count := min(typedCount(p, d), n)
	if int64(cap(scratch)) >= n*size {
		t.Data = scratch[:n*size]
		clear(t.Data) // fillTyped writes only true bools
	} else {
		t.Data = make([]byte, n*size)
	}
	if n == 0 || count == 0 {
		return nil // zeros, as FromProtoField fills T()
	}
	fillTyped(t, p, count)
	// Pad with the last value given.
	last := t.Data[(count-1)*size : count*size]
	for i := count; i < n; i++ {
		copy(t.Data[i*size:], last)
	}
	return nil
}

// shapeOf appends the dimensions of s to buf; a nil buf gets an array of
// their number (a scalar's shape is empty, not nil).
func shapeOf(buf []int64, s *framework.TensorShapeProto) ([]int64, error) {
	if s.GetUnknownRank() {
		return nil, invalidf("tensor shape has unknown rank")
	}
	if buf == nil {
		buf = make([]int64, 0, len(s.GetDim()))
	}
	for _, dim := range s.GetDim() {
		buf = append(buf, dim.GetSize())
	}
	return buf, nil
}

// typedCount is how many elements the dtype's typed field holds
// (ProtoHelper<T>::NumElements: complex fields hold pairs).
func typedCount(p *framework.TensorProto, d DType) int64 {
	switch d {
	case Float:
		return int64(len(p.GetFloatVal()))
	case Double:
		return int64(len(p.GetDoubleVal()))
	case Half, BFloat16:
		return int64(len(p.GetHalfVal()))
	case Int8, Int16, Int32, Uint8, Uint16:
		return int64(len(p.GetIntVal()))
	case Int64:
		return int64(len(p.GetInt64Val()))
	case Uint32:
		return int64(len(p.GetUint32Val()))
	case Uint64:
		return int64(len(p.GetUint64Val()))
	case Bool:
		return int64(len(p.GetBoolVal()))
	case Complex64:
		return int64(len(p.GetScomplexVal()) / 2)
	case Complex128:
		return int64(len(p.GetDcomplexVal()) / 2)
	}
	return 0
}

// fillTyped writes the first count typed values into t.Data, converting like
// a C++ static_cast from the proto field's type.
func fillTyped(t *Tensor, p *framework.TensorProto, count int64) {
	le := binary.LittleEndian
	b := t.Data
	switch t.DType {
	case Float:
		for i, v := range p.GetFloatVal()[:count] {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case Double:
		for i, v := range p.GetDoubleVal()[:count] {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case Half, BFloat16:
		for i, v := range p.GetHalfVal()[:count] {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case Int8, Uint8:
		for i, v := range p.GetIntVal()[:count] {
			b[i] = byte(v)
		}
	case Int16, Uint16:
		for i, v := range p.GetIntVal()[:count] {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case Int32:
		for i, v := range p.GetIntVal()[:count] {
			le.PutUint32(b[4*i:], uint32(v))
		}
	case Int64:
		for i, v := range p.GetInt64Val()[:count] {
			le.PutUint64(b[8*i:], uint64(v))
		}
	case Uint32:
		for i, v := range p.GetUint32Val()[:count] {
			le.PutUint32(b[4*i:], v)
		}
	case Uint64:
		for i, v := range p.GetUint64Val()[:count] {
			le.PutUint64(b[8*i:], v)
		}
	case Bool:
		for i, v := range p.GetBoolVal()[:count] {
			if v {
				b[i] = 1
			}
		}
	case Complex64:
		for i, v := range p.GetScomplexVal()[:2*count] {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case Complex128:
		for i, v := range p.GetDcomplexVal()[:2*count] {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	}
}

// decodeStrings reads string_val (truncated and padded like the numeric
// fields) or a tensor_content in TensorFlow's EncodeStringList layout (n
// varint32 lengths, then the bytes).
func decodeStrings(t *Tensor, p *framework.TensorProto, n int64) error {
	if content := p.GetTensorContent(); len(content) > 0 {
		if n > int64(len(content)) {
			return invalidf("string tensor_content of %d bytes cannot hold %d elements", len(content), n)
		}
		lengths := make([]uint64, n)
		rest := content
		var total uint64
		for i := range lengths {
			v, k := binary.Uvarint(rest)
			if k <= 0 || v > math.MaxUint32 {
				return invalidf("string tensor_content has a bad length prefix at element %d", i)
			}
			lengths[i] = v
			total += v
			rest = rest[k:]
		}
		if total != uint64(len(rest)) {
			return invalidf("string tensor_content holds %d bytes of data, its lengths add up to %d", len(rest), total)
		}
		t.Strings = make([][]byte, n)
		for i, l := range lengths {
			t.Strings[i] = append([]byte{}, rest[:l]...)
			rest = rest[l:]
		}
		return nil
	}
	vals := p.GetStringVal()
	if int64(len(vals)) > n {
		vals = vals[:n]
	}
	t.Strings = make([][]byte, n)
	for i := range t.Strings {
		switch {
		case i < len(vals):
			t.Strings[i] = append([]byte{}, vals[i]...)
		case len(vals) > 0:
			t.Strings[i] = t.Strings[len(vals)-1]
		default:
			t.Strings[i] = []byte{}
		}
	}
	return nil
}

// Encode writes t in the typed field Tensor::AsProtoField uses for its dtype
// (half and bfloat16 as bit patterns in half_val; int8/16, uint8/16 in int_val).
func Encode(t *Tensor) (*framework.TensorProto, error) {
	if err := checkEncodable(t); err != nil {
		return nil, err
	}
	p := newTensorProto(t.DType, t.Shape)
	fillValues(p, t, &typedValues{})
	return p, nil
}

// EncodeInto is Encode into p, whatever p held before: p ends as Encode's
// message would be, field for field, but keeps the arrays of its shape and
// of the typed field t's dtype uses, so that a caller encoding output after
// output of one shape into the same message allocates nothing (the
// in-process transport's callers). On error p is unchanged.
func EncodeInto(p *framework.TensorProto, t *Tensor) error {
	if err := checkEncodable(t); err != nil {
		return err
	}
	prev := typedValues{
		float: p.FloatVal, double: p.DoubleVal, half: p.HalfVal, int32: p.IntVal, int64: p.Int64Val,
		uint32: p.Uint32Val, uint64: p.Uint64Val, bools: p.BoolVal, strings: p.StringVal,
		scomplex: p.ScomplexVal, dcomplex: p.DcomplexVal,
	}
	shape := p.TensorShape
	*p = framework.TensorProto{Dtype: t.DType, TensorShape: shapeInto(shape, t.Shape)}
	fillValues(p, t, &prev)
	return nil
}

// checkEncodable is INVALID_ARGUMENT when t's dtype cannot be carried or its
// values do not fill its shape.
func checkEncodable(t *Tensor) error {
	if err := checkDType(t.DType); err != nil {
		return err
	}
	if want, err := NumElements(t.Shape, math.MaxInt64); err != nil || want != int64(t.Len()) {
		return invalidf("%s tensor of shape %v has %d elements", Name(t.DType), t.Shape, t.Len())
	}
	return nil
}

// typedValues are the arrays of a TensorProto's typed fields that fillValues
// may fill again instead of allocating (all nil for a new message).
type typedValues struct {
	float, scomplex  []float32
	double, dcomplex []float64
	half, int32      []int32
	int64            []int64
	uint32           []uint32
	uint64           []uint64
	bools            []bool
	strings          [][]byte
}

// sized is s resliced to n elements when it can hold them, else a new array.
func sized[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// fillValues writes t's values into p's typed field for t's dtype, in the
// array prev holds for it when that is large enough; p has no values yet.
func fillValues(p *framework.TensorProto, t *Tensor, prev *typedValues) {
	n := t.Len()
	le := binary.LittleEndian
	b := t.Data
	switch t.DType {
	case Float:
		p.FloatVal = sized(prev.float, n)
		for i := range p.FloatVal {
			p.FloatVal[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case Double:
		p.DoubleVal = sized(prev.double, n)
		for i := range p.DoubleVal {
			p.DoubleVal[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	case Half, BFloat16:
		p.HalfVal = sized(prev.half, n)
		for i := range p.HalfVal {
			p.HalfVal[i] = int32(le.Uint16(b[2*i:]))
		}
	case Int8:
		p.IntVal = sized(prev.int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(int8(b[i]))
		}
	case Uint8:
		p.IntVal = sized(prev.int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(b[i])
		}
	case Int16:
		p.IntVal = sized(prev.int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(int16(le.Uint16(b[2*i:])))
		}
	case Uint16:
		p.IntVal = sized(prev.int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(le.Uint16(b[2*i:]))
		}
	case Int32:
		p.IntVal = sized(prev.int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(le.Uint32(b[4*i:]))
		}
	case Int64:
		p.Int64Val = sized(prev.int64, n)
		for i := range p.Int64Val {
			p.Int64Val[i] = int64(le.Uint64(b[8*i:]))
		}
	case Uint32:
		p.Uint32Val = sized(prev.uint32, n)
		for i := range p.Uint32Val {
			p.Uint32Val[i] = le.Uint32(b[4*i:])
		}
	case Uint64:
		p.Uint64Val = sized(prev.uint64, n)
		for i := range p.Uint64Val {
			p.Uint64Val[i] = le.Uint64(b[8*i:])
		}
	case Bool:
		p.BoolVal = sized(prev.bools, n)
		for i := range p.BoolVal {
			p.BoolVal[i] = b[i] != 0
		}
	case String:
		// Each element is a copy of its own (of the previous one's array
		// when it is large enough): the message never shares t's bytes.
		p.StringVal = sized(prev.strings, n)
		for i, s := range t.Strings {
			p.StringVal[i] = append(p.StringVal[i][:0], s...)
			if p.StringVal[i] == nil {
				p.StringVal[i] = []byte{}
			}
		}
	case Complex64:
		p.ScomplexVal = sized(prev.scomplex, 2*n)
		for i := range p.ScomplexVal {
			p.ScomplexVal[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case Complex128:
		p.DcomplexVal = sized(prev.dcomplex, 2*n)
		for i := range p.DcomplexVal {
			p.DcomplexVal[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	}
}

// EncodeContent writes t as tensor_content (AsProtoTensorContent), the form
// clients use for large requests. Strings use EncodeStringList's layout.
func EncodeContent(t *Tensor) (*framework.TensorProto, error) {
	if err := checkDType(t.DType); err != nil {
		return nil, err
	}
	p := &framework.TensorProto{Dtype: t.DType, TensorShape: ShapeProto(t.Shape)}
	if t.DType != String {
		p.TensorContent = append([]byte(nil), t.Data...)
		return p, nil
	}
	var buf []byte
	for _, s := range t.Strings {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
	}
	for _, s := range t.Strings {
		buf = append(buf, s...)
	}
	p.TensorContent = buf
	return p, nil
}

// encodedTensor is a TensorProto and its shape, of rank up to 4, in one
// allocation.
type encodedTensor struct {
	p     framework.TensorProto
	shape framework.TensorShapeProto
	dims  [4]framework.TensorShapeProto_Dim
	ptrs  [4]*framework.TensorShapeProto_Dim
}

// newTensorProto is a TensorProto of dtype d and shape, nothing else set.
func newTensorProto(d DType, shape []int64) *framework.TensorProto {
	if len(shape) > 4 {
		return &framework.TensorProto{Dtype: d, TensorShape: ShapeProto(shape)}
	}
	e := &encodedTensor{}
	e.p.Dtype, e.p.TensorShape = d, &e.shape
	if len(shape) > 0 {
		for i, d := range shape {
			e.dims[i].Size = d
			e.ptrs[i] = &e.dims[i]
		}
		e.shape.Dim = e.ptrs[:len(shape):len(shape)]
	}
	return &e.p
}

// shapeInto is s (a new one when nil) made the TensorShapeProto of shape:
// its dims, and its array of them, are reused.
func shapeInto(s *framework.TensorShapeProto, shape []int64) *framework.TensorShapeProto {
	if s == nil {
		return ShapeProto(shape)
	}
	spare := s.Dim[:cap(s.Dim)]
	*s = framework.TensorShapeProto{Dim: spare[:0]}
	for i, size := range shape {
		if i < len(spare) && spare[i] != nil {
			*spare[i] = framework.TensorShapeProto_Dim{Size: size}
			s.Dim = append(s.Dim, spare[i])
			continue
		}
		s.Dim = append(s.Dim, &framework.TensorShapeProto_Dim{Size: size})
	}
	return s
}

// ShapeProto is the TensorShapeProto of shape.
func ShapeProto(shape []int64) *framework.TensorShapeProto {
	s := &framework.TensorShapeProto{}
	if len(shape) == 0 {
		return s
	}
	// Two allocations whatever the rank: the dims live in one array.
	dims := make([]framework.TensorShapeProto_Dim, len(shape))
	s.Dim = make([]*framework.TensorShapeProto_Dim, len(shape))
	for i, d := range shape {
		dims[i].Size = d
		s.Dim[i] = &dims[i]
	}
	return s
}
