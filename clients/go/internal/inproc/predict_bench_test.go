package inproc

import (
	"context"
	"testing"

	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/transport"
)

// BenchmarkPredictMNIST is the bench command's in-process unit (one signature
// run including tensor conversion) for case v1-test-0000, for pprof and
// -benchmem; it asserts nothing about time.
func BenchmarkPredictMNIST(b *testing.B) {
	m := goldenCases(b)
	c := m.Find("v1-test-0000")
	tr, err := New(m.ConfigPath)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	msg, err := c.ParseRequest()
	if err != nil {
		b.Fatal(err)
	}
	req := transport.Request{API: c.API, Message: msg}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Call(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPredictAllocatesLittleBesidesTheResponse guards the in-process unit's
// allocations: 5 per MNIST request (the response, its map and its output's
// TensorProto and values), 9 before a per-signature plan kept the feeds,
// fetches and decoded inputs, 25 before a prepared call reused its scratch
// and input tensors. Between two runs TensorFlow's pool threads go idle, so
// Go work there costs more than its own time.
func TestPredictAllocatesLittleBesidesTheResponse(t *testing.T) {
	m := goldenCases(t)
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	msg, err := m.Find("v1-test-0000").ParseRequest()
	if err != nil {
		t.Fatal(err)
	}
	req := transport.Request{API: cases.Predict, Message: msg}
	if _, err := tr.Call(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := tr.Call(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 6 {
		t.Fatalf("a predict allocates %.0f objects, want at most 6", allocs)
	}
}
