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

// What the run of a Call needs besides its input values, in C memory, so
// that a run and its finish each pass one C pointer and cgo checks no Go
// memory: the graph outputs fed and fetched, the inputs then the results,
// the results' descriptions, and per input its mode for tfi_finish and its
// kept buffer. Each array has one spare element, so that none is calloc(0).
typedef struct {
	TF_Session* session;
	TF_Output* inputs;
	int ninputs;
	TF_Output* outputs;
	int noutputs;
	TF_Tensor** tensors;
	tfi_tensor_info* infos;
	int64_t* modes;
	void** data;
	char* message; // of a failed run (malloc'd; the caller frees it)
} tfi_scratch;

static void tfi_scratch_free_arrays(tfi_scratch* sc) {
	free(sc->inputs);
	free(sc->outputs);
	free(sc->tensors);
	free(sc->infos);
	free(sc->modes);
	free(sc->data);
	free(sc->message);
	free(sc);
}

// A scratch for runs of these feeds and fetches, or NULL when out of memory.
static tfi_scratch* tfi_scratch_new(TF_Session* session, const TF_Output* inputs, int ninputs,
                                    const TF_Output* outputs, int noutputs) {
	tfi_scratch* sc = calloc(1, sizeof(tfi_scratch));
	if (sc == NULL) return NULL;
	sc->session = session;
	sc->ninputs = ninputs;
	sc->noutputs = noutputs;
	sc->inputs = calloc(ninputs + 1, sizeof(TF_Output));
	sc->outputs = calloc(noutputs + 1, sizeof(TF_Output));
	sc->tensors = calloc(ninputs + noutputs + 1, sizeof(TF_Tensor*));
	sc->infos = calloc(noutputs + 1, sizeof(tfi_tensor_info));
	sc->modes = calloc(ninputs + 1, sizeof(int64_t));
	sc->data = calloc(ninputs + 1, sizeof(void*));
	if (sc->inputs == NULL || sc->outputs == NULL || sc->tensors == NULL || sc->infos == NULL || sc->modes == NULL ||
	    sc->data == NULL) {
		tfi_scratch_free_arrays(sc);
		return NULL;
	}
	if (ninputs > 0) memcpy(sc->inputs, inputs, ninputs * sizeof(TF_Output));
	if (noutputs > 0) memcpy(sc->outputs, outputs, noutputs * sizeof(TF_Output));
	return sc;
}

// Deletes the tensors sc still holds (the kept inputs) and frees sc.
static void tfi_scratch_free(tfi_scratch* sc) {
	for (int i = 0; i < sc->ninputs + sc->noutputs; i++) {
		if (sc->tensors[i] != NULL) tfi_DeleteTensor(sc->tensors[i]);
	}
	tfi_scratch_free_arrays(sc);
}

// One TF_SessionRun of sc's tensors with a status of its own, each result
// described into sc->infos: one cgo call for the run. TF_OK, or
// TensorFlow's code with its message copied into sc->message.
static TF_Code tfi_run(tfi_scratch* sc) {
	TF_Status* st = tfi_NewStatus();
	tfi_SessionRun(sc->session, NULL, sc->inputs, sc->tensors, sc->ninputs, sc->outputs, sc->tensors + sc->ninputs,
	               sc->noutputs, NULL, 0, NULL, st);
	TF_Code code = tfi_GetCode(st);
	sc->message = code == TF_OK ? NULL : strdup(tfi_Message(st));
	tfi_DeleteStatus(st);
	for (int i = 0; code == TF_OK && i < sc->noutputs; i++) {
		TF_Tensor* t = sc->tensors[sc->ninputs + i];
		if (t != NULL) tfi_describe(t, &sc->infos[i]);
	}
	return code;
}

// What a run's input tensor is, for tfi_finish: a numeric tensor to keep for
// the next run (TFI_KEEP) or to delete (TFI_DROP), or, when >= 0, a string
// tensor holding that many TF_TStrings of this package's making.
#define TFI_KEEP (-1)
#define TFI_DROP (-2)

