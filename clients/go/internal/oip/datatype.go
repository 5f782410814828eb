// Package oip converts the tensors of the Open Inference Protocol ("KServe
// v2", package inference): a datatype name, typed contents or raw
// little-endian bytes, to and from host tensors (internal/tensor), with the
// datatype table of docs/CONTRACT.md ("v2 transports").
package oip

import "tfinterop.dev/clients/go/internal/tensor"

// datatypes is the contract's mapping of v2 datatypes to TensorFlow dtypes.
var datatypes = []struct {
	name  string
	dtype tensor.DType
}{
	{"BOOL", tensor.Bool},
	{"UINT8", tensor.Uint8},
	{"UINT16", tensor.Uint16},
	{"UINT32", tensor.Uint32},
	{"UINT64", tensor.Uint64},
	{"INT8", tensor.Int8},
	{"INT16", tensor.Int16},
	{"INT32", tensor.Int32},
	{"INT64", tensor.Int64},
	{"FP16", tensor.Half},
	{"BF16", tensor.BFloat16},
	{"FP32", tensor.Float},
	{"FP64", tensor.Double},
	{"BYTES", tensor.String},
}

// DType is the TensorFlow dtype of a v2 datatype name; false for a name the
// protocol does not define.
func DType(datatype string) (tensor.DType, bool) {
	for _, d := range datatypes {
		if d.name == datatype {
			return d.dtype, true
		}
	}
	return 0, false
}

// Datatype is the v2 name of a TensorFlow dtype; false for dtypes v2 cannot
// carry (complex).
func Datatype(d tensor.DType) (string, bool) {
	for _, dt := range datatypes {
		if dt.dtype == d {
			return dt.name, true
		}
	}
	return "", false
}

// HasTypedContents reports whether InferTensorContents has a field for d:
// FP16 and BF16 have none and travel only as raw bytes.
func HasTypedContents(d tensor.DType) bool {
	return d != tensor.Half && d != tensor.BFloat16
}
