package tfcapi

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// customOpLibrary is the TfiAffine kernel (ops/tfi_affine.cc) built against
// the wheel; tests that need it skip when it has not been built.
func customOpLibrary(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "build", "ops", "libtfi_ops.so"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Skip("build/ops/libtfi_ops.so not built (make ops)")
	}
	return path
}

func loadedInThisProcess(path string) bool {
	opLibraries.mu.Lock()
	defer opLibraries.mu.Unlock()
	_, ok := opLibraries.loaded[path]
	return ok
}

func TestLoadLibraryRegistersTheCustomOp(t *testing.T) {
	lib := customOpLibrary(t)
	if !loadedInThisProcess(lib) {
		// Building a graph node (TF_FinishOperation) says INVALID_ARGUMENT;
		// loading a SavedModel that uses the op says NOT_FOUND (the cli tests).
		_, err := unarySession("TfiAffine", tensor.Float)
		if status.CodeOf(err) != status.InvalidArgument || !strings.Contains(err.Error(), "Op type not registered 'TfiAffine'") {
			t.Fatalf("before loading: %v, want INVALID_ARGUMENT Op type not registered", err)
		}
	}
	if err := LoadLibrary(lib); err != nil {
		t.Fatal(err)
	}
	// Relative and unclean spellings of the same file are the same library.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, lib)
	if err != nil {
		t.Fatal(err)
	}
	if err := LoadLibrary(filepath.Join(filepath.Dir(rel), ".", filepath.Base(rel))); err != nil {
		t.Fatalf("second load: %v", err)
	}
	s, err := unarySession("TfiAffine", tensor.Float)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in, _ := tensor.New(tensor.Float, []int64{3})
	for i, v := range []float64{0, 1.5, -4} {
		in.SetFloat(i, v)
	}
	out, err := s.Run([]Endpoint{{Op: "in"}}, []*tensor.Tensor{in}, []Endpoint{{Op: "out"}})
	if err != nil {
		t.Fatal(err)
	}
	// The op's default attributes: y = 2x + 1.
	for i, want := range []float64{1, 4, -7} {
		if got := out[0].Value(i); got != float32(want) {
			t.Fatalf("y[%d] = %v, want %v", i, got, want)
		}
	}
}

func TestLoadLibraryOfAMissingFileIsNotFoundWithTheLoadersMessage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "libmissing_ops.so")
	err := LoadLibrary(missing)
	var se *status.Error
	if !errors.As(err, &se) || se.Code != status.NotFound ||
		!strings.Contains(se.Message, missing+": cannot open shared object file") {
		t.Fatalf("got %v, want NOT_FOUND naming %s", err, missing)
	}
	// The outcome is kept: the path is not tried again.
	if again := LoadLibrary(missing); again != err {
		t.Fatalf("second call %v, want the first outcome", again)
	}
}
