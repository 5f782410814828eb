// Package bench measures one case through one transport: N requests at
// concurrency C after a warmup, reported as latency percentiles and rate.
package bench

import (
	"context"
	"math"
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

// Run makes warmup sequential calls, then requests calls spread over
// concurrency workers. ctx cancels the run; calls not made are not counted.
func Run(ctx context.Context, call Call, requests, concurrency, warmup int) Result {
	for range warmup {
		if ctx.Err() != nil {
			break
		}
		_ = call(ctx)
	}
	latencies := make([]time.Duration, requests)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(requests) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := call(ctx); err != nil {
					errs.Add(1)
				}
				latencies[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	done := min(int(next.Load()), requests)
	latencies = latencies[:done]
	return Summarize(latencies, elapsed, concurrency, warmup, int(errs.Load()))
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