// Ends a run whose results have been read: deletes the results (before the
// inputs, which an output may share), then each input, except a TFI_KEEP one
// this TF_Tensor alone owns (TensorFlow may hold a fed tensor past the run,
// in a queue or a table, and such a buffer must not be overwritten), whose
// buffer goes into data[i]. One cgo call for what the run leaves.
static void tfi_finish(tfi_scratch* sc) {
	TF_Tensor** tensors = sc->tensors;
	const int64_t* modes = sc->modes;
	void** data = sc->data;
	const int ninputs = sc->ninputs, noutputs = sc->noutputs;
	for (int i = ninputs; i < ninputs + noutputs; i++) {
		if (tensors[i] != NULL) tfi_DeleteTensor(tensors[i]);
		tensors[i] = NULL;
	}
	for (int i = 0; i < ninputs; i++) {
		TF_Tensor* t = tensors[i];
		if (t == NULL) continue;
		tensors[i] = NULL;
		data[i] = NULL;
		if (modes[i] == TFI_KEEP) {
			// TF_TensorMaybeMove returns t (or a new TF_Tensor on the buffer,
			// t deleted) when the buffer is not shared, else NULL.
			TF_Tensor* kept = tfi_TensorMaybeMove(t);
			if (kept != NULL) {
				tensors[i] = kept;
				data[i] = tfi_TensorData(kept);
				continue;
			}
		} else if (modes[i] >= 0) {
			TF_TString* s = (TF_TString*)tfi_TensorData(t);
			for (int64_t j = 0; j < modes[i]; j++) TF_TString_Dealloc(&s[j]);
		}
		tfi_DeleteTensor(t);
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
	"slices"
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
	callsMu   sync.Mutex
	calls     []*Call // prepared, whose kept tensors Close deletes
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
	call, err := s.prepare(inputs, outputs)
	if err != nil {
		return nil, err
	}
	defer call.releaseAll()
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
	// Scratches of finished runs, for the next ones (at most keptScratches):
	// the session frees their tensors on Close.
	mu   sync.Mutex
	free []*scratch
}

// keptScratches bounds the finished runs' scratches a Call keeps: as many as
// runs are in flight at once, on a machine of a few cores.
const keptScratches = 16

// keptInputBytes is the largest input tensor a run leaves for the next one:
// reusing it saves TensorFlow an allocation, which matters next to the copy
// for small tensors only, and a large one would stay allocated for as long
// as the session.
const keptInputBytes = 1 << 20

// scratch is what one run of a Call needs besides its values, kept for the
// next run: the C arrays TF_SessionRun takes (tfi_scratch, which Go reads
// and writes through the slices below), the results' views, and the numeric
// input TF_Tensors the run left (of dtype, shape and size kept), which a
// request of the same shapes refills with one copy instead of allocating a
// TF_Tensor.
type scratch struct {
	c       *C.tfi_scratch
	tensors []*C.TF_Tensor // the inputs, then the results
	infos   []C.tfi_tensor_info
	modes   []C.int64_t      // per input, for tfi_finish
	data    []unsafe.Pointer // per kept input, its buffer
	kept    []keptInput
	views   []tensor.Tensor
	results []*tensor.Tensor
}

type keptInput struct {
	dtype tensor.DType
	shape []int64
	bytes int
}

// Prepare resolves inputs and outputs in the session's graph; INTERNAL when
// the graph lacks one, FAILED_PRECONDITION once the session is closed.
func (s *Session) Prepare(inputs, outputs []Endpoint) (*Call, error) {
	c, err := s.prepare(inputs, outputs)
	if err != nil {
		return nil, err
	}
	s.callsMu.Lock()
	s.calls = append(s.calls, c)
	s.callsMu.Unlock()
	return c, nil
}

// prepare is Prepare for a Call the session does not track: its caller
// releases it.
func (s *Session) prepare(inputs, outputs []Endpoint) (*Call, error) {
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
	var out []*tensor.Tensor
	err := c.RunFunc(values, func(results []*tensor.Tensor) error {
		out = make([]*tensor.Tensor, len(results))
		for i, r := range results {
			// Strings are copies already; numeric data and the shape are
			// the run's.
			out[i] = &tensor.Tensor{DType: r.DType, Shape: slices.Clone(r.Shape), Strings: r.Strings}
			if r.DType != tensor.String {
				out[i].Data = append([]byte{}, r.Data...)
			}
		}
		return nil
	})
	return out, err
}

// RunFunc is Run, except that use reads the fetched tensors where TensorFlow
// left them: a numeric result's Data is TensorFlow's memory and its Shape the
// run's, both valid only until use returns (a string result's elements are
// copies), so that a caller converting the results pays one copy. It returns
// use's error.
func (c *Call) RunFunc(values []*tensor.Tensor, use func(results []*tensor.Tensor) error) error {
	s := c.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.session == nil {
		return status.Errorf(status.FailedPrecondition, "session is closed")
	}
	nIn, nOut := len(c.inputs), len(c.outputs)
	if len(values) != nIn {
		return status.Errorf(status.Internal, "%d values for %d prepared inputs", len(values), nIn)
	}
	sc, err := c.scratch()
	if err != nil {
		return err
	}
	// After use: an output may share an input's buffer (Identity).
	defer c.finish(sc)
	if err := sc.feed(values); err != nil {
		return err
	}
	if code := C.tfi_run(sc.c); code != C.TF_OK {
		defer func() { C.free(unsafe.Pointer(sc.c.message)); sc.c.message = nil }()
		return &status.Error{Code: status.Code(code), Message: "running the session: " + C.GoString(sc.c.message)}
	}
	for i := range nOut {
		if err := view(&sc.views[i], sc.tensors[nIn+i], &sc.infos[i]); err != nil {
			return err
		}
		sc.results[i] = &sc.views[i]
	}
	return use(sc.results)
}

// scratch takes a finished run's scratch, or makes one (RESOURCE_EXHAUSTED
// when C memory runs out).
func (c *Call) scratch() (*scratch, error) {
	c.mu.Lock()
	if n := len(c.free); n > 0 {
		sc := c.free[n-1]
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return sc, nil
	}
	c.mu.Unlock()
	nIn, nOut := len(c.inputs), len(c.outputs)
	var in, out *C.TF_Output
	if nIn > 0 {
		in = &c.inputs[0]
	}
	if nOut > 0 {
		out = &c.outputs[0]
	}
	cs := C.tfi_scratch_new(c.s.session, in, C.int(nIn), out, C.int(nOut))
	if cs == nil {
		return nil, status.Errorf(status.ResourceExhausted, "cannot allocate a run of %d inputs and %d outputs", nIn, nOut)
	}
	return &scratch{
		c:       cs,
		tensors: unsafe.Slice(cs.tensors, nIn+nOut),
		infos:   unsafe.Slice(cs.infos, nOut),
		modes:   unsafe.Slice(cs.modes, nIn),
		data:    unsafe.Slice(cs.data, nIn),
		kept:    make([]keptInput, nIn),
		views:   make([]tensor.Tensor, nOut),
		results: make([]*tensor.Tensor, nOut),
	}, nil
}

// finish deletes what sc's run leaves but the inputs worth keeping, and
// keeps sc for a later run (or deletes those too, when enough are kept).
func (c *Call) finish(sc *scratch) {
	C.tfi_finish(sc.c)
	for i := range sc.views {
		sc.views[i] = tensor.Tensor{Shape: sc.views[i].Shape[:0]} // no reference into TensorFlow's memory
		sc.results[i] = nil
	}
	c.mu.Lock()
	if len(c.free) < keptScratches {
		c.free = append(c.free, sc)
		sc = nil
	}
	c.mu.Unlock()
	if sc != nil {
		sc.release()
	}
}

// release deletes the input tensors sc keeps and frees its C memory.
func (sc *scratch) release() {
	C.tfi_scratch_free(sc.c)
	*sc = scratch{}
}

// releaseAll deletes every kept scratch's tensors (the session closing).
func (c *Call) releaseAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sc := range c.free {
		sc.release()
	}
	c.free = nil
}

