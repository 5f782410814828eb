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
	if err := checkDType(t.DType); err != nil {
		return nil, err
	}
	p := newTensorProto(t.DType, t.Shape)
	n := t.Len()
	if want, err := NumElements(t.Shape, math.MaxInt64); err != nil || want != int64(n) {
		return nil, invalidf("%s tensor of shape %v has %d elements", Name(t.DType), t.Shape, n)
	}
	le := binary.LittleEndian
	b := t.Data
	switch t.DType {
	case Float:
		p.FloatVal = make([]float32, n)
		for i := range p.FloatVal {
			p.FloatVal[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case Double:
		p.DoubleVal = make([]float64, n)
		for i := range p.DoubleVal {
			p.DoubleVal[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	case Half, BFloat16:
		p.HalfVal = make([]int32, n)
		for i := range p.HalfVal {
			p.HalfVal[i] = int32(le.Uint16(b[2*i:]))
		}
	case Int8:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(int8(b[i]))
		}
	case Uint8:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(b[i])
		}
	case Int16:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(int16(le.Uint16(b[2*i:])))
		}
	case Uint16:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(le.Uint16(b[2*i:]))
		}
	case Int32:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(le.Uint32(b[4*i:]))
		}
	case Int64:
		p.Int64Val = make([]int64, n)
		for i := range p.Int64Val {
			p.Int64Val[i] = int64(le.Uint64(b[8*i:]))
		}
	case Uint32:
		p.Uint32Val = make([]uint32, n)
		for i := range p.Uint32Val {
			p.Uint32Val[i] = le.Uint32(b[4*i:])
		}
	case Uint64:
		p.Uint64Val = make([]uint64, n)
		for i := range p.Uint64Val {
			p.Uint64Val[i] = le.Uint64(b[8*i:])
		}
	case Bool:
		p.BoolVal = make([]bool, n)
		for i := range p.BoolVal {
			p.BoolVal[i] = b[i] != 0
		}
	case String:
		p.StringVal = make([][]byte, n)
		for i, s := range t.Strings {
			p.StringVal[i] = append([]byte{}, s...)
		}
	case Complex64:
		p.ScomplexVal = make([]float32, 2*n)
		for i := range p.ScomplexVal {
			p.ScomplexVal[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case Complex128:
		p.DcomplexVal = make([]float64, 2*n)
		for i := range p.DcomplexVal {
			p.DcomplexVal[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	}
	return p, nil
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
