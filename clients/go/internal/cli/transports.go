package cli

import (
	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/grpcx"
	"tfinterop.dev/clients/go/internal/inproc"
	"tfinterop.dev/clients/go/internal/rest"
	"tfinterop.dev/clients/go/internal/transport"
)

// transports builds one transport per mode (per model config for inproc, so
// a model loads once however many case folders use it).
type transports struct {
	flags common
	open  map[string]transport.Transport
}

func newTransports(flags common) *transports {
	return &transports{flags: flags, open: map[string]transport.Transport{}}
}

// For returns the transport for the case set m.
func (ts *transports) For(m *cases.Manifest) (transport.Transport, error) {
	key := ts.flags.mode
	if key == "inproc" {
		config := ts.flags.modelConfig
		if config == "" {
			config = m.ConfigPath
		}
		if config == "" {
			return nil, usagef("--mode inproc needs a model config: %s/manifest.json names none and --model-config is not given", m.Dir)
		}
		key += ":" + config
		if t, ok := ts.open[key]; ok {
			return t, nil
		}
		t, err := inproc.New(config)
		if err != nil {
			return nil, err
		}
		ts.open[key] = t
		return t, nil
	}
	if t, ok := ts.open[key]; ok {
		return t, nil
	}
	var (
		t   transport.Transport
		err error
	)
	if key == "grpc" {
		t, err = grpcx.New(ts.flags.target)
	} else {
		t, err = rest.New(ts.flags.rest)
	}
	if err != nil {
		return nil, usagef("%v", err)
	}
	ts.open[key] = t
	return t, nil
}

// Close closes every transport.
func (ts *transports) Close() {
	for _, t := range ts.open {
		_ = t.Close()
	}
}
