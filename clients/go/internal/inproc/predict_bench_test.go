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
	caller := tr.NewCaller() // as bench calls
	b.ReportAllocs()
	for b.Loop() {
		if _, err := caller.Call(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPredictAllocatesOnlyTheResponseAndACallerNothing guards the in-process
// unit's allocations: 5 per MNIST request for a response of its own (the
// response, its map and its output's TensorProto and values; 9 before a
// per-signature plan kept the feeds, fetches and decoded inputs, 25 before a
// prepared call reused its scratch and input tensors), none through a caller,
// which refills its last response. Between two runs TensorFlow's pool
// threads go idle, so Go work there costs more than its own time.
func TestPredictAllocatesOnlyTheResponseAndACallerNothing(t *testing.T) {
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
	for _, way := range []struct {
		name   string
		caller transport.Caller
		most   float64
	}{{"new response", tr, 6}, {"caller", tr.NewCaller(), 0}} {
		if _, err := way.caller.Call(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := way.caller.Call(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > way.most {
			t.Errorf("%s: a predict allocates %.0f objects, want at most %.0f", way.name, allocs, way.most)
		}
	}
}
