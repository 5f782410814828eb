package oip

import (
	"encoding/binary"
	"math"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// FromRaw reads one tensor's raw contents (raw_input_contents or
// raw_output_contents) as a flat tensor of dtype d: elements little-endian in
// their native size, BYTES as a 4-byte little-endian length before each
// element. The element count is what the bytes hold; the caller compares it
// with the shape. INVALID_ARGUMENT when the bytes cannot be split into d's
// elements.
func FromRaw(name string, d tensor.DType, raw []byte) (*tensor.Tensor, error) {
	if d == tensor.String {
		var elems [][]byte
		for rest := raw; len(rest) > 0; {
			if len(rest) < 4 {
				return nil, status.Errorf(status.InvalidArgument, "raw contents of BYTES tensor %s end inside a length prefix", name)
			}
			n := binary.LittleEndian.Uint32(rest)
			if uint64(n) > uint64(len(rest)-4) {
				return nil, status.Errorf(status.InvalidArgument, "raw contents of BYTES tensor %s: element %d claims %d bytes, %d remain", name, len(elems), n, len(rest)-4)
			}
			elems = append(elems, rest[4:4+n:4+n])
			rest = rest[4+n:]
		}
		return &tensor.Tensor{DType: d, Shape: []int64{int64(len(elems))}, Strings: elems}, nil
	}
	size := tensor.ElementSize(d)
	if size == 0 {
		return nil, status.Errorf(status.InvalidArgument, "tensor %s: dtype %s has no raw form", name, tensor.Name(d))
	}
	if len(raw)%size != 0 {
		dt, _ := Datatype(d)
		return nil, status.Errorf(status.InvalidArgument, "raw contents of %s tensor %s hold %d bytes, not a multiple of %d", dt, name, len(raw), size)
	}
	return &tensor.Tensor{DType: d, Shape: []int64{int64(len(raw) / size)}, Data: append([]byte(nil), raw...)}, nil
}

// ToRaw is t's raw contents, the inverse of FromRaw.
func ToRaw(t *tensor.Tensor) []byte {
	if t.DType != tensor.String {
		return append([]byte(nil), t.Data...)
	}
	size := 0
	for _, s := range t.Strings {
		size += 4 + len(s)
	}
	out := make([]byte, 0, size)
	for _, s := range t.Strings {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(s)))
		out = append(out, s...)
	}
	return out
}

// ToContents is t's elements in the typed field of its dtype: int_contents
// for INT8..INT32, uint_contents for UINT8..UINT32, int64_contents,
// uint64_contents, fp32_contents, fp64_contents, bool_contents,
// bytes_contents. UNIMPLEMENTED for FP16 and BF16, which have no typed field,
// and for dtypes v2 does not carry.
func ToContents(t *tensor.Tensor) (*inference.InferTensorContents, error) {
	n := t.Len()
	c := &inference.InferTensorContents{}
	le := binary.LittleEndian
	switch t.DType {
	case tensor.Bool:
		c.BoolContents = make([]bool, n)
		for i := range n {
			c.BoolContents[i] = t.Data[i] != 0
		}
	case tensor.Int8, tensor.Int16, tensor.Int32:
		c.IntContents = make([]int32, n)
		for i := range n {
			c.IntContents[i] = int32(t.Value(i).(int64))
		}
	case tensor.Int64:
		c.Int64Contents = make([]int64, n)
		for i := range n {
			c.Int64Contents[i] = int64(le.Uint64(t.Data[8*i:]))
		}
	case tensor.Uint8, tensor.Uint16, tensor.Uint32:
		c.UintContents = make([]uint32, n)
		for i := range n {
			c.UintContents[i] = uint32(t.Value(i).(uint64))
		}
	case tensor.Uint64:
		c.Uint64Contents = make([]uint64, n)
		for i := range n {
			c.Uint64Contents[i] = le.Uint64(t.Data[8*i:])
		}
	case tensor.Float:
		c.Fp32Contents = make([]float32, n)
		for i := range n {
			c.Fp32Contents[i] = math.Float32frombits(le.Uint32(t.Data[4*i:]))
		}
	case tensor.Double:
		c.Fp64Contents = make([]float64, n)
		for i := range n {
			c.Fp64Contents[i] = math.Float64frombits(le.Uint64(t.Data[8*i:]))
		}
	case tensor.String:
		c.BytesContents = make([][]byte, n)
		copy(c.BytesContents, t.Strings)
	default:
		return nil, status.Errorf(status.Unimplemented, "%s tensors have no typed v2 contents", tensor.Name(t.DType))
	}
	return c, nil
}

