package inproc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"tfinterop.dev/clients/go/internal/canonical"
	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// goldenCases is the MNIST case set `make export` writes; tests that need a
// real SavedModel skip when it has not been built.
func goldenCases(t *testing.T) *cases.Manifest {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "build", "cases", "mnist")
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Skip("build/cases/mnist not exported (make export)")
	}
	m, err := cases.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInprocAnswersEveryGoldenCaseExactly(t *testing.T) {
	m := goldenCases(t)
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for i := range m.Cases {
		c := &m.Cases[i]
		if !c.AppliesTo("inproc") {
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			msg, err := c.ParseRequest()
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tr.Call(context.Background(), transport.Request{API: c.API, Message: msg})
			if c.Error != "" {
				if got := status.CodeOf(err).String(); got != c.Error {
					t.Fatalf("code %s (%v), want %s", got, err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(m.Dir, c.Response))
			if err != nil {
				t.Fatal(err)
			}
			// Same TensorFlow build as the producer: the bytes must match.
			if got := canonical.Marshal(resp); !bytes.Equal(got, want) {
				t.Fatalf("response differs from the golden %s", c.Response)
			}
		})
	}
}

func TestServerAPIsAreUnimplementedInProcess(t *testing.T) {
	m := goldenCases(t)
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, api := range []string{cases.Classify, cases.Regress, cases.MultiInference} {
		msg, _ := cases.NewRequest(api)
		if _, err := tr.Call(context.Background(), transport.Request{API: api, Message: msg}); status.CodeOf(err) != status.Unimplemented {
			t.Errorf("%s: %v", api, err)
		}
	}
}
