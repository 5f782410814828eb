package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"tfinterop.dev/clients/go/internal/bench"
	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/tfcapi"
	"tfinterop.dev/clients/go/internal/transport"
)

type benchLine struct {
	Client string `json:"client"`
	Mode   string `json:"mode"`
	Case   string `json:"case"`
	Batch  int64  `json:"batch"`
	bench.Result
	// The client's (and, over a network, the server's) time per request over
	// the reference's: only when no measured request failed.
	OverheadRatioP50  *float64 `json:"overhead_ratio_p50,omitempty"`
	OverheadRatioMean *float64 `json:"overhead_ratio_mean,omitempty"`
	// referenceLine, or {"error": why it could not run}.
	Reference any `json:"reference"`
}

// referenceLine is the bare TF_SessionRun loop's figures, keyed as the C++
// client's.
type referenceLine struct {
	bench.Latency
	What     string `json:"what"`
	Requests int    `json:"requests"`
}

type referenceError struct {
	Error string `json:"error"`
}

// bareWhat says what the reference measured.
const bareWhat = "bare TF_SessionRun, prepared tensors, one cgo call per run, the bench's goroutine and OS thread, same process"

func benchCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var flags common
	var dir, id string
	var requests, concurrency, warmup int
	flags.register(fs)
	fs.StringVar(&dir, "cases", "", "case folder")
	fs.StringVar(&id, "case", "", "case id")
	fs.IntVar(&requests, "requests", 0, "number of measured requests")
	fs.IntVar(&concurrency, "concurrency", 0, "concurrent callers (required)")
	fs.IntVar(&warmup, "warmup", 10, "unmeasured requests first")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := flags.check(); err != nil {
		return err
	}
	switch {
	case len(flags.modes) > 1:
		return usagef("bench takes one --mode, not a list (%q)", flags.mode)
	case dir == "":
		return usagef("--cases is required")
	case id == "":
		return usagef("--case is required")
	case requests <= 0:
		return usagef("--requests must be positive")
	case concurrency <= 0:
		return usagef("--concurrency is required and must be positive")
	case warmup < 0:
		return usagef("--warmup must not be negative")
	}
	m, err := cases.Read(dir)
	if err != nil {
		return err
	}
	c := m.Find(id)
	if c == nil {
		return usagef("case %q is not in %s", id, dir)
	}
	if !c.AppliesTo(flags.mode) {
		return usagef("case %s does not apply to %s", id, flags.mode)
	}
	msg, err := c.RequestFor(flags.mode)
	if err != nil {
		return err
	}
	ts := newTransports(flags, []*cases.Manifest{m}, stderr)
	defer ts.Close()
	t, err := ts.For(m)
	if err != nil {
		return err
	}
	req := transport.Request{API: c.API, Message: msg, RestFormat: c.RestFormat}
	deadline := time.Duration(flags.deadlineMs) * time.Millisecond
	// Each worker calls through a caller of its own, which may answer into
	// the response it kept from its last call (in-process: no allocation),
	// as run's loop does: the bench discards every response.
	newCall := func() bench.Call {
		c := transport.NewCaller(t)
		if flags.mode == "inproc" {
			// --deadline-ms is for the network modes: an in-process run has
			// no deadline, so the timed loop arms no timer.
			return func(ctx context.Context) error {
				_, err := c.Call(ctx, req)
				return err
			}
		}
		return func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, deadline)
			defer cancel()
			_, err := c.Call(ctx, req)
			return err
		}
	}
	bare, refErr := bareReference(ts, m, c, msg)
	var reference bench.Reference
	if bare != nil {
		defer bare.Close() // before ts.Close: it runs on a session ts holds
		reference = bare.Run
	}
	fmt.Fprintf(stderr, "bench %s/%s %s: %d requests at concurrency %d after %d warmup\n", flags.mode, m.Model, id, requests, concurrency, warmup)
	result, refLatency, err := bench.RunWithReference(context.Background(), newCall, reference, requests, concurrency, warmup)
	if refErr == nil {
		refErr = err
	}
	out := benchLine{Client: Client, Mode: flags.mode, Case: id, Batch: batchOf(msg), Result: result}
	if refErr != nil {
		out.Reference = referenceError{Error: refErr.Error()}
	} else {
		out.Reference = referenceLine{Latency: refLatency, What: bareWhat, Requests: requests}
		// Ratios only mean something when every measured request succeeded.
		if result.Errors == 0 && refLatency.MeanUs > 0 {
			p50 := round2(result.P50us / max(refLatency.P50us, 0.1))
			mean := round2(result.MeanUs / refLatency.MeanUs)
			out.OverheadRatioP50, out.OverheadRatioMean = &p50, &mean
		}
	}
	line, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(line))
	return nil
}

// batchOf is the first dimension of the request's first input (in alias
// order; a v2 request's inputs are a list: its first) for predict, else 1.
func batchOf(msg any) int64 {
	if req, ok := msg.(*inference.ModelInferRequest); ok {
		if inputs := req.GetInputs(); len(inputs) > 0 && len(inputs[0].GetShape()) > 0 {
			return inputs[0].GetShape()[0]
		}
		return 1
	}
	req, ok := msg.(*apis.PredictRequest)
	if !ok {
		return 1
	}
	first := ""
	for alias := range req.GetInputs() {
		if first == "" || alias < first {
			first = alias
		}
	}
	if dims := req.GetInputs()[first].GetTensorShape().GetDim(); len(dims) > 0 {
		return dims[0].GetSize()
	}
	return 1
}

// bareReference prepares the bench's bare TF_SessionRun of the case's
// PredictRequest (in v2 modes too: the same tensors). In inproc mode it runs
// on the client's own session; in the other modes on an in-process runtime of
// its own, with the case set's op libraries, as the C++ client's does. The
// error says why there is none.
func bareReference(ts *transports, m *cases.Manifest, c *cases.Case, msg any) (*tfcapi.Bare, error) {
	if c.API != cases.Predict {
		return nil, errors.New("the reference runs predict cases only")
	}
	req, ok := msg.(*apis.PredictRequest)
	if !ok {
		parsed, err := c.ParseRequest()
		if err != nil {
			return nil, err
		}
		if req, ok = parsed.(*apis.PredictRequest); !ok {
			return nil, errors.New("the reference runs predict cases only")
		}
	}
	t, err := ts.Inproc(m)
	if err != nil {
		return nil, err
	}
	return t.Bare(req)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