// FromContents reads one tensor's typed contents as a flat tensor of dtype
// d, from d's field (ContentField), as many elements as it holds; values
// beyond a narrow dtype are cut as a C++ static_cast cuts them.
// INVALID_ARGUMENT when another field holds values, or d has no typed field.
func FromContents(name string, d tensor.DType, c *inference.InferTensorContents) (*tensor.Tensor, error) {
	want := ContentField(d)
	fields := ContentFields(c)
	if want == "" && len(fields) > 0 || len(fields) > 1 || len(fields) == 1 && fields[0] != want {
		return nil, status.Errorf(status.InvalidArgument, "tensor %s of dtype %s carries %v", name, tensor.Name(d), fields)
	}
	var n int
	switch want {
	case "bool_contents":
		n = len(c.GetBoolContents())
	case "int_contents":
		n = len(c.GetIntContents())
	case "int64_contents":
		n = len(c.GetInt64Contents())
	case "uint_contents":
		n = len(c.GetUintContents())
	case "uint64_contents":
		n = len(c.GetUint64Contents())
	case "fp32_contents":
		n = len(c.GetFp32Contents())
	case "fp64_contents":
		n = len(c.GetFp64Contents())
	case "bytes_contents":
		return &tensor.Tensor{DType: d, Shape: []int64{int64(len(c.GetBytesContents()))}, Strings: append([][]byte(nil), c.GetBytesContents()...)}, nil
	}
	t, err := tensor.New(d, []int64{int64(n)})
	if err != nil {
		return nil, err
	}
	for i := range n {
		switch want {
		case "bool_contents":
			if c.BoolContents[i] {
				t.SetInt(i, 1)
			}
		case "int_contents":
			t.SetInt(i, int64(c.IntContents[i]))
		case "int64_contents":
			t.SetInt(i, c.Int64Contents[i])
		case "uint_contents":
			t.SetInt(i, int64(c.UintContents[i]))
		case "uint64_contents":
			t.SetInt(i, int64(c.Uint64Contents[i]))
		case "fp32_contents":
			t.SetFloat(i, float64(c.Fp32Contents[i]))
		case "fp64_contents":
			t.SetFloat(i, c.Fp64Contents[i])
		}
	}
	return t, nil
}

// ContentFields names the fields of c that hold values, in field order.
func ContentFields(c *inference.InferTensorContents) []string {
	var set []string
	for _, f := range []struct {
		name string
		n    int
	}{
		{"bool_contents", len(c.GetBoolContents())},
		{"int_contents", len(c.GetIntContents())},
		{"int64_contents", len(c.GetInt64Contents())},
		{"uint_contents", len(c.GetUintContents())},
		{"uint64_contents", len(c.GetUint64Contents())},
		{"fp32_contents", len(c.GetFp32Contents())},
		{"fp64_contents", len(c.GetFp64Contents())},
		{"bytes_contents", len(c.GetBytesContents())},
	} {
		if f.n > 0 {
			set = append(set, f.name)
		}
	}
	return set
}

// ContentField is the name of the typed field that carries d ("" for FP16,
// BF16 and dtypes v2 does not carry).
func ContentField(d tensor.DType) string {
	switch d {
	case tensor.Bool:
		return "bool_contents"
	case tensor.Int8, tensor.Int16, tensor.Int32:
		return "int_contents"
	case tensor.Int64:
		return "int64_contents"
	case tensor.Uint8, tensor.Uint16, tensor.Uint32:
		return "uint_contents"
	case tensor.Uint64:
		return "uint64_contents"
	case tensor.Float:
		return "fp32_contents"
	case tensor.Double:
		return "fp64_contents"
	case tensor.String:
		return "bytes_contents"
	}
	return ""
}
