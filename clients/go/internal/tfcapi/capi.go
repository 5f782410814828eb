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

// A new TF_Tensor holding a copy of len bytes at data: one cgo call instead
// of allocate, data and memcpy.
static TF_Tensor* tfi_copy_tensor(TF_DataType dtype, const int64_t* dims, int num_dims, const void* data, size_t len) {
	TF_Tensor* t = tfi_AllocateTensor(dtype, dims, num_dims, len);
	if (t != NULL && len > 0) memcpy(tfi_TensorData(t), data, len);
	return t;
}

// What fromC needs of a TF_Tensor: dims holds the first TFI_DIMS
// dimensions (fromC asks for the rest when num_dims is larger).
#define TFI_DIMS 8
typedef struct {
	TF_DataType dtype;
	int num_dims;
	int64_t elements;
	size_t bytes;
	void* data;
	int64_t dims[TFI_DIMS];
} tfi_tensor_info;

static void tfi_describe(const TF_Tensor* t, tfi_tensor_info* info) {
	info->dtype = tfi_TensorType(t);
	info->num_dims = tfi_NumDims(t);
	for (int i = 0; i < info->num_dims && i < TFI_DIMS; i++) info->dims[i] = tfi_Dim(t, i);
	info->elements = tfi_TensorElementCount(t);
	info->bytes = tfi_TensorByteSize(t);
	info->data = tfi_TensorData(t);
}

static void tfi_dims(const TF_Tensor* t, int64_t* dims, int n) {
	for (int i = 0; i < n; i++) dims[i] = tfi_Dim(t, i);
}

// One TF_SessionRun with a status of its own, each result described into
// infos: one cgo call for the run. TF_OK, or TensorFlow's code with its
// message copied into *message (malloc'd; the caller frees it).
static TF_Code tfi_run(TF_Session* session, const TF_Output* inputs, TF_Tensor* const* values, int ninputs,
                       const TF_Output* outputs, TF_Tensor** results, tfi_tensor_info* infos, int noutputs,
                       char** message) {
	TF_Status* st = tfi_NewStatus();
	tfi_SessionRun(session, NULL, inputs, values, ninputs, outputs, results, noutputs, NULL, 0, NULL, st);
	TF_Code code = tfi_GetCode(st);
	*message = code == TF_OK ? NULL : strdup(tfi_Message(st));
	tfi_DeleteStatus(st);
	for (int i = 0; code == TF_OK && i < noutputs; i++) {
		if (results[i] != NULL) tfi_describe(results[i], &infos[i]);
	}
	return code;
}

// Deletes the n tensors of ts that are not NULL.
static void tfi_delete_tensors(TF_Tensor** ts, int n) {
	for (int i = 0; i < n; i++) {
		if (ts[i] != NULL) tfi_DeleteTensor(ts[i]);
	}
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
	call, err := s.Prepare(inputs, outputs)
	if err != nil {
		return nil, err
	}
	return call.Run(values)
}

// Call is a TF_SessionRun with its feeds and fetches resolved to graph
// outputs once, so that a request repeated on one signature pays only for
// converting its tensors and the run. It is safe for concurrent use.
type Call struct {
	s *Session
	// The TF_Outputs hold TF_Operation pointers (C memory) and no Go
	// pointer, so these Go arrays may be passed to C as they are.
	inputs  []C.TF_Output
	outputs []C.TF_Output
}

// Prepare resolves inputs and outputs in the session's graph; INTERNAL when
// the graph lacks one, FAILED_PRECONDITION once the session is closed.
func (s *Session) Prepare(inputs, outputs []Endpoint) (*Call, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.session == nil {
		return nil, status.Errorf(status.FailedPrecondition, "session is closed")
	}
	c := &Call{s: s, inputs: make([]C.TF_Output, len(inputs)), outputs: make([]C.TF_Output, len(outputs))}
	for i, e := range inputs {
		op, err := s.operation(e)
		if err != nil {
			return nil, err
		}
		c.inputs[i] = C.TF_Output{oper: op, index: C.int(e.Index)}
	}
	for i, e := range outputs {
		op, err := s.operation(e)
		if err != nil {
			return nil, err
		}
		c.outputs[i] = C.TF_Output{oper: op, index: C.int(e.Index)}
	}
	return c, nil
}

