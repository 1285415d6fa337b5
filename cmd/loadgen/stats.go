package main

import (
	"slices"
	"time"
)

// latencies summarises recorded request durations exactly (no histogram buckets).
type latencies struct {
	Count int
	Min   time.Duration
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	Max   time.Duration
}

// summarize sorts samples in place and reads the percentiles by the nearest-rank method: the p-th
// percentile is the smallest sample with at least p% of the samples at or below it, so it is always
// a duration that was actually measured.
func summarize(samples []time.Duration) latencies {
	if len(samples) == 0 {
		return latencies{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	return latencies{
		Count: len(samples),
		Min:   samples[0],
		Mean:  sum / time.Duration(len(samples)),
		P50:   percentile(samples, 50),
		P90:   percentile(samples, 90),
		P99:   percentile(samples, 99),
		Max:   samples[len(samples)-1],
	}
}

// percentile is the nearest-rank percentile of sorted, non-empty samples: index ceil(p·n/100) − 1.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}
