package inproc

import (
	"context"
	"testing"

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
