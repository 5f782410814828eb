package tfcapi

/*
#include <stdlib.h>
#include "tfapi.h"

// A graph "in" (Placeholder) -> "out" (op_type, one input, attr T) of one
// dtype, in a session.
static TF_Session* tfi_unary_session(const char* op_type, TF_DataType dtype, TF_Graph* g, TF_Status* st) {
	TF_OperationDescription* d = tfi_NewOperation(g, "Placeholder", "in");
	tfi_SetAttrType(d, "dtype", dtype);
	TF_Operation* in = tfi_FinishOperation(d, st);
	if (tfi_GetCode(st) != TF_OK) return NULL;
	d = tfi_NewOperation(g, op_type, "out");
	TF_Output input = {in, 0};
	tfi_AddInput(d, input);
	tfi_SetAttrType(d, "T", dtype);
	tfi_FinishOperation(d, st);
	if (tfi_GetCode(st) != TF_OK) return NULL;
	TF_SessionOptions* opts = tfi_NewSessionOptions();
	TF_Session* s = tfi_NewSession(g, opts, st);
	tfi_DeleteSessionOptions(opts);
	return s;
}
*/
import "C"

import (
	"unsafe"

	"tfinterop.dev/clients/go/internal/tensor"
)

// identitySession is a session whose graph copies input "in" to output "out".
// Tests push every dtype through it to check the host <-> TF_Tensor copies
// (TF_TString included) against the real runtime.
func identitySession(d tensor.DType) (*Session, error) {
	return unarySession("Identity", d)
}

// unarySession is a session whose graph feeds input "in" through one op of
// type op (input x, attr T = d) to output "out"; tests use it to run a custom
// op once its library is loaded. The error keeps TensorFlow's code, NOT_FOUND
// when op is not registered.
func unarySession(op string, d tensor.DType) (*Session, error) {
	if err := Open(); err != nil {
		return nil, err
	}
	st := C.tfi_NewStatus()
	defer C.tfi_DeleteStatus(st)
	g := C.tfi_NewGraph()
	cop := C.CString(op)
	defer C.free(unsafe.Pointer(cop))
	s := C.tfi_unary_session(cop, C.TF_DataType(d), g, st)
	if err := statusError(st, "building a "+op+" graph"); err != nil {
		C.tfi_DeleteGraph(g)
		return nil, err
	}
	return &Session{session: s, graph: g}, nil
}
