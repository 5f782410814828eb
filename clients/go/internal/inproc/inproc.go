// Package inproc is the in-process transport: it resolves the ModelSpec
// through the model config, loads the SavedModel through the TensorFlow C
// API, validates the request like TF Serving and runs the signature.
package inproc

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"tfinterop.dev/clients/go/internal/canonical"
	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/modelconfig"
	"tfinterop.dev/clients/go/internal/signature"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
	"tfinterop.dev/clients/go/internal/tfcapi"
	"tfinterop.dev/clients/go/internal/transport"
)

// Library describes the runtime for run.json and info.
func Library() string {
	return tfcapi.Library() + " from the tensorflow wheel (TF C API via cgo, dlopen)"
}

// Build identifies the TensorFlow binary that runs models in-process, for
// run.json's runtime.tensorflow_build: the judge expects bit-exact outputs
// when it is the producer's build.
func Build(version string) string {
	return "pip:tensorflow==" + version
}

// servable is one loaded model version.
type servable struct {
	name      string
	version   int64
	session   *tfcapi.Session
	metaGraph *corepb.MetaGraphDef
	// calls are the prepared session calls: a request repeated on one
	// signature resolves its graph tensors once.
	mu    sync.RWMutex
	calls map[callKey]*tfcapi.Call
	// plans are the Predict plans, by the requested signature name (as
	// resolved) and output_filter.
	plans map[callKey]*plan
}

// callKey names what a prepared call feeds and fetches: every input of the
// signature (Inputs fills absent ones from its defaults) and the outputs of
// the output_filter, NUL-joined, or all of them when it is empty.
type callKey struct {
	signature string
	filter    string
}

type key struct {
	name    string
	version int64
}

// loadResult is a servable or the error loading it gave; both are cached so
// a broken version is not reloaded for every case.
type loadResult struct {
	once sync.Once
	s    *servable
	err  error
}

// Transport runs requests in-process. It is safe for concurrent use.
type Transport struct {
	config  *modelconfig.Config
	version string // of the loaded TensorFlow C library
	mu      sync.Mutex
	loaded  map[key]*loadResult
}

// New reads the model config at path and loads the TensorFlow C library; an
// error means nothing can run in-process.
func New(configPath string) (*Transport, error) {
	cfg, err := modelconfig.Load(configPath)
	if err != nil {
		return nil, err
	}
	version, err := tfcapi.Version()
	if err != nil {
		return nil, err
	}
	return &Transport{config: cfg, version: version, loaded: map[key]*loadResult{}}, nil
}

// Name is the mode name.
func (t *Transport) Name() string { return "inproc" }

// Runtime reports the TensorFlow that runs the model.
func (t *Transport) Runtime() map[string]string {
	return map[string]string{"tensorflow": t.version, "tensorflow_build": Build(t.version), "library": Library()}
}

// Call runs one request; classify, regress and multi_inference are server APIs.
func (t *Transport) Call(_ context.Context, req transport.Request) (proto.Message, error) {
	switch m := req.Message.(type) {
	case *apis.PredictRequest:
		return t.predict(m, nil)
	case *apis.GetModelMetadataRequest:
		return t.metadata(m)
	}
	return nil, status.Errorf(status.Unimplemented, "%s is a server API; not available in-process", req.API)
}

// NewCaller is a caller whose predicts answer into one response it keeps:
// once warm, a predict on one signature allocates nothing (the response, its
// map and its outputs' TensorProtos are filled again), so no fresh heap is
// touched between two runs (docs/clients/go.md, "bench and its reference").
// Its response is valid until its next call.
func (t *Transport) NewCaller() transport.Caller { return &caller{t: t} }

// caller is one goroutine's Transport; not safe for concurrent use.
type caller struct {
	t       *Transport
	resp    *predictResponse         // the last predict's, nil before the first
	outputs []*framework.TensorProto // by fetch index
}

func (c *caller) Call(ctx context.Context, req transport.Request) (proto.Message, error) {
	if m, ok := req.Message.(*apis.PredictRequest); ok {
		return c.t.predict(m, c)
	}
	return c.t.Call(ctx, req)
}

