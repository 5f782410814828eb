package inproc

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

func TestLoadOpLibrariesTriesEveryPathAndReportsTheFirstFailure(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "libfirst_ops.so"), filepath.Join(dir, "libsecond_ops.so")
	err := LoadOpLibraries([]string{first, second})
	if status.CodeOf(err) != status.NotFound || !strings.Contains(err.Error(), first+":") || strings.Contains(err.Error(), second) {
		t.Fatalf("got %v, want NOT_FOUND naming %s only", err, first)
	}
	// The second was tried too: its own outcome is kept for the case sets that need it.
	if err := LoadOpLibraries([]string{second}); !strings.Contains(err.Error(), second+":") {
		t.Fatalf("got %v", err)
	}
	if err := LoadOpLibraries(nil); err != nil {
		t.Fatalf("no libraries: %v", err)
	}
}

func TestAnOpLibraryErrorAnswersEveryCall(t *testing.T) {
	m := goldenCases(t)
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	loadErr := status.Errorf(status.NotFound, "loading op library /x/libops.so: /x/libops.so: cannot open shared object file")
	failing := WithOpLibraryError(tr, loadErr)
	if failing.Name() != "inproc" || failing.Runtime()["tensorflow_build"] != tr.Runtime()["tensorflow_build"] {
		t.Fatalf("name %q, runtime %v", failing.Name(), failing.Runtime())
	}
	for i := range m.Cases {
		c := &m.Cases[i]
		if !c.AppliesTo("inproc") {
			continue
		}
		msg, err := c.ParseRequest()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := failing.Call(context.Background(), transport.Request{API: c.API, Message: msg}); err != loadErr {
			t.Fatalf("%s: %v, want the library's error", c.ID, err)
		}
	}
	// No model was loaded for it.
	if len(tr.loaded) != 0 {
		t.Fatalf("loaded %d servables", len(tr.loaded))
	}
}
