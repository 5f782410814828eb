package quiet

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// Lines TensorFlow 2.21 (the wheel's C API) and TF Java's 2.18 print, verbatim.
const tfLog = `WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796119211.562237   16860 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1796119211.687258   16860 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1796119211.687618   16860 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
W0000 00:00:1796119216.676173   16918 local_rendezvous.cc:412] Local rendezvous is aborting with status: INVALID_ARGUMENT: Input to reshape is a tensor with 756 values
	 [[{{function_node __inference___call___6234}}{{node mnist_1/flatten_1/Reshape}}]]
2026-12-01 10:02:30.163804: I tensorflow/cc/saved_model/reader.cc:83] Reading SavedModel from: /m/1
2026-12-01 10:02:30.169476: W tensorflow/core/framework/op_def_util.cc:371] NodeDef mentions attribute use_inter_op_parallelism which is not in the op definition
I0000 00:00:1796119211.1 1 util.cc:1] oneDNN custom operations are on. You may see slightly different numerical results.
oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors.
`

func TestFilterDropsTensorFlowLogRecords(t *testing.T) {
	var out bytes.Buffer
	if err := Filter(strings.NewReader(tfLog), &out); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("passed TensorFlow lines:\n%s", out.String())
	}
}

func TestFilterPassesEverythingElseUnchanged(t *testing.T) {
	tests := map[string]string{
		"progress":                "[1/42] inproc/mnist v1-test-0000: ok\n",
		"client error":            "tfinterop-go: error: case x: sha256 mismatch\n",
		"fatal record":            "F0000 00:00:1796119211.1 1 tensor.cc:1] Check failed: x\n",
		"go panic after a record": "I0000 00:00:1796119211.1 1 a.cc:1] loading\npanic: boom\n\ngoroutine 1 [running]:\n\tmain.main()\n",
		"indent without record":   "\tindented text\n",
		"no final newline":        "last words",
		"CRLF kept":               "line\r\n",
		"mentions but is not":     "the model said I0000 00:00:00 in a message\n",
		"empty lines":             "\n\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Filter(strings.NewReader(in), &out); err != nil {
				t.Fatal(err)
			}
			want := in
			if name == "go panic after a record" {
				want = strings.TrimPrefix(in, "I0000 00:00:1796119211.1 1 a.cc:1] loading\n")
			}
			if out.String() != want {
				t.Fatalf("got %q, want %q", out.String(), want)
			}
		})
	}
}

func TestVerboseIsTheFlagOrTheEnvironment(t *testing.T) {
	t.Setenv("TFINTEROP_VERBOSE", "")
	if Verbose([]string{"run", "--mode", "inproc"}) {
		t.Fatal("verbose without asking")
	}
	if !Verbose([]string{"run", "--verbose"}) {
		t.Fatal("--verbose ignored")
	}
	t.Setenv("TFINTEROP_VERBOSE", "0")
	if Verbose(nil) {
		t.Fatal("TFINTEROP_VERBOSE=0 is verbose")
	}
	t.Setenv("TFINTEROP_VERBOSE", "1")
	if !Verbose(nil) {
		t.Fatal("TFINTEROP_VERBOSE=1 ignored")
	}
}

// TestMain lets the test binary act as the filter child (Start re-runs the
// binary with ChildArg) and, with writeFD2, as a process that writes to fd 2
// through Start like the real CLI.
func TestMain(m *testing.M) {
	switch {
	case len(os.Args) == 2 && os.Args[1] == ChildArg:
		os.Exit(RunChild())
	case os.Getenv("QUIET_TEST_WRITER") == "1":
		stop, err := Start(os.Args[0])
		if err != nil {
			os.Exit(3)
		}
		// Straight to fd 2, as TensorFlow's C++ logging writes.
		syscall.Write(2, []byte(tfLog+"client line one\n"))
		os.Stderr.WriteString("client line two\n")
		stop()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestStartFiltersFD2OfTheWholeProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "QUIET_TEST_WRITER=1")
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if got, want := stderr.String(), "client line one\nclient line two\n"; got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}
