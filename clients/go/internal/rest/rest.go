// Package rest holds the two REST transports over net/http: TF Serving's
// /v1/models API (this file) and the Open Inference Protocol's /v2/models
// (v2.go). For rest, requests go out in the case's columnar or row form;
// responses are turned back into PredictResponse using the signature from the
// model's metadata (output names and dtypes). Both map HTTP statuses back to
// codes the same way.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"tfinterop.dev/clients/go/internal/canonical"
	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/signature"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
	"tfinterop.dev/clients/go/internal/transport"
)

// Request body forms (the manifest's rest_format).
const (
	Columnar = "columnar"
	Row      = "row"
)

// maxBody bounds a response body read into memory.
const maxBody = 512 << 20

// Transport talks to a TF Serving REST endpoint. It is safe for concurrent use.
type Transport struct {
	base     string
	client   *http.Client
	bodies   sync.Pool // of *bodyWriter
	mu       sync.Mutex
	metadata map[string]*apis.SignatureDefMap // by model URL, per run
}

// New prepares a client for base (e.g. http://127.0.0.1:8501).
func New(base string) (*Transport, error) {
	client, err := newClient(base)
	if err != nil {
		return nil, err
	}
	return &Transport{
		base:     strings.TrimRight(base, "/"),
		client:   client,
		metadata: map[string]*apis.SignatureDefMap{},
	}, nil
}

// newClient checks the --rest URL and makes the HTTP client both REST
// transports use.
func newClient(base string) (*http.Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bad REST URL %q: want http://host:port", base)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}, nil
}

// Name is the mode name.
func (t *Transport) Name() string { return "rest" }

// Runtime reports the HTTP client; the server ran the model.
func (t *Transport) Runtime() map[string]string {
	return map[string]string{"http": "net/http", "rest": t.base}
}

// Close drops idle connections.
func (t *Transport) Close() error {
	t.client.CloseIdleConnections()
	return nil
}

// Call sends one request. Errors carry the code TF Serving's HTTP status maps
// back to, and the status itself.
func (t *Transport) Call(ctx context.Context, req transport.Request) (proto.Message, error) {
	switch m := req.Message.(type) {
	case *apis.PredictRequest:
		return t.predict(ctx, m, req.RestFormat)
	case *apis.ClassificationRequest:
		return t.classify(ctx, m)
	case *apis.RegressionRequest:
		return t.regress(ctx, m)
	case *apis.GetModelMetadataRequest:
		return t.modelMetadata(ctx, m)
	}
	return nil, status.Errorf(status.Unimplemented, "api %s is not implemented by the Go REST client", req.API)
}

// modelURL is {base}/v1/models/{name}[/versions/{v}|/labels/{label}].
func (t *Transport) modelURL(spec *apis.ModelSpec) string {
	u := t.base + "/v1/models/" + url.PathEscape(spec.GetName())
	switch v := spec.GetVersionChoice().(type) {
	case *apis.ModelSpec_Version:
		u += "/versions/" + strconv.FormatInt(v.Version.GetValue(), 10)
	case *apis.ModelSpec_VersionLabel:
		u += "/labels/" + url.PathEscape(v.VersionLabel)
	}
	return u
}

func (t *Transport) predict(ctx context.Context, req *apis.PredictRequest, format string) (*apis.PredictResponse, error) {
	if len(req.GetOutputFilter()) > 0 {
		return nil, status.Errorf(status.Unimplemented, "output_filter cannot be expressed in TF Serving's REST API")
	}
	w, _ := t.bodies.Get().(*bodyWriter)
	if w == nil {
		w = &bodyWriter{}
	}
	w.reset()
	if err := w.predict(req, format); err != nil {
		t.bodies.Put(w)
		return nil, err
	}
	model := t.modelURL(req.GetModelSpec())
	data, err := sendBody(ctx, t.client, model+":predict", w.buf, func() { t.bodies.Put(w) })
	if err != nil {
		return nil, err
	}
	sigs, err := t.signatures(ctx, model)
	if err != nil {
		return nil, err
	}
	key := req.GetModelSpec().GetSignatureName()
	if key == "" {
		key = signature.DefaultKey
	}
	sig, ok := sigs.GetSignatureDef()[key]
	if !ok {
		return nil, badJSON("the model's metadata has no signature %q", key)
	}
	outputs, err := predictOutputs(data, sig)
	if err != nil {
		return nil, err
	}
	return &apis.PredictResponse{Outputs: outputs}, nil
}

