package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Bounds keep one run of loadgen from turning into an accidental soak test of the machine.
const (
	maxRequests    = 1_000_000 // also bounds the memory for latency samples (8 MB)
	maxDuration    = 10 * time.Minute
	maxConcurrency = 1024
	maxWarmup      = 100_000
)

// config is one run, validated by parseFlags.
type config struct {
	target      *url.URL
	method      string
	body        []byte
	header      http.Header
	concurrency int
	requests    int           // 0: bounded by duration only
	duration    time.Duration // 0: bounded by requests only
	warmup      int
	expect      int // 0: any 2xx is a success
	timeout     time.Duration
	pid         int // 0: no memory report
}

// outcome is one finished request.
type outcome struct {
	status  int    // 0 when the request failed before a response
	errKind string // the transport error, when status is 0
	latency time.Duration
}

// result is what a run measured.
type result struct {
	Requests     int            // measured requests (warm-up excluded)
	Errors       map[string]int // "status 500", "transport: connection refused", …
	Statuses     map[int]int    // every HTTP status answered
	WarmupErrors int
	Elapsed      time.Duration
	Latency      latencies // over the requests that got an HTTP answer
}

// ErrorCount is the number of measured requests that failed.
func (r *result) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// newClient reuses connections across requests (one idle connection per worker at least), does not
// follow redirects (the answer of the URL under load is what is measured) and never uses a proxy.
func newClient(cfg config) *http.Client {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer(),
		MaxIdleConns:        cfg.concurrency,
		MaxIdleConnsPerHost: cfg.concurrency,
		IdleConnTimeout:     90 * time.Second,
		// The offline stack serves plain HTTP; a local https target has a self-signed certificate.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// run sends the warm-up requests, then the measured ones, from cfg.concurrency workers. It stops
// dispatching when cfg.requests have been sent, cfg.duration has passed or ctx is done, and lets
// requests in flight finish so that the end of a run does not show up as errors.
func run(ctx context.Context, cfg config, client *http.Client) (*result, error) {
	warmupErrors := 0
	if cfg.warmup > 0 {
		warm := phase(ctx, cfg, client, cfg.warmup, time.Time{})
		for _, o := range warm {
			if !cfg.success(o.status) {
				warmupErrors++
			}
		}
		// A target that answers nothing right is a setup mistake, not a measurement.
		if len(warm) > 0 && warmupErrors == len(warm) {
			return nil, fmt.Errorf("all %d warm-up requests failed (first: %s)", len(warm), describe(warm[0]))
		}
	}
	return measure(ctx, cfg, client, warmupErrors)
}

func measure(ctx context.Context, cfg config, client *http.Client, warmupErrors int) (*result, error) {
	requests := cfg.requests
	if requests == 0 {
		requests = maxRequests
	}
	var deadline time.Time
	start := time.Now()
	if cfg.duration > 0 {
		deadline = start.Add(cfg.duration)
	}
	outcomes := phase(ctx, cfg, client, requests, deadline)
	res := &result{
		Requests:     len(outcomes),
		Errors:       map[string]int{},
		Statuses:     map[int]int{},
		WarmupErrors: warmupErrors,
		Elapsed:      time.Since(start),
	}
	samples := make([]time.Duration, 0, len(outcomes))
	for _, o := range outcomes {
		if o.status != 0 {
			res.Statuses[o.status]++
			samples = append(samples, o.latency)
		}
		if !cfg.success(o.status) {
			res.Errors[describe(o)]++
		}
	}
	res.Latency = summarize(samples)
	return res, nil
}

// success tells whether an HTTP status is the expected answer.
func (c config) success(status int) bool {
	if c.expect != 0 {
		return status == c.expect
	}
	return status >= 200 && status < 300
}

func describe(o outcome) string {
	if o.status == 0 {
		return "transport: " + o.errKind
	}
	return "status " + strconv.Itoa(o.status)
}

// phase sends up to n requests (fewer when deadline, if set, passes or ctx ends) and returns their
// outcomes.
func phase(ctx context.Context, cfg config, client *http.Client, n int, deadline time.Time) []outcome {
	// The deadline stops dispatching only: a request in flight when it passes is finished and
	// counted (bounded by the client's timeout); ctx, cancelled on interrupt, stops requests too.
	dispatch := ctx
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		dispatch, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	// Tickets are handed out before a request is sent, so exactly n are sent when nothing stops
	// the run early.
	tickets := make(chan struct{})
	go func() {
		defer close(tickets)
		for range n {
			select {
			case tickets <- struct{}{}:
			case <-dispatch.Done():
				return
			}
		}
	}()
	var (
		mu       sync.Mutex
		outcomes = make([]outcome, 0, min(n, 1<<16))
		wg       sync.WaitGroup
	)
	for range min(cfg.concurrency, n) {
		wg.Go(func() {
			var local []outcome
			for range tickets {
				local = append(local, send(ctx, cfg, client))
			}
			mu.Lock()
			outcomes = append(outcomes, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return outcomes
}

// send makes one request and reads its whole answer, so that the connection is reused and the
// latency covers the body.
func send(ctx context.Context, cfg config, client *http.Client) outcome {
	req, err := http.NewRequestWithContext(ctx, cfg.method, cfg.target.String(), bytes.NewReader(cfg.body))
	if err != nil {
		return outcome{errKind: err.Error()}
	}
	req.Header = cfg.header.Clone()
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host // Go sends the Host header from req.Host only
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return outcome{errKind: errorKind(err), latency: time.Since(start)}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	latency := time.Since(start)
	if err != nil {
		return outcome{errKind: "read body: " + errorKind(err), latency: latency}
	}
	return outcome{status: resp.StatusCode, latency: latency}
}

// errorKind names a transport error by its innermost cause ("connection refused", "EOF"), without
// the addresses and ports that make every occurrence distinct.
func errorKind(err error) string {
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return "timeout"
	}
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}
