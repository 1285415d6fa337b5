// Command loadgen is a small, bounded HTTP load generator for the offline stack (`make local`). It
// sends a fixed number of requests, or requests for a fixed time, from a few concurrent clients over
// reused connections to a loopback URL, and reports throughput, errors, exact latency percentiles and,
// with -pid, the resident memory of a process tree before and after.
//
//	go run ./cmd/loadgen -url http://127.0.0.1:3000/express-instance \
//	    -body '{"instance_id":"i-0123456789abcdef0","action":"start"}' -c 8 -n 2000 -warmup 50 -pid $PID
//
// Exit status: 0 when every measured request succeeded, 1 when some failed, 2 for a usage error or a
// run that could not be made.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	cfg, asJSON, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep, err := measureRun(ctx, cfg, newClient(cfg))
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	if asJSON {
		err = writeJSON(stdout, rep)
	} else {
		err = writeText(stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen: write report:", err)
		return 2
	}
	if rep.result.ErrorCount() > 0 {
		return 1
	}
	return 0
}

// headerFlags collects repeated -header "Key: Value" flags.
type headerFlags http.Header

func (h headerFlags) String() string { return fmt.Sprint(http.Header(h)) }

func (h headerFlags) Set(v string) error {
	key, value, ok := strings.Cut(v, ":")
	key = strings.TrimSpace(key)
	if !ok || key == "" || strings.ContainsAny(key, " \t") {
		return fmt.Errorf("header %q: want \"Key: Value\"", v)
	}
	http.Header(h).Add(key, strings.TrimSpace(value))
	return nil
}

func parseFlags(args []string, stderr io.Writer) (config, bool, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	header := headerFlags{}
	var (
		rawURL   = fs.String("url", "", "target URL; its host must be loopback (127.0.0.0/8, ::1, localhost)")
		method   = fs.String("method", http.MethodPost, "HTTP method")
		body     = fs.String("body", "", "request body")
		bodyFile = fs.String("body-file", "", "read the request body from this file")
		conc     = fs.Int("c", 4, fmt.Sprintf("concurrent clients (1-%d)", maxConcurrency))
		n        = fs.Int("n", 0, fmt.Sprintf("measured requests (at most %d); with -d, whichever ends first; default 1000 without -d", maxRequests))
		duration = fs.Duration("d", 0, fmt.Sprintf("measure for this long (at most %s)", maxDuration))
		warmup   = fs.Int("warmup", 0, "requests sent and discarded before measuring")
		expect   = fs.Int("expect", 0, "the expected status; any other counts as an error (default: any 2xx)")
		timeout  = fs.Duration("timeout", 30*time.Second, "per-request timeout")
		pid      = fs.Int("pid", 0, "report the resident memory of this process and its descendants before and after")
		asJSON   = fs.Bool("json", false, "print a JSON summary instead of text")
	)
	fs.Var(header, "header", `request header "Key: Value" (repeatable)`)
	if err := fs.Parse(args); err != nil {
		return config{}, false, err
	}
	if fs.NArg() > 0 {
		return config{}, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	target, err := checkTarget(*rawURL)
	if err != nil {
		return config{}, false, err
	}
	cfg := config{
		target:      target,
		method:      strings.ToUpper(*method),
		body:        []byte(*body),
		header:      http.Header(header),
		concurrency: *conc,
		requests:    *n,
		duration:    *duration,
		warmup:      *warmup,
		expect:      *expect,
		timeout:     *timeout,
		pid:         *pid,
	}
	if *bodyFile != "" {
		if *body != "" {
			return config{}, false, errors.New("-body and -body-file are exclusive")
		}
		if cfg.body, err = os.ReadFile(*bodyFile); err != nil {
			return config{}, false, fmt.Errorf("read -body-file: %w", err)
		}
	}
	if cfg.requests == 0 && cfg.duration == 0 {
		cfg.requests = 1000
	}
	switch {
	case cfg.concurrency < 1 || cfg.concurrency > maxConcurrency:
		return config{}, false, fmt.Errorf("-c %d: want 1-%d", cfg.concurrency, maxConcurrency)
	case cfg.requests < 0 || cfg.requests > maxRequests:
		return config{}, false, fmt.Errorf("-n %d: want at most %d", cfg.requests, maxRequests)
	case cfg.duration < 0 || cfg.duration > maxDuration:
		return config{}, false, fmt.Errorf("-d %s: want at most %s", cfg.duration, maxDuration)
	case cfg.warmup < 0 || cfg.warmup > maxWarmup:
		return config{}, false, fmt.Errorf("-warmup %d: want 0-%d", cfg.warmup, maxWarmup)
	case cfg.expect != 0 && (cfg.expect < 100 || cfg.expect > 599):
		return config{}, false, fmt.Errorf("-expect %d: not an HTTP status", cfg.expect)
	case cfg.timeout <= 0:
		return config{}, false, fmt.Errorf("-timeout %s: want a positive duration", cfg.timeout)
	case cfg.pid < 0:
		return config{}, false, fmt.Errorf("-pid %d: not a process ID", cfg.pid)
	}
	return cfg, *asJSON, nil
}
