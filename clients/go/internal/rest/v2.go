package rest

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// V2Transport is the v2rest mode: the Open Inference Protocol's REST API
// (POST {rest}/v2/models/{name}[/versions/{v}]/infer). It sends a case's
// ModelInferRequest as JSON and turns the answer back into a
// ModelInferResponse; errors map from the HTTP status as for rest. It is
// safe for concurrent use.
type V2Transport struct {
	base   string
	client *http.Client
}

// NewV2 prepares a client for base (e.g. http://127.0.0.1:8501).
func NewV2(base string) (*V2Transport, error) {
	client, err := newClient(base)
	if err != nil {
		return nil, err
	}
	return &V2Transport{base: strings.TrimRight(base, "/"), client: client}, nil
}

// Name is the mode name.
func (t *V2Transport) Name() string { return "v2rest" }

// Runtime reports the HTTP client; the server ran the model.
func (t *V2Transport) Runtime() map[string]string {
	return map[string]string{"http": "net/http", "rest": t.base}
}

// Close drops idle connections.
func (t *V2Transport) Close() error {
	t.client.CloseIdleConnections()
	return nil
}

// Call sends one ModelInferRequest. Errors carry the code the HTTP status
// maps back to, and the status itself; a request JSON cannot express fails
// before anything is sent.
func (t *V2Transport) Call(ctx context.Context, req transport.Request) (proto.Message, error) {
	m, ok := req.Message.(*inference.ModelInferRequest)
	if !ok {
		return nil, status.Errorf(status.Unimplemented, "api %s is not implemented by the Go v2 REST client", req.API)
	}
	body, err := inferBody(m)
	if err != nil {
		return nil, err
	}
	data, err := send(ctx, t.client, http.MethodPost, t.inferURL(m), body)
	if err != nil {
		return nil, err
	}
	return inferResponse(data)
}

// inferURL is {base}/v2/models/{name}[/versions/{v}]/infer; "" is the
// server's choice of version.
func (t *V2Transport) inferURL(req *inference.ModelInferRequest) string {
	u := t.base + "/v2/models/" + url.PathEscape(req.GetModelName())
	if v := req.GetModelVersion(); v != "" {
		u += "/versions/" + url.PathEscape(v)
	}
	return u + "/infer"
}