// predictBody is the JSON request: {"signature_name", "inputs": {...}} or
// {"signature_name", "instances": [...]}.
func predictBody(req *apis.PredictRequest, format string) ([]byte, error) {
	w := &bodyWriter{}
	if err := w.predict(req, format); err != nil {
		return nil, err
	}
	return w.buf, nil
}

// predict writes predictBody's JSON into w.
func (w *bodyWriter) predict(req *apis.PredictRequest, format string) error {
	aliases := make([]string, 0, len(req.GetInputs()))
	for a := range req.GetInputs() {
		aliases = append(aliases, a)
	}
	slices.Sort(aliases)
	inputs := make([]*tensor.Tensor, len(aliases))
	for len(w.scratch) < len(aliases) {
		w.scratch = append(w.scratch, nil)
	}
	for i, a := range aliases {
		// The body only reads the tensor while req lives: tensor_content is
		// not copied, and a typed field is decoded into w's own scratch.
		p := req.GetInputs()[a]
		t, err := tensor.DecodeReusing(p, w.scratch[i])
		if err != nil {
			return fmt.Errorf("input %s: %w", a, err)
		}
		if len(p.GetTensorContent()) == 0 && cap(t.Data) > cap(w.scratch[i]) {
			w.scratch[i] = t.Data // ours, not the proto's: keep it for the next body
		}
		inputs[i] = t
	}
	w.buf = append(w.buf, '{')
	if name := req.GetModelSpec().GetSignatureName(); name != "" {
		w.buf = append(w.buf, `"signature_name":`...)
		w.buf = appendQuoted(w.buf, name)
		w.buf = append(w.buf, ',')
	}
	switch format {
	case Columnar, "":
		w.buf = append(w.buf, `"inputs":{`...)
		for i, a := range aliases {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendQuoted(w.buf, a)
			w.buf = append(w.buf, ':')
			if err := w.tensor(inputs[i]); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, '}')
	case Row:
		if err := w.instances(aliases, inputs); err != nil {
			return err
		}
	default:
		return status.Errorf(status.InvalidArgument, "unknown rest_format %q", format)
	}
	w.buf = append(w.buf, '}')
	return nil
}

// instances writes the row form: one input as a list of per-example values,
// several as a list of objects; all inputs share the batch size.
func (w *bodyWriter) instances(aliases []string, inputs []*tensor.Tensor) error {
	batch := int64(-1)
	for i, t := range inputs {
		if len(t.Shape) == 0 {
			return status.Errorf(status.InvalidArgument, "input %s is a scalar; the row format needs a batch dimension", aliases[i])
		}
		if batch >= 0 && t.Shape[0] != batch {
			return status.Errorf(status.InvalidArgument, "inputs disagree on the batch size (%d and %d); the row format needs one", batch, t.Shape[0])
		}
		batch = t.Shape[0]
	}
	w.buf = append(w.buf, `"instances":[`...)
	for b := range int(max(batch, 0)) {
		if b > 0 {
			w.buf = append(w.buf, ',')
		}
		if len(inputs) == 1 {
			if err := w.example(inputs[0], b); err != nil {
				return err
			}
			continue
		}
		w.buf = append(w.buf, '{')
		for i, a := range aliases {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendQuoted(w.buf, a)
			w.buf = append(w.buf, ':')
			if err := w.example(inputs[i], b); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, '}')
	}
	w.buf = append(w.buf, ']')
	return nil
}

// predictOutputs reads "outputs" (columnar) or "predictions" (row); with a
// single signature output the name is dropped.
func predictOutputs(data []byte, sig *corepb.SignatureDef) (map[string]*framework.TensorProto, error) {
	if out, ok := denseOutputs(data, sig); ok {
		return out, nil
	}
	return treeOutputs(data, sig)
}

