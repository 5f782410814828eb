// Package transport is the one interface every mode implements (run one case
// request, get a response or a canonical error) and the table of which APIs
// each mode serves.
package transport

import (
	"context"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/cases"
)

// Request is one case's request as a transport needs it.
type Request struct {
	API string // a cases API: predict, metadata, ...
	// Message is the TF Serving request message for API, or in the v2 modes
	// an inference.ModelInferRequest.
	Message proto.Message
	// RestFormat is the case's rest_format (columnar or row); only REST reads it.
	RestFormat string
}

// Transport runs requests through one mode. Call returns the response message
// for the request's API, or an error carrying a canonical code (*status.Error).
type Transport interface {
	Name() string
	Call(ctx context.Context, req Request) (proto.Message, error)
	// Runtime describes what executed the requests, for run.json.
	Runtime() map[string]string
	Close() error
}

// Caller runs the requests of one goroutine at a time.
type Caller interface {
	Call(ctx context.Context, req Request) (proto.Message, error)
}

// Reuser is a Transport that answers a caller's requests into memory it
// keeps for that caller, so that a warm caller allocates no response: the
// message a Caller of NewCaller returns is valid until that Caller's next
// call. The in-process mode is one.
type Reuser interface {
	NewCaller() Caller
}

// NewCaller is t's reusing Caller when t is a Reuser, else t itself (whose
// responses are the caller's to keep): for a loop that is done with each
// response before its next request.
func NewCaller(t Transport) Caller {
	if r, ok := t.(Reuser); ok {
		return r.NewCaller()
	}
	return t
}

// Modes lists the modes in the order the CLI reports them.
var Modes = []string{"inproc", "grpc", "rest", cases.V2GRPC, cases.V2REST}

// APIs is the capability table: which case APIs each mode serves. Classify,
// regress and multi_inference are server APIs (docs/CONTRACT.md); the v2
// modes carry predict cases only, in their v2 form.
var APIs = map[string][]string{
	"inproc":     {cases.Predict, cases.Metadata},
	"grpc":       {cases.Predict, cases.Classify, cases.Regress, cases.MultiInference, cases.Metadata},
	"rest":       {cases.Predict, cases.Classify, cases.Regress, cases.Metadata},
	cases.V2GRPC: {cases.Predict},
	cases.V2REST: {cases.Predict},
}
