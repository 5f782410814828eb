package tfcapi

/*
#include <stdlib.h>
#include "tensorflow/c/c_api.h"

// A graph "in" (Placeholder) -> "out" (Identity) of one dtype, in a session.
static TF_Session* tfi_identity_session(TF_DataType dtype, TF_Graph* g, TF_Status* st) {
	TF_OperationDescription* d = TF_NewOperation(g, "Placeholder", "in");
	TF_SetAttrType(d, "dtype", dtype);
	TF_Operation* in = TF_FinishOperation(d, st);
	if (TF_GetCode(st) != TF_OK) return NULL;
	d = TF_NewOperation(g, "Identity", "out");
	TF_Output input = {in, 0};
	TF_AddInput(d, input);
	TF_SetAttrType(d, "T", dtype);
	TF_FinishOperation(d, st);
	if (TF_GetCode(st) != TF_OK) return NULL;
	TF_SessionOptions* opts = TF_NewSessionOptions();
	TF_Session* s = TF_NewSession(g, opts, st);
	TF_DeleteSessionOptions(opts);
	return s;
}
*/
import "C"

import "tfinterop.dev/clients/go/internal/tensor"

// identitySession is a session whose graph copies input "in" to output "out".
// Tests push every dtype through it to check the host <-> TF_Tensor copies
// (TF_TString included) against the real runtime.
func identitySession(d tensor.DType) (*Session, error) {
	st := C.TF_NewStatus()
	defer C.TF_DeleteStatus(st)
	g := C.TF_NewGraph()
	s := C.tfi_identity_session(C.TF_DataType(d), g, st)
	if err := statusError(st, "building an identity graph"); err != nil {
		C.TF_DeleteGraph(g)
		return nil, err
	}
	return &Session{session: s, graph: g}, nil
}
