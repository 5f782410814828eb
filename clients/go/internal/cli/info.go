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
	// The Go codec and the C API carry every dtype the suite uses (tensor.DTypes), in
	// every mode: nothing is unsupported. The key is in the contract so the registry
	// check reads the same shape from every client.
	unsupported := make(map[string][]string, len(transport.Modes))
	for _, mode := range transport.Modes {
		unsupported[mode] = missingDTypes(tensor.DTypes())
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
		"client":             Client,
		"language":           runtime.Version(),
		"modes":              transport.Modes,
		"apis":               transport.APIs,
		"unsupported_dtypes": unsupported,
		"runtime":            versions,
	}
	line, err := json.Marshal(info)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(line))
	return nil
}

// allDTypes are the dtypes the suite's cases and registry name (docs/CONTRACT.md).
var allDTypes = []string{
	"float", "double", "half", "bfloat16", "int8", "int16", "int32", "int64", "uint8",
	"uint16", "uint32", "uint64", "bool", "string", "complex64", "complex128",
}

// missingDTypes lists the suite's dtypes the codec lacks (never nil: JSON [] not null).
func missingDTypes(have []tensor.DType) []string {
	names := make(map[string]bool, len(have))
	for _, d := range have {
		names[tensor.Name(d)] = true
	}
	missing := []string{}
	for _, name := range allDTypes {
		if !names[name] {
			missing = append(missing, name)
		}
	}
	return missing
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