// feed puts values into sc's input tensors: a kept TF_Tensor of the same
// dtype and shape is refilled in place, else a new one made.
func (sc *scratch) feed(values []*tensor.Tensor) error {
	for i, v := range values {
		k := &sc.kept[i]
		if sc.tensors[i] != nil && v.DType != tensor.String && k.dtype == v.DType && k.bytes == len(v.Data) && slices.Equal(k.shape, v.Shape) {
			if k.bytes > 0 {
				copy(unsafe.Slice((*byte)(sc.data[i]), k.bytes), v.Data)
			}
			continue
		}
		if sc.tensors[i] != nil {
			C.tfi_DeleteTensor(sc.tensors[i]) // kept tensors are numeric
			sc.tensors[i] = nil
		}
		t, err := toC(v)
		if err != nil {
			return err
		}
		sc.tensors[i] = t
		if v.DType == tensor.String {
			sc.modes[i] = C.int64_t(len(v.Strings))
			continue
		}
		sc.modes[i] = C.TFI_DROP
		if len(v.Data) <= keptInputBytes {
			sc.modes[i] = C.TFI_KEEP
		}
		k.dtype, k.bytes, k.shape = v.DType, len(v.Data), append(k.shape[:0], v.Shape...)
		sc.data[i] = C.tfi_TensorData(t)
	}
	return nil
}