// Run copies values (one per prepared input, in order) into TF_Tensors,
// runs the session and copies the fetched tensors out, in order. Errors keep
// TensorFlow's own code.
func (c *Call) Run(values []*tensor.Tensor) ([]*tensor.Tensor, error) {
	s := c.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.session == nil {
		return nil, status.Errorf(status.FailedPrecondition, "session is closed")
	}
	nIn, nOut := len(c.inputs), len(c.outputs)
	if len(values) != nIn {
		return nil, status.Errorf(status.Internal, "%d values for %d prepared inputs", len(values), nIn)
	}
	// Arrays of C pointers only (Go memory C may use during the call): the
	// input values, then the results, then a spare element so that
	// &tensors[nIn] exists even with no outputs; infos describe the results.
	tensors := make([]*C.TF_Tensor, nIn+nOut+1)
	infos := make([]C.tfi_tensor_info, max(nOut, 1))
	// Deleted only after the results are copied out: an output may share an
	// input's buffer (Identity), string heap copies included.
	defer deleteAll(tensors, values)
	for i, v := range values {
		t, err := toC(v)
		if err != nil {
			return nil, err
		}
		tensors[i] = t
	}
	var in, out *C.TF_Output
	if nIn > 0 {
		in = &c.inputs[0]
	}
	if nOut > 0 {
		out = &c.outputs[0]
	}
	var msg *C.char
	code := C.tfi_run(s.session, in, &tensors[0], C.int(nIn), out, &tensors[nIn], &infos[0], C.int(nOut), &msg)
	if code != C.TF_OK {
		defer C.free(unsafe.Pointer(msg))
		return nil, &status.Error{Code: status.Code(code), Message: "running the session: " + C.GoString(msg)}
	}
	result := make([]*tensor.Tensor, nOut)
	for i := range nOut {
		t, err := fromC(tensors[nIn+i], &infos[i])
		if err != nil {
			return nil, err
		}
		result[i] = t
	}
	return result, nil
}

// deleteAll deletes the tensors of one run: the inputs toC made for values
// (their strings first), then the results; NULLs are skipped.
func deleteAll(tensors []*C.TF_Tensor, values []*tensor.Tensor) {
	for i, v := range values {
		if v.DType == tensor.String && tensors[i] != nil {
			C.tfi_free_strings(tensors[i], C.int64_t(len(v.Strings)))
		}
	}
	C.tfi_delete_tensors(&tensors[0], C.int(len(tensors)))
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
	var data unsafe.Pointer
	if len(v.Data) > 0 {
		data = unsafe.Pointer(&v.Data[0])
	}
	t := C.tfi_copy_tensor(C.TF_DataType(v.DType), dims, C.int(len(v.Shape)), data, C.size_t(len(v.Data)))
	if t == nil {
		return nil, status.Errorf(status.ResourceExhausted, "cannot allocate a %s tensor of shape %v", tensor.Name(v.DType), v.Shape)
	}
	return t, nil
}

// fromC copies the TF_Tensor t, which info describes, into a host tensor.
func fromC(t *C.TF_Tensor, info *C.tfi_tensor_info) (*tensor.Tensor, error) {
	if t == nil {
		return nil, status.Errorf(status.Internal, "the session returned no tensor")
	}
	dtype := tensor.DType(info.dtype)
	if !tensor.Supported(dtype) {
		return nil, status.Errorf(status.Unimplemented, "output dtype %s cannot be returned", dtype)
	}
	shape := make([]int64, int(info.num_dims))
	if len(shape) > len(info.dims) {
		C.tfi_dims(t, (*C.int64_t)(unsafe.Pointer(&shape[0])), C.int(len(shape)))
	} else {
		for i := range shape {
			shape[i] = int64(info.dims[i])
		}
	}
	out := &tensor.Tensor{DType: dtype, Shape: shape}
	n := int64(info.elements)
	if dtype == tensor.String {
		out.Strings = make([][]byte, int(n))
		for i := range out.Strings {
			p := C.tfi_string_data(t, C.int64_t(i))
			size := C.tfi_string_size(t, C.int64_t(i))
			out.Strings[i] = C.GoBytes(unsafe.Pointer(p), C.int(size))
		}
		return out, nil
	}
	size := int64(info.bytes)
	if size != n*int64(tensor.ElementSize(dtype)) {
		return nil, status.Errorf(status.Internal, "output tensor holds %d bytes for %d %s elements", size, n, tensor.Name(dtype))
	}
	out.Data = C.GoBytes(info.data, C.int(size))
	return out, nil
}

func statusError(st *C.TF_Status, what string) error {
	code := C.tfi_GetCode(st)
	if code == C.TF_OK {
		return nil
	}
	return &status.Error{Code: status.Code(code), Message: what + ": " + C.GoString(C.tfi_Message(st))}
}
