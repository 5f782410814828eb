package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"tfinterop.dev/clients/go/internal/bench"
	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/transport"
)

type benchLine struct {
	Client string `json:"client"`
	Mode   string `json:"mode"`
	Case   string `json:"case"`
	Batch  int64  `json:"batch"`
	bench.Result
}

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
	call := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		_, err := t.Call(ctx, req)
		return err
	}
	if flags.mode == "inproc" {
		// --deadline-ms is for the network modes: an in-process run has no
		// deadline, so the timed loop arms no timer.
		call = func(ctx context.Context) error {
			_, err := t.Call(ctx, req)
			return err
		}
	}
	fmt.Fprintf(stderr, "bench %s/%s %s: %d requests at concurrency %d after %d warmup\n", flags.mode, m.Model, id, requests, concurrency, warmup)
	result := bench.Run(context.Background(), call, requests, concurrency, warmup)
	line, err := json.Marshal(benchLine{Client: Client, Mode: flags.mode, Case: id, Batch: batchOf(msg), Result: result})
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