// Close releases every loaded session.
func (t *Transport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var first error
	for _, r := range t.loaded {
		if r.s != nil {
			if err := r.s.session.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	t.loaded = map[key]*loadResult{}
	return first
}

func (t *Transport) servable(spec *apis.ModelSpec) (*servable, error) {
	r, err := t.config.Resolve(spec)
	if err != nil {
		return nil, err
	}
	k := key{r.Name, r.Version}
	t.mu.Lock()
	lr, ok := t.loaded[k]
	if !ok {
		lr = &loadResult{}
		t.loaded[k] = lr
	}
	t.mu.Unlock()
	lr.once.Do(func() { lr.s, lr.err = load(r) })
	return lr.s, lr.err
}

func load(r modelconfig.Resolved) (*servable, error) {
	session, err := tfcapi.Load(r.Path, []string{signature.ServeTag})
	if err != nil {
		return nil, err
	}
	var mg corepb.MetaGraphDef
	if err := proto.Unmarshal(session.MetaGraphDef(), &mg); err != nil {
		_ = session.Close()
		return nil, status.Errorf(status.Internal, "MetaGraphDef of %s does not parse: %v", r.Path, err)
	}
	return &servable{name: r.Name, version: r.Version, session: session, metaGraph: &mg, calls: map[callKey]*tfcapi.Call{}, plans: map[callKey]*plan{}}, nil
}

// predict is predict_util.cc's RunPredict: select, validate, run, answer with
// outputs keyed by alias in the typed fields TF Serving writes.
// A caller's predict fills the caller's response instead of a new one.
func (t *Transport) predict(req *apis.PredictRequest, c *caller) (*apis.PredictResponse, error) {
	s, err := t.servable(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	sigKey, sig, err := signature.Select(s.metaGraph, req.GetModelSpec().GetSignatureName())
	if err != nil {
		return nil, err
	}
	key := callKey{sigKey, strings.Join(req.GetOutputFilter(), "\x00")}
	p := s.plan(key)
	if p == nil {
		if p, err = s.newPlan(key, sig, req); err != nil {
			return nil, err
		}
	}
	in := p.takeInputs()
	defer p.putInputs(in)
	values, err := p.values(in, req.GetInputs())
	if err != nil {
		return nil, err
	}
	var resp *apis.PredictResponse
	if c != nil {
		resp = c.response(s, sigKey, len(p.fetches))
	} else {
		resp = newPredictResponse(s, sigKey, len(p.fetches))
	}
	// The outputs are encoded from TensorFlow's memory: one copy each.
	err = p.call.RunFunc(values, func(results []*tensor.Tensor) error {
		for i, f := range p.fetches {
			out, err := encodeOutput(c, i, results[i])
			if err != nil {
				return fmt.Errorf("output %s: %w", f.Alias, err)
			}
			resp.Outputs[f.Alias] = out
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// plan is what a Predict on one signature and output_filter needs of the
// signature, resolved once (as the C++ client binds its signatures at load):
// a request that sends exactly the signature's inputs is checked with one map
// lookup and one dtype comparison per input, and reads no signature map.
type plan struct {
	sig    *corepb.SignatureDef
	inputs []planInput // every input of the signature, in alias order
	// fetches are the outputs of the output_filter, or all of them in alias
	// order; the response's aliases.
	fetches []signature.Fetch
	call    *tfcapi.Call
	free    sync.Pool // of *planInputs
}

type planInput struct {
	alias string
	dtype tensor.DType
}

// plan is the cached plan of key, or nil.
func (s *servable) plan(key callKey) *plan {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.plans[key]
}

// newPlan validates req on sig as signature.Inputs and signature.Outputs do,
// in their order (the first request of a key answers with their errors), and
// caches the plan of a valid one.
func (s *servable) newPlan(key callKey, sig *corepb.SignatureDef, req *apis.PredictRequest) (*plan, error) {
	feeds, fetches, call, err := s.bind(key, sig, req)
	if err != nil {
		return nil, err
	}
	p := &plan{sig: sig, inputs: make([]planInput, len(feeds)), fetches: fetches, call: call}
	for i, f := range feeds {
		p.inputs[i] = planInput{alias: f.Alias, dtype: sig.GetInputs()[f.Alias].GetDtype()}
	}
	s.mu.Lock()
	s.plans[key] = p
	s.mu.Unlock()
	return p, nil
}

// planInputs are one request's decoded inputs, kept for the next request
// on the plan (their Shape arrays are reused; Data is the request's).
type planInputs struct {
	tensors []tensor.Tensor
	values  []*tensor.Tensor
}

func (p *plan) takeInputs() *planInputs {
	if in, ok := p.free.Get().(*planInputs); ok {
		return in
	}
	return &planInputs{tensors: make([]tensor.Tensor, len(p.inputs)), values: make([]*tensor.Tensor, 0, len(p.inputs))}
}

// putInputs keeps in for a later request, holding no reference to this
// request's tensors.
func (p *plan) putInputs(in *planInputs) {
	for i := range in.tensors {
		in.tensors[i] = tensor.Tensor{Shape: in.tensors[i].Shape[:0]}
	}
	clear(in.values)
	in.values = in.values[:0]
	p.free.Put(in)
}

// values decodes the inputs of a request on p's signature into in, in p's
// input order. A request that does not send exactly the signature's aliases
// (a missing one a default may fill, an unknown one) goes through
// signature.Inputs, whose errors name what is wrong; otherwise the checks
// are signature.Inputs' own, in its order, with its messages.
func (p *plan) values(in *planInputs, inputs map[string]*framework.TensorProto) ([]*tensor.Tensor, error) {
	var protos [8]*framework.TensorProto
	exact := len(inputs) == len(p.inputs) && len(p.inputs) <= len(protos)
	for i := 0; exact && i < len(p.inputs); i++ {
		protos[i], exact = inputs[p.inputs[i].alias]
	}
	if !exact {
		feeds, err := signature.Inputs(p.sig, inputs)
		if err != nil {
			return nil, err
		}
		for _, f := range feeds {
			in.values = append(in.values, f.Value)
		}
		return in.values, nil
	}
	for i, want := range p.inputs {
		proto := protos[i]
		if proto.GetDtype() != want.dtype {
			return nil, status.Errorf(status.InvalidArgument, "Expects arg[%d] to be %s but %s is provided",
				i, tensor.Name(want.dtype), tensor.Name(proto.GetDtype()))
		}
		// The value is only read, by the run that copies it into TensorFlow.
		if err := tensor.DecodeSharedInto(&in.tensors[i], proto); err != nil {
			return nil, status.Errorf(status.InvalidArgument, "tensor parsing error: %s: %s", want.alias, status.FromError(err).Message)
		}
		in.values = append(in.values, &in.tensors[i])
	}
	return in.values, nil
}

// predictResponse is a PredictResponse and its ModelSpec in one allocation.
type predictResponse struct {
	resp    apis.PredictResponse
	spec    apis.ModelSpec
	choice  apis.ModelSpec_Version
	version wrapperspb.Int64Value
}

func newPredictResponse(s *servable, signatureName string, outputs int) *apis.PredictResponse {
	r := &predictResponse{}
	r.fill(s, signatureName, outputs)
	return &r.resp
}

// fill makes r the response of s's signature with no outputs yet, room for
// outputs in its map (the map r has is cleared and kept).
func (r *predictResponse) fill(s *servable, signatureName string, outputs int) {
	r.version = wrapperspb.Int64Value{Value: s.version}
	r.choice = apis.ModelSpec_Version{Version: &r.version}
	r.spec = apis.ModelSpec{Name: s.name, VersionChoice: &r.choice, SignatureName: signatureName}
	kept := r.resp.Outputs
	r.resp = apis.PredictResponse{ModelSpec: &r.spec, Outputs: kept}
	if kept == nil {
		r.resp.Outputs = make(map[string]*framework.TensorProto, outputs)
	}
	clear(r.resp.Outputs)
}

// response is c's response made that of s's signature, with no outputs yet.
func (c *caller) response(s *servable, signatureName string, outputs int) *apis.PredictResponse {
	if c.resp == nil {
		c.resp = &predictResponse{}
	}
	c.resp.fill(s, signatureName, outputs)
	return &c.resp.resp
}

// encodeOutput encodes result i of a run: into c's TensorProto of that
// index when there is a caller, else into a new one.
func encodeOutput(c *caller, i int, result *tensor.Tensor) (*framework.TensorProto, error) {
	if c == nil {
		return tensor.Encode(result)
	}
	for len(c.outputs) <= i {
		c.outputs = append(c.outputs, &framework.TensorProto{})
	}
	if err := tensor.EncodeInto(c.outputs[i], result); err != nil {
		return nil, err
	}
	return c.outputs[i], nil
}

// Bare is the bare reference of req (docs/clients/go.md, "bench"): its
// tensors converted once for the prepared call the client's own predict of
// req runs, on the same loaded session. The caller closes it before t.
func (t *Transport) Bare(req *apis.PredictRequest) (*tfcapi.Bare, error) {
	s, err := t.servable(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	sigKey, sig, err := signature.Select(s.metaGraph, req.GetModelSpec().GetSignatureName())
	if err != nil {
		return nil, err
	}
	feeds, _, call, err := s.bind(callKey{sigKey, strings.Join(req.GetOutputFilter(), "\x00")}, sig, req)
	if err != nil {
		return nil, err
	}
	values := make([]*tensor.Tensor, len(feeds))
	for i, f := range feeds {
		values[i] = f.Value
	}
	return call.Bare(values)
}

// bind validates req on sig with signature.Inputs and signature.Outputs, in
// their order, and returns the feeds, the fetches and the prepared call of key.
func (s *servable) bind(key callKey, sig *corepb.SignatureDef, req *apis.PredictRequest) ([]signature.Feed, []signature.Fetch, *tfcapi.Call, error) {
	feeds, err := signature.Inputs(sig, req.GetInputs())
	if err != nil {
		return nil, nil, nil, err
	}
	fetches, err := signature.Outputs(sig, req.GetOutputFilter())
	if err != nil {
		return nil, nil, nil, err
	}
	call, err := s.prepare(key, feeds, fetches)
	if err != nil {
		return nil, nil, nil, err
	}
	return feeds, fetches, call, nil
}

// prepare returns the session call that feeds and fetches these graph
// tensors, preparing it on first use.
func (s *servable) prepare(key callKey, feeds []signature.Feed, fetches []signature.Fetch) (*tfcapi.Call, error) {
	s.mu.RLock()
	c, ok := s.calls[key]
	s.mu.RUnlock()
	if ok {
		return c, nil
	}
	inputs := make([]tfcapi.Endpoint, len(feeds))
	for i, f := range feeds {
		var err error
		if inputs[i], err = endpoint(f.Tensor); err != nil {
			return nil, err
		}
	}
	outputs := make([]tfcapi.Endpoint, len(fetches))
	for i, f := range fetches {
		var err error
		if outputs[i], err = endpoint(f.Tensor); err != nil {
			return nil, err
		}
	}
	c, err := s.session.Prepare(inputs, outputs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.calls[key] = c
	s.mu.Unlock()
	return c, nil
}

// metadata is get_model_metadata_impl.cc: only "signature_def" exists.
func (t *Transport) metadata(req *apis.GetModelMetadataRequest) (*apis.GetModelMetadataResponse, error) {
	if len(req.GetMetadataField()) == 0 {
		return nil, status.Errorf(status.InvalidArgument, "GetModelMetadataRequest must specify at least one metadata_field")
	}
	for _, f := range req.GetMetadataField() {
		if f != "signature_def" {
			return nil, status.Errorf(status.InvalidArgument, "Metadata field %s is not supported", f)
		}
	}
	s, err := t.servable(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	sigs := &apis.SignatureDefMap{SignatureDef: s.metaGraph.GetSignatureDef()}
	return &apis.GetModelMetadataResponse{
		ModelSpec: &apis.ModelSpec{Name: s.name, VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(s.version)}},
		Metadata: map[string]*anypb.Any{"signature_def": {
			TypeUrl: "type.googleapis.com/" + string(sigs.ProtoReflect().Descriptor().FullName()),
			Value:   canonical.Marshal(sigs),
		}},
	}, nil
}

func endpoint(name string) (tfcapi.Endpoint, error) {
	op, index, err := signature.ParseTensorName(name)
	return tfcapi.Endpoint{Op: op, Index: index}, err
}
