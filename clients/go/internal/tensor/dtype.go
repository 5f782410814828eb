// Package tensor converts between tensorflow.TensorProto and a plain host
// tensor (shape plus little-endian element bytes, or byte strings) with the
// checks TensorFlow's Tensor::FromProto makes, and back with the typed fields
// Tensor::AsProtoField writes, as TF Serving answers.
package tensor

import (
	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	"tfinterop.dev/clients/go/internal/status"
)

// DType is TensorFlow's DataType enum.
type DType = framework.DataType

// The dtypes TF Serving carries.
const (
	Float      = framework.DataType_DT_FLOAT
	Double     = framework.DataType_DT_DOUBLE
	Half       = framework.DataType_DT_HALF
	BFloat16   = framework.DataType_DT_BFLOAT16
	Int8       = framework.DataType_DT_INT8
	Int16      = framework.DataType_DT_INT16
	Int32      = framework.DataType_DT_INT32
	Int64      = framework.DataType_DT_INT64
	Uint8      = framework.DataType_DT_UINT8
	Uint16     = framework.DataType_DT_UINT16
	Uint32     = framework.DataType_DT_UINT32
	Uint64     = framework.DataType_DT_UINT64
	Bool       = framework.DataType_DT_BOOL
	String     = framework.DataType_DT_STRING
	Complex64  = framework.DataType_DT_COMPLEX64
	Complex128 = framework.DataType_DT_COMPLEX128
)

// dtypeInfo describes one supported dtype: TF's short name (as in "Expects
// arg[0] to be float") and the size of one element in host memory.
type dtypeInfo struct {
	name string
	size int // 0 for strings
}

var dtypes = map[DType]dtypeInfo{
	Float:      {"float", 4},
	Double:     {"double", 8},
	Half:       {"half", 2},
	BFloat16:   {"bfloat16", 2},
	Int8:       {"int8", 1},
	Int16:      {"int16", 2},
	Int32:      {"int32", 4},
	Int64:      {"int64", 8},
	Uint8:      {"uint8", 1},
	Uint16:     {"uint16", 2},
	Uint32:     {"uint32", 4},
	Uint64:     {"uint64", 8},
	Bool:       {"bool", 1},
	String:     {"string", 0},
	Complex64:  {"complex64", 8},
	Complex128: {"complex128", 16},
}

// Supported reports whether d is a dtype this codec converts.
func Supported(d DType) bool {
	_, ok := dtypes[d]
	return ok
}

// DTypes lists every supported dtype (for tests and capability reports).
func DTypes() []DType {
	return []DType{Float, Double, Half, BFloat16, Int8, Int16, Int32, Int64,
		Uint8, Uint16, Uint32, Uint64, Bool, String, Complex64, Complex128}
}

// Name is TensorFlow's short name of d ("float", "int64", ...), or the enum
// name for dtypes the codec does not carry.
func Name(d DType) string {
	if info, ok := dtypes[d]; ok {
		return info.name
	}
	return d.String()
}

// ElementSize is the bytes one element of d takes in host memory (0 for
// strings, which live in Tensor.Strings).
func ElementSize(d DType) int {
	return dtypes[d].size
}

func checkDType(d DType) error {
	if !Supported(d) {
		return invalidf("unsupported tensor dtype %s", d)
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return status.Errorf(status.InvalidArgument, format, args...)
}
