package bench

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

func TestReferenceAlternatesWithTheClientOnItsThread(t *testing.T) {
	var mu sync.Mutex
	var order strings.Builder
	threads := map[int]bool{}
	note := func(who byte) {
		mu.Lock()
		defer mu.Unlock()
		order.WriteByte(who)
		threads[syscall.Gettid()] = true
	}
	call := func(context.Context) error { note('c'); return nil }
	reference := func() error { note('r'); return nil }
	r, ref, err := RunWithReference(context.Background(), func() Call { return call }, reference, 100, 1, 3)
	if err != nil || r.Requests != 100 || ref.RPS <= 0 {
		t.Fatalf("result %+v, reference %+v, %v", r, ref, err)
	}
	// Both warmed up alike, then Blocks blocks of 5 each, client first.
	want := "cccrrr" + strings.Repeat("cccccrrrrr", Blocks)
	if order.String() != want {
		t.Fatalf("order %s, want %s", order.String(), want)
	}
	if len(threads) != 1 {
		t.Fatalf("client and reference ran on %d OS threads, want 1", len(threads))
	}
}

func TestAFailedReferenceRunEndsItsMeasurementOnly(t *testing.T) {
	var calls, runs atomic.Int64
	call := func(context.Context) error { calls.Add(1); return nil }
	reference := func() error {
		if runs.Add(1) == 7 {
			return errors.New("boom")
		}
		return nil
	}
	r, _, err := RunWithReference(context.Background(), func() Call { return call }, reference, 40, 2, 2)
	if err == nil || err.Error() != "boom" || runs.Load() != 7 || calls.Load() != 42 || r.Requests != 40 || r.Errors != 0 {
		t.Fatalf("err %v, %d reference runs, %d calls, result %+v", err, runs.Load(), calls.Load(), r)
	}
}

func TestEachWorkerCallsThroughACallOfItsOwn(t *testing.T) {
	var made atomic.Int64
	var overlapped atomic.Bool
	var counts [4]atomic.Int64
	newCall := func() Call {
		w := made.Add(1) - 1
		var busy atomic.Bool
		return func(context.Context) error {
			if !busy.CompareAndSwap(false, true) {
				overlapped.Store(true)
			}
			counts[w].Add(1)
			time.Sleep(10 * time.Microsecond)
			busy.Store(false)
			return nil
		}
	}
	r, _, _ := RunWithReference(context.Background(), newCall, nil, 200, 4, 8)
	if made.Load() != 4 || overlapped.Load() || r.Requests != 200 {
		t.Fatalf("%d calls made, used concurrently: %v, result %+v", made.Load(), overlapped.Load(), r)
	}
	total := int64(0)
	for w := range counts {
		// The warm-up takes the calls in turn: each is warm before it is timed.
		if counts[w].Load() < 2 {
			t.Errorf("worker %d's call ran %d times", w, counts[w].Load())
		}
		total += counts[w].Load()
	}
	if total != 208 {
		t.Fatalf("%d calls in all, want 208", total)
	}
}
