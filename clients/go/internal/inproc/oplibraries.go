package inproc

import (
	"context"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/tfcapi"
	"tfinterop.dev/clients/go/internal/transport"
)

// LoadOpLibraries registers the custom ops of every library in paths with
// TF_LoadLibrary, each path once per process (a repeated path returns its
// first outcome), and returns the first failure in paths' order, or nil. It
// tries every path whatever fails before it: other case sets may need them.
func LoadOpLibraries(paths []string) error {
	var first error
	for _, path := range paths {
		if err := tfcapi.LoadLibrary(path); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// WithOpLibraryError is t for a case set whose op library failed to load:
// every call answers with err, the loader's code and message
// (docs/CONTRACT.md, "Op libraries"), and no model is loaded for it.
func WithOpLibraryError(t *Transport, err error) transport.Transport {
	return opLibraryError{t: t, err: err}
}

type opLibraryError struct {
	t   *Transport
	err error
}

func (o opLibraryError) Name() string { return o.t.Name() }

func (o opLibraryError) Call(context.Context, transport.Request) (proto.Message, error) {
	return nil, o.err
}

func (o opLibraryError) Runtime() map[string]string { return o.t.Runtime() }

// Close leaves the shared transport to its owner.
func (o opLibraryError) Close() error { return nil }
