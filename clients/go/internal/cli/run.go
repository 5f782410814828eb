package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/results"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

func runCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var flags common
	var dirs listFlag
	var out string
	flags.register(fs)
	fs.Var(&dirs, "cases", "case folder (repeatable)")
	fs.StringVar(&out, "out", "", "results root")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := flags.check(); err != nil {
		return err
	}
	if len(dirs) == 0 {
		return usagef("--cases is required")
	}
	if out == "" {
		return usagef("--out is required")
	}
	// Every case set is read and verified before anything runs or is written.
	manifests := make([]*cases.Manifest, len(dirs))
	for i, dir := range dirs {
		m, err := cases.Read(dir)
		if err != nil {
			return err
		}
		manifests[i] = m
	}
	// The modes run one after another in this process (TensorFlow, op
	// libraries and the case sets are loaded once); each mode's transports
	// are checked before anything runs and closed when the mode is done.
	perMode := make([]*transports, len(flags.modes))
	for i, mode := range flags.modes {
		modeFlags := flags
		modeFlags.mode = mode
		perMode[i] = newTransports(modeFlags, manifests, stderr)
	}
	defer func() {
		for _, ts := range perMode {
			ts.Close()
		}
	}()
	for _, ts := range perMode {
		if err := ts.check(); err != nil {
			return err
		}
	}
	deadline := time.Duration(flags.deadlineMs) * time.Millisecond
	for _, ts := range perMode {
		// An error stops the modes not yet run; folders already written stay.
		if err := runMode(ts, manifests, out, deadline, stdout, stderr); err != nil {
			return err
		}
		ts.Close()
	}
	return nil
}

// runMode replays every case set through the transports of one mode and
// prints each result folder once it is in place.
func runMode(ts *transports, manifests []*cases.Manifest, out string, deadline time.Duration, stdout, progress io.Writer) error {
	for _, m := range manifests {
		t, err := ts.For(m)
		if err != nil {
			return err
		}
		dir, err := runCases(t, m, out, deadline, progress)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, dir)
	}
	return nil
}

type caseRun struct {
	Status    string   `json:"status"`
	LatencyUs *float64 `json:"latency_us,omitempty"`
}

type runFile struct {
	Client  string             `json:"client"`
	Mode    string             `json:"mode"`
	Model   string             `json:"model"`
	Runtime map[string]string  `json:"runtime"`
	Cases   map[string]caseRun `json:"cases"`
}

// runCases replays every case of m through t into OUT/go/<mode>/<model>/ and
// returns that folder. An error here means the client could not do its job.
func runCases(t transport.Transport, m *cases.Manifest, out string, deadline time.Duration, progress io.Writer) (string, error) {
	w, err := results.Create(out, Client, t.Name(), m.Model)
	if err != nil {
		return "", err
	}
	committed := false
	defer func() {
		if !committed {
			w.Abort()
		}
	}()
	run := runFile{Client: Client, Mode: t.Name(), Model: m.Model, Cases: map[string]caseRun{}}
	// Each response is written before the next request, so the caller may
	// answer into the one it kept (in-process: as bench's callers do).
	caller := transport.NewCaller(t)
	for i := range m.Cases {
		c := &m.Cases[i]
		if !c.AppliesTo(t.Name()) {
			reason := "case does not apply to " + t.Name()
			if cases.IsV2(t.Name()) && c.V2 == nil {
				reason += ": it has no v2 form"
			}
			if err := w.Skipped(c.ID, reason); err != nil {
				return "", err
			}
			run.Cases[c.ID] = caseRun{Status: "skipped"}
			continue
		}
		msg, err := c.RequestFor(t.Name())
		if err != nil {
			return "", err
		}
		req := transport.Request{API: c.API, Message: msg, RestFormat: c.RestFormat}
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		resp, callErr := caller.Call(ctx, req)
		elapsed := time.Since(start)
		cancel()
		latency := math.Round(float64(elapsed.Nanoseconds())/100) / 10
		outcome := "ok"
		if callErr != nil {
			outcome = "error"
			err = w.Error(c.ID, status.FromError(callErr))
		} else {
			err = w.Response(c.ID, resp)
		}
		if err != nil {
			return "", err
		}
		run.Cases[c.ID] = caseRun{Status: outcome, LatencyUs: &latency}
		detail := ""
		if callErr != nil {
			detail = " " + status.FromError(callErr).Code.String()
		}
		fmt.Fprintf(progress, "[%d/%d] %s/%s %s: %s%s\n", i+1, len(m.Cases), t.Name(), m.Model, c.ID, outcome, detail)
	}
	run.Runtime = map[string]string{"language": runtime.Version()}
	for k, v := range t.Runtime() {
		run.Runtime[k] = v
	}
	if err := w.JSON("run.json", run); err != nil {
		return "", err
	}
	if err := w.Commit(); err != nil {
		return "", err
	}
	committed = true
	return w.Dir(), nil
}
