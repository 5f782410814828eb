// Package cli is tfinterop-go's command line (docs/CONTRACT.md): run, bench
// and info, exit 0 when the command did its job, 2 on bad usage, 1 when the
// client itself could not run. Stdout carries only the command's output.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"tfinterop.dev/clients/go/internal/transport"
)

// Client is this client's name in result paths and reports.
const Client = "go"

const usage = `usage:
  tfinterop-go run   --mode MODE[,MODE...] --cases DIR [--cases DIR ...] --out DIR
                     [--model-config FILE] [--op-library PATH ...] [--target HOST:PORT]
                     [--rest URL] [--deadline-ms N]
                     (MODE: inproc, grpc, rest, v2grpc, v2rest; a list runs in one process)
  tfinterop-go bench --mode inproc|grpc|rest|v2grpc|v2rest --cases DIR --case ID --requests N
                     --concurrency C [--warmup N] [--model-config FILE] [--op-library PATH ...]
                     [--target] [--rest] [--deadline-ms N]
  tfinterop-go info
every command takes --verbose: show TensorFlow's own log lines (also TFINTEROP_VERBOSE=1)
`

// usageError is bad usage: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// Main runs the command in args (without the program name) and returns the
// exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = runCommand(args[1:], stdout, stderr)
	case "bench":
		err = benchCommand(args[1:], stdout, stderr)
	case "info":
		err = infoCommand(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usagef("unknown command %q (want run, bench or info)", args[0])
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tfinterop-go: usage error: %s\n", oneLine(err.Error()))
		return 2
	default:
		fmt.Fprintf(stderr, "tfinterop-go: error: %s\n", oneLine(err.Error()))
		return 1
	}
}

// common are the flags run and bench share.
type common struct {
	// mode is the one mode a transport set serves; for run, --mode's list is
	// modes and mode is set to each in turn.
	mode        string
	modes       []string
	modelConfig string
	// opLibraries are --op-library's paths, absolute after check, in order:
	// loaded in inproc mode before any model, for every case set.
	opLibraries listFlag
	target      string
	rest        string
	deadlineMs  int
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.mode, "mode", "", "inproc, grpc, rest, v2grpc or v2rest (run: a comma-separated list)")
	fs.StringVar(&c.modelConfig, "model-config", "", "model config overriding the manifest's (inproc only)")
	fs.Var(&c.opLibraries, "op-library", "custom-op library to load before the model (inproc only; repeatable)")
	fs.StringVar(&c.target, "target", "127.0.0.1:8500", "gRPC target host:port")
	fs.StringVar(&c.rest, "rest", "http://127.0.0.1:8501", "REST base URL")
	fs.IntVar(&c.deadlineMs, "deadline-ms", 30000, "per-call deadline over the network modes")
}

func (c *common) check() error {
	modes, err := parseModes(c.mode)
	if err != nil {
		return err
	}
	c.modes = modes
	if c.deadlineMs <= 0 {
		return usagef("--deadline-ms must be positive")
	}
	// Relative to the working directory, not searched for on the loader's
	// path, so that each file is one path however it was spelled.
	for i, lib := range c.opLibraries {
		if lib == "" {
			return usagef("--op-library needs a path")
		}
		abs, err := filepath.Abs(lib)
		if err != nil {
			return usagef("--op-library %q: %v", lib, err)
		}
		c.opLibraries[i] = abs
	}
	return nil
}

// parseModes splits --mode's comma-separated list (docs/CONTRACT.md "Several
// modes in one process"); an empty item, an unknown or a repeated mode is a
// usage error.
func parseModes(flag string) ([]string, error) {
	want := strings.Join(transport.Modes, ", ")
	if flag == "" {
		return nil, usagef("--mode is required (%s)", want)
	}
	modes := strings.Split(flag, ",")
	for i, mode := range modes {
		switch {
		case mode == "":
			return nil, usagef("--mode %q has an empty item (want a comma-separated list of %s)", flag, want)
		case !slices.Contains(transport.Modes, mode):
			return nil, usagef("unknown --mode %q (want %s)", mode, want)
		case slices.Contains(modes[:i], mode):
			return nil, usagef("--mode %q names %s twice", flag, mode)
		}
	}
	return modes, nil
}

// parse parses flags; a flag error is a usage error, -h is flag.ErrHelp.
// Every command accepts --verbose; main acts on it before TensorFlow loads
// (quiet.Verbose), so its value is not needed here.
func parse(fs *flag.FlagSet, args []string) error {
	fs.Usage = func() {}
	fs.Bool("verbose", false, "show TensorFlow's own log lines")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(fs.Output(), usage)
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
