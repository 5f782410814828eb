// Command tfinterop-go replays golden TF Serving cases in-process (TensorFlow
// C API), over gRPC or over REST, and writes typed results (docs/CONTRACT.md).
package main

import (
	"os"

	"tfinterop.dev/clients/go/internal/cli"
	"tfinterop.dev/clients/go/internal/quiet"
)

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == quiet.ChildArg {
		os.Exit(quiet.RunChild())
	}
	// TensorFlow is loaded later, on first use; its logging is filtered from
	// here on unless asked for. Without a filter the client still runs.
	stop := func() {}
	if !quiet.Verbose(args) {
		if exe, err := os.Executable(); err == nil {
			if s, err := quiet.Start(exe); err == nil {
				stop = s
			}
		}
	}
	code := cli.Main(args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
