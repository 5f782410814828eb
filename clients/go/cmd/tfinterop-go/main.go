// Command tfinterop-go replays golden TF Serving cases in-process (TensorFlow
// C API), over gRPC or over REST, and writes typed results (docs/CONTRACT.md).
package main

import (
	"os"

	"tfinterop.dev/clients/go/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
