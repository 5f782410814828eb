package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"google.golang.org/grpc"

	"tfinterop.dev/clients/go/internal/inproc"
	"tfinterop.dev/clients/go/internal/tensor"
	"tfinterop.dev/clients/go/internal/tfcapi"
	"tfinterop.dev/clients/go/internal/transport"
)

func infoCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	dtypes := make([]string, 0, len(tensor.DTypes()))
	for _, d := range tensor.DTypes() {
		dtypes = append(dtypes, tensor.Name(d))
	}
	versions := map[string]string{"library": inproc.Library()}
	if version, err := tfcapi.Version(); err != nil {
		versions["tensorflow_error"] = err.Error()
	} else {
		versions["tensorflow"] = version
	}
	versions["grpc"] = grpc.Version
	versions["protobuf"] = moduleVersion("google.golang.org/protobuf")
	info := map[string]any{
		"client":   Client,
		"language": runtime.Version(),
		"modes":    transport.Modes,
		"apis":     transport.APIs,
		"dtypes":   dtypes,
		"runtime":  versions,
	}
	line, err := json.Marshal(info)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(line))
	return nil
}

// moduleVersion is the version of a dependency built into this binary.
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "unknown"
}
