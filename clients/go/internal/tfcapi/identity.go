package tfcapi

/*
#include <stdlib.h>
#include "tfapi.h"

// A graph "in" (Placeholder) -> "out" (Identity) of one dtype, in a session.
static TF_Session* tfi_identity_session(TF_DataType dtype, TF_Graph* g, TF_Status* st) {
	TF_OperationDescription* d = tfi_NewOperation(g, "Placeholder", "in");
	tfi_SetAttrType(d, "dtype", dtype);
	TF_Operation* in = tfi_FinishOperation(d, st);
	if (tfi_GetCode(st) != TF_OK) return NULL;
	d = tfi_NewOperation(g, "Identity", "out");
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

import "tfinterop.dev/clients/go/internal/tensor"

// identitySession is a session whose graph copies input "in" to output "out".
// Tests push every dtype through it to check the host <-> TF_Tensor copies
// (TF_TString included) against the real runtime.
func identitySession(d tensor.DType) (*Session, error) {
	if err := Open(); err != nil {
		return nil, err
	}
	st := C.tfi_NewStatus()
	defer C.tfi_DeleteStatus(st)
	g := C.tfi_NewGraph()
	s := C.tfi_identity_session(C.TF_DataType(d), g, st)
	if err := statusError(st, "building an identity graph"); err != nil {
		C.tfi_DeleteGraph(g)
		return nil, err
	}
	return &Session{session: s, graph: g}, nil
}
