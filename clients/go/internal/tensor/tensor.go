package tensor

import (
	"encoding/binary"
	"math"
)

// Default limits: a hostile shape can claim 10^12 elements with a one-value
// proto (Tensor::FromProto pads), so sizes are checked before allocating.
const (
	MaxElements = 1 << 31
	MaxBytes    = 1 << 31
)

// Tensor is a dense host tensor. Numeric dtypes keep their elements in Data,
// little-endian, in TensorFlow's in-memory layout (half and bfloat16 as their
// 16-bit patterns, bool as one byte, complex as real/imag pairs); DT_STRING
// keeps one byte string per element in Strings.
type Tensor struct {
	DType   DType
	Shape   []int64
	Data    []byte
	Strings [][]byte
}

// New allocates a zero tensor; INVALID_ARGUMENT for a bad dtype or shape.
func New(d DType, shape []int64) (*Tensor, error) {
	if err := checkDType(d); err != nil {
		return nil, err
	}
	n, err := NumElements(shape, MaxElements)
	if err != nil {
		return nil, err
	}
	t := &Tensor{DType: d, Shape: append([]int64(nil), shape...)}
	if d == String {
		t.Strings = make([][]byte, n)
		return t, nil
	}
	if n*int64(ElementSize(d)) > MaxBytes {
		return nil, invalidf("%s tensor of shape %v needs more than %d bytes", Name(d), shape, int64(MaxBytes))
	}
	t.Data = make([]byte, n*int64(ElementSize(d)))
	return t, nil
}

// NumElements is the product of shape, checked: no negative dimension and at
// most limit elements.
func NumElements(shape []int64, limit int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, invalidf("tensor shape %v has a negative dimension", shape)
		}
		if d != 0 && n > limit/d {
			return 0, invalidf("tensor shape %v has more than %d elements", shape, limit)
		}
		n *= d
	}
	if n > limit {
		return 0, invalidf("tensor shape %v has more than %d elements", shape, limit)
	}
	return n, nil
}

// Len is the number of elements.
func (t *Tensor) Len() int {
	if t.DType == String {
		return len(t.Strings)
	}
	size := ElementSize(t.DType)
	if size == 0 {
		return 0
	}
	return len(t.Data) / size
}

// Value returns element i as a Go value: float32 (float, half, bfloat16),
// float64, int64 (signed integers), uint64 (unsigned), bool, []byte,
// complex64 or complex128.
func (t *Tensor) Value(i int) any {
	le := binary.LittleEndian
	switch t.DType {
	case Float:
		return math.Float32frombits(le.Uint32(t.Data[4*i:]))
	case Double:
		return math.Float64frombits(le.Uint64(t.Data[8*i:]))
	case Half:
		return HalfToFloat32(le.Uint16(t.Data[2*i:]))
	case BFloat16:
		return BFloat16ToFloat32(le.Uint16(t.Data[2*i:]))
	case Int8:
		return int64(int8(t.Data[i]))
	case Int16:
		return int64(int16(le.Uint16(t.Data[2*i:])))
	case Int32:
		return int64(int32(le.Uint32(t.Data[4*i:])))
	case Int64:
		return int64(le.Uint64(t.Data[8*i:]))
	case Uint8:
		return uint64(t.Data[i])
	case Uint16:
		return uint64(le.Uint16(t.Data[2*i:]))
	case Uint32:
		return uint64(le.Uint32(t.Data[4*i:]))
	case Uint64:
		return le.Uint64(t.Data[8*i:])
	case Bool:
		return t.Data[i] != 0
	case String:
		return t.Strings[i]
	case Complex64:
		return complex(math.Float32frombits(le.Uint32(t.Data[8*i:])), math.Float32frombits(le.Uint32(t.Data[8*i+4:])))
	case Complex128:
		return complex(math.Float64frombits(le.Uint64(t.Data[16*i:])), math.Float64frombits(le.Uint64(t.Data[16*i+8:])))
	}
	return nil
}

// SetFloat stores v, rounded to the dtype, at element i of a floating tensor.
func (t *Tensor) SetFloat(i int, v float64) {
	le := binary.LittleEndian
	switch t.DType {
	case Float:
		le.PutUint32(t.Data[4*i:], math.Float32bits(float32(v)))
	case Double:
		le.PutUint64(t.Data[8*i:], math.Float64bits(v))
	case Half:
		le.PutUint16(t.Data[2*i:], Float32ToHalf(float32(v)))
	case BFloat16:
		le.PutUint16(t.Data[2*i:], Float32ToBFloat16(float32(v)))
	}
}

// SetInt stores v, truncated like a C++ static_cast, at element i of an
// integer or bool tensor.
func (t *Tensor) SetInt(i int, v int64) {
	le := binary.LittleEndian
	switch t.DType {
	case Int8, Uint8:
		t.Data[i] = byte(v)
	case Int16, Uint16:
		le.PutUint16(t.Data[2*i:], uint16(v))
	case Int32, Uint32:
		le.PutUint32(t.Data[4*i:], uint32(v))
	case Int64, Uint64:
		le.PutUint64(t.Data[8*i:], uint64(v))
	case Bool:
		if v != 0 {
			t.Data[i] = 1
		} else {
			t.Data[i] = 0
		}
	}
}

// SetComplex stores v at element i of a complex tensor.
func (t *Tensor) SetComplex(i int, v complex128) {
	le := binary.LittleEndian
	switch t.DType {
	case Complex64:
		le.PutUint32(t.Data[8*i:], math.Float32bits(float32(real(v))))
		le.PutUint32(t.Data[8*i+4:], math.Float32bits(float32(imag(v))))
	case Complex128:
		le.PutUint64(t.Data[16*i:], math.Float64bits(real(v)))
		le.PutUint64(t.Data[16*i+8:], math.Float64bits(imag(v)))
	}
}
