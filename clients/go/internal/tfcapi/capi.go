// Package tfcapi is a small cgo layer over the TensorFlow C API shipped in the
// tensorflow wheel, loaded with dlopen on first use (library.go): load a
// SavedModel into a session, run it on host tensors. It knows nothing about
// serving; inproc builds TF Serving's behaviour on it.
package tfcapi

/*
#cgo CFLAGS: -Wall
#include <stdlib.h>
#include <string.h>
#include "tfapi.h"

// Fill n TF_TStrings of t from one buffer of concatenated bytes and their
// offsets (offsets[n] is the end); Go passes no pointers to Go pointers.
static void tfi_fill_strings(TF_Tensor* t, const char* bytes, const int64_t* offsets, int64_t n) {
	TF_TString* s = (TF_TString*)tfi_TensorData(t);
	for (int64_t i = 0; i < n; i++) {
		TF_TString_Init(&s[i]);
		TF_TString_Copy(&s[i], bytes + offsets[i], (size_t)(offsets[i + 1] - offsets[i]));
	}
}

// Release the TF_TStrings of a string tensor this package allocated:
// TF_DeleteTensor frees the buffer but not large strings' heap copies.
static void tfi_free_strings(TF_Tensor* t, int64_t n) {
	TF_TString* s = (TF_TString*)tfi_TensorData(t);
	for (int64_t i = 0; i < n; i++) TF_TString_Dealloc(&s[i]);
}

static const char* tfi_string_data(TF_Tensor* t, int64_t i) {
	return TF_TString_GetDataPointer(&((TF_TString*)tfi_TensorData(t))[i]);
}

static size_t tfi_string_size(TF_Tensor* t, int64_t i) {
	return TF_TString_GetSize(&((TF_TString*)tfi_TensorData(t))[i]);
}
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"

	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// Version is the TensorFlow version of the C library, loading it if needed.
func Version() (string, error) {
	if err := Open(); err != nil {
		return "", err
	}
	return C.GoString(C.tfi_Version()), nil
}

// Session is a SavedModel loaded into a TF_Session. Run is safe for
// concurrent use, as TF_SessionRun is.
type Session struct {
	mu        sync.RWMutex // Close excludes Run
	session   *C.TF_Session
	graph     *C.TF_Graph
	metaGraph []byte
	ops       sync.Map // op name -> *C.TF_Operation
}

// Load loads the SavedModel in dir with tags. The error keeps TensorFlow's code.
func Load(dir string, tags []string) (*Session, error) {
	if err := Open(); err != nil {
		return nil, err
	}
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	ctags := make([]*C.char, len(tags))
	for i, t := range tags {
		ctags[i] = C.CString(t)
		defer C.free(unsafe.Pointer(ctags[i]))
	}
	ctagsC := (**C.char)(C.malloc(C.size_t(len(tags)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(ctagsC))
	copy(unsafe.Slice(ctagsC, len(tags)), ctags)

	st := C.tfi_NewStatus()
	defer C.tfi_DeleteStatus(st)
	opts := C.tfi_NewSessionOptions()
	defer C.tfi_DeleteSessionOptions(opts)
	graph := C.tfi_NewGraph()
	meta := C.tfi_NewBuffer()
	defer C.tfi_DeleteBuffer(meta)

	sess := C.tfi_LoadSessionFromSavedModel(opts, nil, cdir, ctagsC, C.int(len(tags)), graph, meta, st)
	if err := statusError(st, "loading SavedModel "+dir); err != nil {
		C.tfi_DeleteGraph(graph)
		return nil, err
	}
	return &Session{
		session:   sess,
		graph:     graph,
		metaGraph: C.GoBytes(meta.data, C.int(meta.length)),
	}, nil
}

// MetaGraphDef is the serialized MetaGraphDef the loader used.
func (s *Session) MetaGraphDef() []byte { return s.metaGraph }

// Endpoint names a graph tensor: an operation and its output index.
type Endpoint struct {
	Op    string
	Index int
}

// Run feeds inputs, fetches outputs and returns them in order; errors keep
// TensorFlow's own code (TF_Code numbers are gRPC's).
func (s *Session) Run(inputs []Endpoint, values []*tensor.Tensor, outputs []Endpoint) ([]*tensor.Tensor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.session == nil {
		return nil, status.Errorf(status.FailedPrecondition, "session is closed")
	}
	nIn, nOut := len(inputs), len(outputs)
	// TF_Output holds a TF_Operation pointer (C memory); the arrays live in C
	// memory too so no Go pointer crosses into C inside another Go object.
	cIn := (*C.TF_Output)(C.calloc(C.size_t(max(nIn, 1)), C.size_t(unsafe.Sizeof(C.TF_Output{}))))
	defer C.free(unsafe.Pointer(cIn))
	cVals := (**C.TF_Tensor)(C.calloc(C.size_t(max(nIn, 1)), C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(cVals))
	cOut := (*C.TF_Output)(C.calloc(C.size_t(max(nOut, 1)), C.size_t(unsafe.Sizeof(C.TF_Output{}))))
	defer C.free(unsafe.Pointer(cOut))
	cRes := (**C.TF_Tensor)(C.calloc(C.size_t(max(nOut, 1)), C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(cRes))

	ins, vals := unsafe.Slice(cIn, max(nIn, 1)), unsafe.Slice(cVals, max(nIn, 1))
	outs, res := unsafe.Slice(cOut, max(nOut, 1)), unsafe.Slice(cRes, max(nOut, 1))
	for i, e := range inputs {
		op, err := s.operation(e)
		if err != nil {
			return nil, err
		}
		ins[i] = C.TF_Output{oper: op, index: C.int(e.Index)}
	}
	for i, e := range outputs {
		op, err := s.operation(e)
		if err != nil {
			return nil, err
		}
		outs[i] = C.TF_Output{oper: op, index: C.int(e.Index)}
	}
	for i, v := range values {
		t, err := toC(v)
		if err != nil {
			return nil, err
		}
		vals[i] = t
		defer deleteOwned(t, v)
	}

	st := C.tfi_NewStatus()
	defer C.tfi_DeleteStatus(st)
	C.tfi_SessionRun(s.session, nil, cIn, cVals, C.int(nIn), cOut, cRes, C.int(nOut), nil, 0, nil, st)
	if err := statusError(st, "running the session"); err != nil {
		return nil, err
	}
	result := make([]*tensor.Tensor, nOut)
	var firstErr error
	for i := range nOut {
		t, err := fromC(res[i])
		C.tfi_DeleteTensor(res[i])
		if err != nil && firstErr == nil {
			firstErr = err
		}
		result[i] = t
	}
	runtime.KeepAlive(values)
	return result, firstErr
}

// Close releases the session and graph; later Runs fail.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil {
		return nil
	}
	st := C.tfi_NewStatus()
	defer C.tfi_DeleteStatus(st)
	C.tfi_CloseSession(s.session, st)
	C.tfi_DeleteSession(s.session, st)
	C.tfi_DeleteGraph(s.graph)
	s.session, s.graph = nil, nil
	return statusError(st, "closing the session")
}

func (s *Session) operation(e Endpoint) (*C.TF_Operation, error) {
	if op, ok := s.ops.Load(e.Op); ok {
		return op.(*C.TF_Operation), nil
	}
	name := C.CString(e.Op)
	defer C.free(unsafe.Pointer(name))
	op := C.tfi_GraphOperationByName(s.graph, name)
	if op == nil {
		return nil, status.Errorf(status.Internal, "the graph has no operation %q (named by the signature)", e.Op)
	}
	if n := int(C.tfi_OperationNumOutputs(op)); e.Index >= n {
		return nil, status.Errorf(status.Internal, "operation %q has %d outputs, the signature names output %d", e.Op, n, e.Index)
	}
	s.ops.Store(e.Op, op)
	return op, nil
}

// toC copies a host tensor into a new TF_Tensor.
func toC(v *tensor.Tensor) (*C.TF_Tensor, error) {
	var dims *C.int64_t
	if len(v.Shape) > 0 {
		dims = (*C.int64_t)(unsafe.Pointer(&v.Shape[0]))
	}
	if v.DType == tensor.String {
		n := len(v.Strings)
		size := C.size_t(n) * C.size_t(C.sizeof_TF_TString)
		t := C.tfi_AllocateTensor(C.TF_STRING, dims, C.int(len(v.Shape)), size)
		if t == nil {
			return nil, status.Errorf(status.ResourceExhausted, "cannot allocate a string tensor of shape %v", v.Shape)
		}
		offsets := make([]int64, n+1)
		total := 0
		for i, s := range v.Strings {
			total += len(s)
			offsets[i+1] = int64(total)
		}
		buf := make([]byte, 0, total+1)
		for _, s := range v.Strings {
			buf = append(buf, s...)
		}
		buf = append(buf, 0) // never empty, so &buf[0] is valid
		C.tfi_fill_strings(t, (*C.char)(unsafe.Pointer(&buf[0])), (*C.int64_t)(unsafe.Pointer(&offsets[0])), C.int64_t(n))
		return t, nil
	}
	t := C.tfi_AllocateTensor(C.TF_DataType(v.DType), dims, C.int(len(v.Shape)), C.size_t(len(v.Data)))
	if t == nil {
		return nil, status.Errorf(status.ResourceExhausted, "cannot allocate a %s tensor of shape %v", tensor.Name(v.DType), v.Shape)
	}
	if len(v.Data) > 0 {
		C.memcpy(C.tfi_TensorData(t), unsafe.Pointer(&v.Data[0]), C.size_t(len(v.Data)))
	}
	return t, nil
}

func deleteOwned(t *C.TF_Tensor, v *tensor.Tensor) {
	if v.DType == tensor.String {
		C.tfi_free_strings(t, C.int64_t(len(v.Strings)))
	}
	C.tfi_DeleteTensor(t)
}

// fromC copies a TF_Tensor into a host tensor.
func fromC(t *C.TF_Tensor) (*tensor.Tensor, error) {
	if t == nil {
		return nil, status.Errorf(status.Internal, "the session returned no tensor")
	}
	dtype := tensor.DType(C.tfi_TensorType(t))
	if !tensor.Supported(dtype) {
		return nil, status.Errorf(status.Unimplemented, "output dtype %s cannot be returned", dtype)
	}
	shape := make([]int64, int(C.tfi_NumDims(t)))
	for i := range shape {
		shape[i] = int64(C.tfi_Dim(t, C.int(i)))
	}
	out := &tensor.Tensor{DType: dtype, Shape: shape}
	n := C.tfi_TensorElementCount(t)
	if dtype == tensor.String {
		out.Strings = make([][]byte, int(n))
		for i := range out.Strings {
			p := C.tfi_string_data(t, C.int64_t(i))
			size := C.tfi_string_size(t, C.int64_t(i))
			out.Strings[i] = C.GoBytes(unsafe.Pointer(p), C.int(size))
		}
		return out, nil
	}
	size := C.tfi_TensorByteSize(t)
	if int64(size) != int64(n)*int64(tensor.ElementSize(dtype)) {
		return nil, status.Errorf(status.Internal, "output tensor holds %d bytes for %d %s elements", size, n, tensor.Name(dtype))
	}
	out.Data = C.GoBytes(C.tfi_TensorData(t), C.int(size))
	return out, nil
}

func statusError(st *C.TF_Status, what string) error {
	code := C.tfi_GetCode(st)
	if code == C.TF_OK {
		return nil
	}
	return &status.Error{Code: status.Code(code), Message: what + ": " + C.GoString(C.tfi_Message(st))}
}
