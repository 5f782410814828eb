// Package bench measures one case through one transport: N requests at
// concurrency C after a warmup, reported as latency percentiles and rate.
package bench

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is the bench line of docs/CONTRACT.md (minus client/mode/case, which
// the caller adds).
type Result struct {
	Requests    int     `json:"requests"`
	Concurrency int     `json:"concurrency"`
	Warmup      int     `json:"warmup"`
	P50us       float64 `json:"p50_us"`
	P90us       float64 `json:"p90_us"`
	P99us       float64 `json:"p99_us"`
	MeanUs      float64 `json:"mean_us"`
	RPS         float64 `json:"rps"`
	Errors      int     `json:"errors"`
}

// Call is one request; a non-nil error counts as an error (its latency is kept).
type Call func(ctx context.Context) error

// Reference is one run of a bare loop measured beside the client; an error
// ends its measurement.
type Reference func() error

// Latency is a reference's summary: the bench line's figures without the counts.
type Latency struct {
	P50us  float64 `json:"p50_us"`
	P90us  float64 `json:"p90_us"`
	P99us  float64 `json:"p99_us"`
	MeanUs float64 `json:"mean_us"`
	RPS    float64 `json:"rps"`
}

// Blocks is how many blocks of requests client and reference alternate in,
// so that the load of a shared machine, which drifts over seconds, weighs on
// both alike (the C++ client's kBlocks).
const Blocks = 20

// Run makes warmup sequential calls, then requests calls spread over
// concurrency workers, all through call. ctx cancels the run; calls not made
// are not counted.
func Run(ctx context.Context, call Call, requests, concurrency, warmup int) Result {
	r, _, _ := RunWithReference(ctx, func() Call { return call }, nil, requests, concurrency, warmup)
	return r
}

// RunWithReference is Run with a Call of its own for each of the concurrency
// workers (newCall makes them, first of all: a transport's caller may keep
// its last response for the next request; the warm-up takes them in turn),
// and with reference (when not nil) warmed up alike after the client, then
// run as many times as the client, alternating with it in Blocks blocks.
// Everything runs on the caller's goroutine, locked to its OS thread, except
// the client's calls at concurrency > 1, which run on concurrency goroutines
// per block while the reference waits. It returns the reference's
// latencies, or the error that ended it.
func RunWithReference(ctx context.Context, newCall func() Call, reference Reference, requests, concurrency, warmup int) (Result, Latency, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	calls := make([]Call, max(concurrency, 1))
	for w := range calls {
		calls[w] = newCall()
	}
	for i := range warmup {
		if ctx.Err() != nil {
			break
		}
		_ = calls[i%len(calls)](ctx)
	}
	var refErr error
	refLatencies := make([]time.Duration, 0, requests)
	var refElapsed time.Duration
	if reference != nil {
		for range warmup {
			if refErr = reference(); refErr != nil {
				break
			}
		}
	}
	latencies := make([]time.Duration, requests)
	var next, errs atomic.Int64
	// The calls of one block, taken by whichever caller is free.
	callBlock := func(call Call, left *atomic.Int64) {
		for left.Add(-1) >= 0 && ctx.Err() == nil {
			i := next.Add(1) - 1
			t0 := time.Now()
			if err := call(ctx); err != nil {
				errs.Add(1)
			}
			latencies[i] = time.Since(t0)
		}
	}
	var elapsed time.Duration
	blocks := min(Blocks, requests)
	for b := range blocks {
		// Block b's share of the requests: they add up to requests.
		count := requests*(b+1)/blocks - requests*b/blocks
		var left atomic.Int64
		left.Store(int64(count))
		start := time.Now()
		if concurrency == 1 {
			callBlock(calls[0], &left) // on this thread, as the reference runs
		} else {
			var wg sync.WaitGroup
			for _, call := range calls {
				wg.Go(func() { callBlock(call, &left) })
			}
			wg.Wait()
		}
		elapsed += time.Since(start)
		if ctx.Err() != nil {
			break
		}
		if reference == nil || refErr != nil {
			continue
		}
		start = time.Now()
		for range count {
			t0 := time.Now()
			err := reference()
			refLatencies = append(refLatencies, time.Since(t0))
			if err != nil {
				refErr = err
				break
			}
		}
		refElapsed += time.Since(start)
	}
	done := int(next.Load())
	result := Summarize(latencies[:done], elapsed, concurrency, warmup, int(errs.Load()))
	ref := Summarize(refLatencies, refElapsed, 1, warmup, 0)
	return result, Latency{P50us: ref.P50us, P90us: ref.P90us, P99us: ref.P99us, MeanUs: ref.MeanUs, RPS: ref.RPS}, refErr
}

// Summarize computes percentiles (nearest rank), mean and rate.
func Summarize(latencies []time.Duration, elapsed time.Duration, concurrency, warmup, errors int) Result {
	r := Result{Requests: len(latencies), Concurrency: concurrency, Warmup: warmup, Errors: errors}
	if len(latencies) == 0 {
		return r
	}
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	var total time.Duration
	for _, l := range sorted {
		total += l
	}
	r.P50us = micros(percentile(sorted, 50))
	r.P90us = micros(percentile(sorted, 90))
	r.P99us = micros(percentile(sorted, 99))
	r.MeanUs = round1(float64(total) / float64(len(sorted)) / 1e3)
	if elapsed > 0 {
		r.RPS = round1(float64(len(sorted)) / elapsed.Seconds())
	}
	return r
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func micros(d time.Duration) float64 { return round1(float64(d) / 1e3) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }
