package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestSummarizeUsesNearestRankPercentiles(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(100-i) * time.Microsecond // 1..100 us, unsorted
	}
	r := Summarize(lat, time.Second, 4, 2, 3)
	if r.P50us != 50 || r.P90us != 90 || r.P99us != 99 || r.MeanUs != 50.5 || r.RPS != 100 || r.Errors != 3 || r.Requests != 100 {
		t.Fatalf("got %+v", r)
	}
	if empty := Summarize(nil, 0, 1, 0, 0); empty.Requests != 0 || empty.P50us != 0 {
		t.Fatalf("empty: %+v", empty)
	}
}

func TestRunMakesExactlyTheRequestedCallsAndCountsErrors(t *testing.T) {
	var calls atomic.Int64
	call := func(context.Context) error {
		if calls.Add(1)%4 == 0 {
			return errors.New("boom")
		}
		return nil
	}
	r := Run(context.Background(), call, 40, 3, 4)
	if calls.Load() != 44 || r.Requests != 40 || r.Warmup != 4 || r.Concurrency != 3 || r.Errors != 10 {
		t.Fatalf("calls %d, result %+v", calls.Load(), r)
	}
}
