package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/proctree"
)

// report is one run with what loadgen knows about it.
type report struct {
	cfg    config
	result *result
	// before is read before the first (warm-up) request, after once the last answer is in; both
	// nil without -pid.
	before, after *proctree.Tree
}

// measureRun reads the memory of cfg.pid's tree (if any) around run.
func measureRun(ctx context.Context, cfg config, client *http.Client) (*report, error) {
	rep := &report{cfg: cfg}
	if cfg.pid != 0 {
		t, err := proctree.Read(cfg.pid)
		if err != nil {
			return nil, fmt.Errorf("-pid: %w", err)
		}
		rep.before = &t
	}
	res, err := run(ctx, cfg, client)
	if err != nil {
		return nil, err
	}
	rep.result = res
	if cfg.pid != 0 {
		t, err := proctree.Read(cfg.pid)
		if err != nil {
			return nil, fmt.Errorf("-pid after the run: %w", err)
		}
		rep.after = &t
	}
	return rep, nil
}

func (r *report) requestsPerSecond() float64 {
	if r.result.Elapsed <= 0 {
		return 0
	}
	return float64(r.result.Requests) / r.result.Elapsed.Seconds()
}

// jsonReport is the -json shape. Durations are milliseconds with microsecond precision, memory is
// bytes.
type jsonReport struct {
	URL          string         `json:"url"`
	Method       string         `json:"method"`
	Concurrency  int            `json:"concurrency"`
	Requests     int            `json:"requests"`
	Errors       int            `json:"errors"`
	ErrorsByKind map[string]int `json:"errorsByKind"`
	Statuses     map[string]int `json:"statuses"`
	WarmupErrors int            `json:"warmupErrors"`
	ElapsedMs    float64        `json:"elapsedMs"`
	RequestsPerS float64        `json:"requestsPerSecond"`
	LatencyMs    jsonLatency    `json:"latencyMs"`
	Memory       *jsonMemory    `json:"memory,omitempty"`
}

type jsonLatency struct {
	Count int     `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

type jsonMemory struct {
	PID    int      `json:"pid"`
	Before jsonTree `json:"before"`
	After  jsonTree `json:"after"`
}

type jsonTree struct {
	RSSBytes      int64         `json:"rssBytes"`      // the process itself
	TotalRSSBytes int64         `json:"totalRssBytes"` // the process and its descendants
	Processes     []jsonProcess `json:"processes"`
}

type jsonProcess struct {
	PID      int    `json:"pid"`
	PPID     int    `json:"ppid"`
	Comm     string `json:"comm"`
	RSSBytes int64  `json:"rssBytes"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func writeJSON(w io.Writer, r *report) error {
	l := r.result.Latency
	out := jsonReport{
		URL:          r.cfg.target.String(),
		Method:       r.cfg.method,
		Concurrency:  r.cfg.concurrency,
		Requests:     r.result.Requests,
		Errors:       r.result.ErrorCount(),
		ErrorsByKind: r.result.Errors,
		Statuses:     map[string]int{},
		WarmupErrors: r.result.WarmupErrors,
		ElapsedMs:    ms(r.result.Elapsed),
		RequestsPerS: r.requestsPerSecond(),
		LatencyMs: jsonLatency{
			Count: l.Count, Min: ms(l.Min), Mean: ms(l.Mean),
			P50: ms(l.P50), P90: ms(l.P90), P99: ms(l.P99), Max: ms(l.Max),
		},
	}
	for status, n := range r.result.Statuses {
		out.Statuses[fmt.Sprint(status)] = n
	}
	if r.before != nil && r.after != nil {
		out.Memory = &jsonMemory{PID: r.cfg.pid, Before: toJSONTree(*r.before), After: toJSONTree(*r.after)}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func toJSONTree(t proctree.Tree) jsonTree {
	jt := jsonTree{RSSBytes: t.Root().RSS, TotalRSSBytes: t.TotalRSS(), Processes: []jsonProcess{}}
	for _, p := range t.Processes {
		jt.Processes = append(jt.Processes, jsonProcess{PID: p.PID, PPID: p.PPID, Comm: p.Comm, RSSBytes: p.RSS})
	}
	return jt
}

func writeText(w io.Writer, r *report) error {
	res, l := r.result, r.result.Latency
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "target\t%s %s (c=%d)\n", r.cfg.method, r.cfg.target, r.cfg.concurrency)
	fmt.Fprintf(tw, "requests\t%d in %s (%.1f req/s)\n", res.Requests, res.Elapsed.Round(time.Millisecond), r.requestsPerSecond())
	fmt.Fprintf(tw, "errors\t%d\n", res.ErrorCount())
	for _, kind := range slices.Sorted(maps.Keys(res.Errors)) {
		fmt.Fprintf(tw, "  %s\t%d\n", kind, res.Errors[kind])
	}
	if res.WarmupErrors > 0 {
		fmt.Fprintf(tw, "warm-up errors\t%d (not counted above)\n", res.WarmupErrors)
	}
	for _, status := range slices.Sorted(maps.Keys(res.Statuses)) {
		fmt.Fprintf(tw, "status %d\t%d\n", status, res.Statuses[status])
	}
	if l.Count > 0 {
		fmt.Fprintf(tw, "latency\tp50 %s  p90 %s  p99 %s  max %s  (min %s, mean %s, %d answers)\n",
			l.P50, l.P90, l.P99, l.Max, l.Min, l.Mean, l.Count)
	}
	if r.before != nil && r.after != nil {
		fmt.Fprintf(tw, "memory pid %d\tRSS %s -> %s; with %d/%d descendants %s -> %s\n", r.cfg.pid,
			mib(r.before.Root().RSS), mib(r.after.Root().RSS),
			len(r.before.Processes)-1, len(r.after.Processes)-1,
			mib(r.before.TotalRSS()), mib(r.after.TotalRSS()))
		for _, p := range r.after.Processes {
			fmt.Fprintf(tw, "  %d %s\t%s\n", p.PID, p.Comm, mib(p.RSS))
		}
	}
	return tw.Flush()
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