// treeOutputs is predictOutputs for any answer, through the JSON tree.
func treeOutputs(data []byte, sig *corepb.SignatureDef) (map[string]*framework.TensorProto, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, badJSON("%v", err)
	}
	if root.kind != kObject {
		return nil, badJSON("expected an object")
	}
	names := make([]string, 0, len(sig.GetOutputs()))
	for n := range sig.GetOutputs() {
		names = append(names, n)
	}
	slices.Sort(names)
	tensors := map[string]*tensor.Tensor{}
	if cols, ok := root.get("outputs"); ok {
		if len(names) == 1 {
			t, err := readTensor(cols, sig.GetOutputs()[names[0]].GetDtype())
			if err != nil {
				return nil, err
			}
			tensors[names[0]] = t
		} else {
			if cols.kind != kObject {
				return nil, badJSON(`"outputs" should be an object for a signature with %d outputs`, len(names))
			}
			for _, m := range cols.members {
				info, ok := sig.GetOutputs()[m.key]
				if !ok {
					return nil, badJSON("output %q is not in the signature", m.key)
				}
				t, err := readTensor(m.value, info.GetDtype())
				if err != nil {
					return nil, err
				}
				tensors[m.key] = t
			}
		}
	} else if rows, ok := root.get("predictions"); ok {
		if rows.kind != kArray {
			return nil, badJSON(`"predictions" should be a list`)
		}
		if len(names) == 1 {
			t, err := stackExamples(rows.items, sig.GetOutputs()[names[0]].GetDtype())
			if err != nil {
				return nil, err
			}
			tensors[names[0]] = t
		} else {
			for _, name := range names {
				examples := make([]*node, len(rows.items))
				for i, row := range rows.items {
					v, ok := row.get(name)
					if row.kind != kObject || !ok {
						return nil, badJSON("prediction %d lacks output %q", i, name)
					}
					examples[i] = v
				}
				t, err := stackExamples(examples, sig.GetOutputs()[name].GetDtype())
				if err != nil {
					return nil, err
				}
				tensors[name] = t
			}
		}
	} else {
		return nil, badJSON(`neither "outputs" nor "predictions" in the response`)
	}
	out := make(map[string]*framework.TensorProto, len(tensors))
	for name, t := range tensors {
		p, err := tensor.Encode(t)
		if err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

// signatures returns the model's SignatureDefMap from GET .../metadata,
// cached per model URL for the life of the transport.
func (t *Transport) signatures(ctx context.Context, model string) (*apis.SignatureDefMap, error) {
	t.mu.Lock()
	sigs, ok := t.metadata[model]
	t.mu.Unlock()
	if ok {
		return sigs, nil
	}
	data, err := t.do(ctx, http.MethodGet, model+"/metadata", nil)
	if err != nil {
		return nil, err
	}
	_, sigs, err = parseMetadata(data)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.metadata[model] = sigs
	t.mu.Unlock()
	return sigs, nil
}

// parseMetadata reads {"model_spec": <ModelSpec>, "metadata": {"signature_def":
// <SignatureDefMap>}}, both as proto3 JSON.
func parseMetadata(data []byte) (*apis.ModelSpec, *apis.SignatureDefMap, error) {
	var doc struct {
		ModelSpec json.RawMessage `json:"model_spec"`
		Metadata  struct {
			SignatureDef json.RawMessage `json:"signature_def"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, badJSON("metadata: %v", err)
	}
	if len(doc.Metadata.SignatureDef) == 0 {
		return nil, nil, badJSON("metadata has no signature_def")
	}
	lenient := protojson.UnmarshalOptions{DiscardUnknown: true}
	sigs := &apis.SignatureDefMap{}
	if err := lenient.Unmarshal(doc.Metadata.SignatureDef, sigs); err != nil {
		return nil, nil, badJSON("metadata signature_def: %v", err)
	}
	spec := &apis.ModelSpec{}
	if len(doc.ModelSpec) > 0 {
		if err := lenient.Unmarshal(doc.ModelSpec, spec); err != nil {
			return nil, nil, badJSON("metadata model_spec: %v", err)
		}
	}
	return spec, sigs, nil
}

// modelMetadata answers GetModelMetadata from GET .../metadata, which serves
// signature_def only: REST cannot ask for another metadata_field.
func (t *Transport) modelMetadata(ctx context.Context, req *apis.GetModelMetadataRequest) (*apis.GetModelMetadataResponse, error) {
	if f := req.GetMetadataField(); len(f) != 1 || f[0] != "signature_def" {
		return nil, status.Errorf(status.InvalidArgument, "REST metadata serves signature_def only, not %v", f)
	}
	data, err := t.do(ctx, http.MethodGet, t.modelURL(req.GetModelSpec())+"/metadata", nil)
	if err != nil {
		return nil, err
	}
	spec, sigs, err := parseMetadata(data)
	if err != nil {
		return nil, err
	}
	packed := &anypb.Any{
		TypeUrl: "type.googleapis.com/" + string(sigs.ProtoReflect().Descriptor().FullName()),
		Value:   canonical.Marshal(sigs),
	}
	return &apis.GetModelMetadataResponse{ModelSpec: spec, Metadata: map[string]*anypb.Any{"signature_def": packed}}, nil
}

// do sends one HTTP request and returns the body of a 200 answer; any other
// status becomes the code TF Serving's mapping gives back, with http_status.
func (t *Transport) do(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	return send(ctx, t.client, method, url, body)
}

// send is do for any client of this package.
func send(ctx context.Context, client *http.Client, method, url string, body []byte) ([]byte, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return nil, status.Errorf(status.InvalidArgument, "bad request URL %s: %v", url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return roundTrip(client, req)
}

// sendBody POSTs body, a pooled buffer, and calls release once net/http is
// done with it: every request body it was lent (the first, and any copy
// GetBody made for a retry) is closed and Do has returned. RoundTrip may still
// be writing a body after Do returns (an answer that comes early): then the
// buffer is left to the garbage collector instead.
func sendBody(ctx context.Context, client *http.Client, url string, body []byte, release func()) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		release()
		return nil, status.Errorf(status.InvalidArgument, "bad request URL %s: %v", url, err)
	}
	lent := &lentBody{data: body}
	req.Body, req.ContentLength = lent.open(), int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return lent.open(), nil }
	req.Header.Set("Content-Type", "application/json")
	data, err := roundTrip(client, req)
	if lent.unread.Load() == 0 {
		release()
	}
	return data, err
}

// lentBody counts the readers of one request body that net/http has not
// closed yet.
type lentBody struct {
	data   []byte
	unread atomic.Int32
}

func (b *lentBody) open() io.ReadCloser {
	b.unread.Add(1)
	return &lentReader{Reader: bytes.NewReader(b.data), owner: b}
}

type lentReader struct {
	*bytes.Reader
	owner  *lentBody
	closed atomic.Bool
}

func (r *lentReader) Close() error {
	if r.closed.CompareAndSwap(false, true) {
		r.owner.unread.Add(-1)
	}
	return nil
}

// roundTrip sends req and returns the body of a 200 answer; any other status
// becomes the code TF Serving's mapping gives back, with http_status.
func roundTrip(client *http.Client, req *http.Request) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp)
	if err != nil {
		return nil, transportError(err)
	}
	if resp.StatusCode == http.StatusOK {
		return data, nil
	}
	return nil, &status.Error{
		Code:       status.CodeForHTTP(resp.StatusCode),
		Message:    errorMessage(data, resp.Status),
		HTTPStatus: resp.StatusCode,
	}
}

// readBody reads resp's body to its end (so the connection is reused), at
// most maxBody bytes, in one allocation when the server sent a Content-Length.
func readBody(resp *http.Response) ([]byte, error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxBody {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead free to read EOF
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBody))
	return buf.Bytes(), err
}

// errorMessage is the "error" member of a TF Serving error body, else the
// body itself (trimmed), else the HTTP status line.
func errorMessage(body []byte, fallback string) string {
	var doc struct {
		Error *string `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error != nil {
		return *doc.Error
	}
	if s := strings.TrimSpace(string(body)); s != "" {
		if len(s) > 500 {
			s = s[:500] + "…"
		}
		return s
	}
	return fallback
}

// transportError maps a failure below HTTP: the deadline is DEADLINE_EXCEEDED,
// cancellation CANCELLED, anything else (refused, reset) UNAVAILABLE.
func transportError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Errorf(status.DeadlineExceeded, "%v", err)
	case errors.Is(err, context.Canceled):
		return status.Errorf(status.Cancelled, "%v", err)
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return status.Errorf(status.DeadlineExceeded, "%v", err)
	}
	return status.Errorf(status.Unavailable, "%v", err)
}
