package tfcapi

/*
#include <stdlib.h>
#include <string.h>
#include "tfapi.h"

// A prepared bare run, all in C memory, so a run passes one C pointer and
// cgo checks no Go memory.
typedef struct {
	TF_Session* session;
	TF_Output* inputs;
	TF_Tensor** values;
	int64_t* strings; // of each input of dtype string, else -1
	int ninputs;
	TF_Output* outputs;
	TF_Tensor** results;
	int noutputs;
	char* message; // of the last failed run (malloc'd), else NULL
} tfi_bare;

static tfi_bare* tfi_bare_new(TF_Session* session, const TF_Output* inputs, int ninputs,
                              const TF_Output* outputs, int noutputs) {
	tfi_bare* b = calloc(1, sizeof(tfi_bare));
	b->session = session;
	b->ninputs = ninputs;
	b->noutputs = noutputs;
	b->inputs = calloc(ninputs + 1, sizeof(TF_Output));
	b->values = calloc(ninputs + 1, sizeof(TF_Tensor*));
	b->strings = calloc(ninputs + 1, sizeof(int64_t));
	b->outputs = calloc(noutputs + 1, sizeof(TF_Output));
	b->results = calloc(noutputs + 1, sizeof(TF_Tensor*));
	if (ninputs > 0) memcpy(b->inputs, inputs, ninputs * sizeof(TF_Output));
	if (noutputs > 0) memcpy(b->outputs, outputs, noutputs * sizeof(TF_Output));
	return b;
}

// One TF_SessionRun of the prepared inputs, its outputs deleted: what the
// client's run costs TensorFlow, with nothing converted. TF_OK, or
// TensorFlow's code with its message kept in b->message.
static TF_Code tfi_bare_run(tfi_bare* b) {
	TF_Status* st = tfi_NewStatus();
	tfi_SessionRun(b->session, NULL, b->inputs, b->values, b->ninputs, b->outputs, b->results, b->noutputs,
	               NULL, 0, NULL, st);
	TF_Code code = tfi_GetCode(st);
	if (code != TF_OK) {
		free(b->message);
		b->message = strdup(tfi_Message(st));
	}
	tfi_DeleteStatus(st);
	for (int i = 0; i < b->noutputs; i++) {
		if (b->results[i] != NULL) tfi_DeleteTensor(b->results[i]);
		b->results[i] = NULL;
	}
	return code;
}

// Input i of b is t, which holds strings TF_TStrings of this package's
// making when strings >= 0 (freed with it: TF_DeleteTensor frees the buffer
// but not large strings' heap copies).
static void tfi_bare_set_value(tfi_bare* b, int i, TF_Tensor* t, int64_t strings) {
	b->values[i] = t;
	b->strings[i] = strings;
}

// Deletes b's input tensors and frees b.
static void tfi_bare_free(tfi_bare* b) {
	for (int i = 0; i < b->ninputs; i++) {
		if (b->values[i] == NULL) continue;
		TF_TString* s = (TF_TString*)tfi_TensorData(b->values[i]);
		for (int64_t j = 0; j < b->strings[i]; j++) TF_TString_Dealloc(&s[j]);
		tfi_DeleteTensor(b->values[i]);
	}
	free(b->inputs);
	free(b->values);
	free(b->strings);
	free(b->outputs);
	free(b->results);
	free(b->message);
	free(b);
}
*/
import "C"

import (
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// Bare is the floor a client's in-process run is set against: the prepared
// call's TF_SessionRun on input TF_Tensors converted once, its outputs
// deleted unread, one cgo call per run (a Go caller cannot pay less). It is
// not safe for concurrent use, and takes no lock: Close it before the
// session.
type Bare struct {
	s *Session
	c *C.tfi_bare
}

// Bare converts values (one per prepared input, in order) into TF_Tensors
// kept for every run of the returned Bare.
func (c *Call) Bare(values []*tensor.Tensor) (*Bare, error) {
	s := c.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.session == nil {
		return nil, status.Errorf(status.FailedPrecondition, "session is closed")
	}
	if len(values) != len(c.inputs) {
		return nil, status.Errorf(status.Internal, "%d values for %d prepared inputs", len(values), len(c.inputs))
	}
	var in, out *C.TF_Output
	if len(c.inputs) > 0 {
		in = &c.inputs[0]
	}
	if len(c.outputs) > 0 {
		out = &c.outputs[0]
	}
	b := &Bare{s: s, c: C.tfi_bare_new(s.session, in, C.int(len(c.inputs)), out, C.int(len(c.outputs)))}
	for i, v := range values {
		t, err := toC(v)
		if err != nil {
			b.Close()
			return nil, err
		}
		strings := int64(-1)
		if v.DType == tensor.String {
			strings = int64(len(v.Strings))
		}
		C.tfi_bare_set_value(b.c, C.int(i), t, C.int64_t(strings))
	}
	return b, nil
}

// Session is the session the runs go to.
func (b *Bare) Session() *Session { return b.s }

// Run is one TF_SessionRun; the error keeps TensorFlow's code.
func (b *Bare) Run() error {
	if code := C.tfi_bare_run(b.c); code != C.TF_OK {
		return &status.Error{Code: status.Code(code), Message: "running the session: " + C.GoString(b.c.message)}
	}
	return nil
}

// Close deletes the input tensors (their strings first) and frees the call.
func (b *Bare) Close() {
	if b.c == nil {
		return
	}
	C.tfi_bare_free(b.c)
	b.c = nil
}
