package cli

import (
	"fmt"
	"io"

	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/grpcx"
	"tfinterop.dev/clients/go/internal/inproc"
	"tfinterop.dev/clients/go/internal/rest"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// transports builds the transports of one mode (one per model config for
// inproc, so a model loads once however many case folders use it).
type transports struct {
	flags common
	// manifests are every case set of the run: in inproc mode all their op
	// libraries load before the first model does.
	manifests   []*cases.Manifest
	progress    io.Writer
	opLibraries bool // loaded
	open        map[string]transport.Transport
}

func newTransports(flags common, manifests []*cases.Manifest, progress io.Writer) *transports {
	return &transports{flags: flags, manifests: manifests, progress: progress, open: map[string]transport.Transport{}}
}

// For returns the transport for the case set m. In inproc mode, when one of
// m's op libraries failed to load, every call of that transport answers with
// the loader's error.
func (ts *transports) For(m *cases.Manifest) (transport.Transport, error) {
	key := ts.flags.mode
	if key == "inproc" {
		t, err := ts.runtime(m)
		if err != nil {
			return nil, err
		}
		// Each path loaded once: this returns the outcomes kept then.
		if err := inproc.LoadOpLibraries(ts.opLibrariesOf(m)); err != nil {
			return inproc.WithOpLibraryError(t, err), nil
		}
		return t, nil
	}
	if t, ok := ts.open[key]; ok {
		return t, nil
	}
	var (
		t   transport.Transport
		err error
	)
	switch key {
	case "grpc":
		t, err = grpcx.New(ts.flags.target)
	case "rest":
		t, err = rest.New(ts.flags.rest)
	case cases.V2GRPC:
		t, err = grpcx.NewV2(ts.flags.target)
	case cases.V2REST:
		t, err = rest.NewV2(ts.flags.rest)
	default:
		return nil, usagef("unknown mode %q", key)
	}
	if err != nil {
		return nil, usagef("%v", err)
	}
	ts.open[key] = t
	return t, nil
}

// Inproc is the in-process transport of m's model config in any mode: the
// one an inproc run of m calls, else one of its own (bench's reference runs
// in process whatever the mode). The error is why m cannot run in process,
// the failure of an op library m needs included.
func (ts *transports) Inproc(m *cases.Manifest) (*inproc.Transport, error) {
	t, err := ts.runtime(m)
	if err != nil {
		return nil, err
	}
	if err := inproc.LoadOpLibraries(ts.opLibrariesOf(m)); err != nil {
		return nil, err
	}
	return t, nil
}

// runtime is the in-process transport of m's model config, opened once, with
// the op libraries of the whole run loaded.
func (ts *transports) runtime(m *cases.Manifest) (*inproc.Transport, error) {
	config, err := ts.configOf(m)
	if err != nil {
		return nil, err
	}
	key := "inproc:" + config
	t, ok := ts.open[key].(*inproc.Transport)
	if !ok {
		if t, err = inproc.New(config); err != nil {
			return nil, err
		}
		ts.open[key] = t
	}
	ts.loadOpLibraries()
	return t, nil
}

// configOf is the model config an inproc run of m loads: --model-config,
// else the manifest's.
func (ts *transports) configOf(m *cases.Manifest) (string, error) {
	if ts.flags.modelConfig != "" {
		return ts.flags.modelConfig, nil
	}
	if m.ConfigPath == "" {
		return "", usagef("--mode inproc needs a model config: %s/manifest.json names none and --model-config is not given", m.Dir)
	}
	return m.ConfigPath, nil
}

// check finds the usage errors of the mode before anything runs: an inproc
// case set without a model config (TensorFlow is not loaded here), a bad
// --target or --rest (the network transport is opened: it does not connect).
func (ts *transports) check() error {
	if ts.flags.mode == "inproc" {
		for _, m := range ts.manifests {
			if _, err := ts.configOf(m); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := ts.For(ts.manifests[0])
	return err
}

// loadOpLibraries loads the op libraries of the whole run, --op-library's
// first, each path once, on the first inproc use: before any model loads,
// since a graph that uses a custom op cannot load until the op is registered.
func (ts *transports) loadOpLibraries() {
	if ts.opLibraries {
		return
	}
	ts.opLibraries = true
	seen := map[string]bool{}
	for _, m := range ts.manifests {
		for _, path := range ts.opLibrariesOf(m) {
			if seen[path] {
				continue
			}
			seen[path] = true
			outcome := "loaded"
			if err := inproc.LoadOpLibraries([]string{path}); err != nil {
				outcome = status.FromError(err).Code.String() + " (each inproc case of the case sets that need it gets this error)"
			}
			fmt.Fprintf(ts.progress, "op library %s: %s\n", path, outcome)
		}
	}
}

// opLibrariesOf is what the case set m needs: --op-library's libraries, then
// its manifest's model.op_libraries.
func (ts *transports) opLibrariesOf(m *cases.Manifest) []string {
	return append(append([]string(nil), ts.flags.opLibraries...), m.OpLibraries...)
}

// Close closes every transport; a later Close does nothing.
func (ts *transports) Close() {
	for _, t := range ts.open {
		_ = t.Close()
	}
	clear(ts.open)
}