// Close releases the session and graph; later Runs fail.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil {
		return nil
	}
	s.callsMu.Lock()
	for _, c := range s.calls {
		c.releaseAll()
	}
	s.calls = nil
	s.callsMu.Unlock()
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

// view describes the TF_Tensor t, which info describes, into out: numeric
// data in place (TensorFlow's memory), strings copied; out's shape array is
// reused.
func view(out *tensor.Tensor, t *C.TF_Tensor, info *C.tfi_tensor_info) error {
	if t == nil {
		return status.Errorf(status.Internal, "the session returned no tensor")
	}
	dtype := tensor.DType(info.dtype)
	if !tensor.Supported(dtype) {
		return status.Errorf(status.Unimplemented, "output dtype %s cannot be returned", dtype)
	}
	out.DType = dtype
	nd := int(info.num_dims)
	out.Shape = slices.Grow(out.Shape[:0], nd)[:nd]
	if nd > len(info.dims) {
		C.tfi_dims(t, (*C.int64_t)(unsafe.Pointer(&out.Shape[0])), C.int(nd))
	} else {
		for i := range out.Shape {
			out.Shape[i] = int64(info.dims[i])
		}
	}
	n := int64(info.elements)
	if dtype == tensor.String {
		out.Data = nil
		out.Strings = make([][]byte, int(n))
		for i := range out.Strings {
			p := C.tfi_string_data(t, C.int64_t(i))
			size := C.tfi_string_size(t, C.int64_t(i))
			out.Strings[i] = C.GoBytes(unsafe.Pointer(p), C.int(size))
		}
		return nil
	}
	size := int64(info.bytes)
	if size != n*int64(tensor.ElementSize(dtype)) {
		return status.Errorf(status.Internal, "output tensor holds %d bytes for %d %s elements", size, n, tensor.Name(dtype))
	}
	out.Strings = nil
	out.Data = nil
	if size > 0 {
		out.Data = unsafe.Slice((*byte)(info.data), size)
	}
	return nil
}

func statusError(st *C.TF_Status, what string) error {
	code := C.tfi_GetCode(st)
	if code == C.TF_OK {
		return nil
	}
	return &status.Error{Code: status.Code(code), Message: what + ": " + C.GoString(C.tfi_Message(st))}
}
