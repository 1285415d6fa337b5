package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/memnet"
)

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:3000/express-instance", true},
		{"http://127.45.6.7/", true},
		{"http://localhost:3000/executions/x", true},
		{"https://LOCALHOST/", true},
		{"http://[::1]:3000/", true},
		{"http://[::ffff:127.0.0.1]:3000/", true},
		{"http://example.com/", false},
		{"http://10.0.0.1:3000/", false},
		{"http://0.0.0.0:3000/", false},
		{"http://[::]:3000/", false},
		{"http://[fe80::1%25lo]:3000/", false},
		{"http://127.0.0.1.nip.io/", false},
		{"http://localhost.example.com/", false},
		{"http://128.0.0.1/", false},
		{"ftp://127.0.0.1/", false},
		{"127.0.0.1:3000", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := checkTarget(tt.url)
			if (err == nil) != tt.ok {
				t.Fatalf("checkTarget(%q) = %v, want ok=%v", tt.url, err, tt.ok)
			}
		})
	}
}

// TestDialLoopback covers the connect-time guard, which catches a "localhost" resolved elsewhere.
func TestDialLoopback(t *testing.T) {
	tests := []struct {
		network, address string
		ok               bool
	}{
		{"tcp4", "127.0.0.1:3000", true},
		{"tcp6", "[::1]:3000", true},
		{"tcp4", "192.0.2.10:3000", false},
		{"tcp6", "[2001:db8::1]:443", false},
		{"tcp", "no-port", false},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			if err := dialLoopback(tt.network, tt.address, nil); (err == nil) != tt.ok {
				t.Fatalf("dialLoopback(%q) = %v, want ok=%v", tt.address, err, tt.ok)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	// 1..n milliseconds, shuffled, so the sort is exercised.
	series := func(n int) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i+1) * ms
		}
		rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
		return s
	}
	tests := []struct {
		name    string
		samples []time.Duration
		want    latencies
	}{
		{name: "none", want: latencies{}},
		{name: "one", samples: []time.Duration{7 * ms},
			want: latencies{Count: 1, Min: 7 * ms, Mean: 7 * ms, P50: 7 * ms, P90: 7 * ms, P99: 7 * ms, Max: 7 * ms}},
		{name: "1..100 ms", samples: series(100),
			want: latencies{Count: 100, Min: ms, Mean: 50500 * time.Microsecond, P50: 50 * ms, P90: 90 * ms, P99: 99 * ms, Max: 100 * ms}},
		{name: "1..1000 ms", samples: series(1000),
			want: latencies{Count: 1000, Min: ms, Mean: 500500 * time.Microsecond, P50: 500 * ms, P90: 900 * ms, P99: 990 * ms, Max: 1000 * ms}},
		// Nearest rank: with 10 samples p99 is the largest, p50 the 5th, p90 the 9th.
		{name: "1..10 ms", samples: series(10),
			want: latencies{Count: 10, Min: ms, Mean: 5500 * time.Microsecond, P50: 5 * ms, P90: 9 * ms, P99: 10 * ms, Max: 10 * ms}},
		// A long tail: 98 fast answers and two slow ones move p99 and max only.
		{name: "tail", samples: append(repeated(98, 2*ms), 400*ms, 900*ms),
			want: latencies{Count: 100, Min: 2 * ms, Mean: 14960 * time.Microsecond, P50: 2 * ms, P90: 2 * ms, P99: 400 * ms, Max: 900 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.samples); got != tt.want {
				t.Fatalf("summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func repeated(n int, d time.Duration) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = d
	}
	return s
}

// server answers every fifth request (by arrival) 500 and the others 201, and records what it got.
type server struct {
	*httptest.Server
	count atomic.Int64
	// latency is how long the handler takes before it answers.
	latency time.Duration

	mu     sync.Mutex
	method string
	body   string
	header http.Header
	host   string
}

func newServer(t *testing.T) *server {
	s := &server{}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.count.Add(1)
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.method, s.body, s.header, s.host = r.Method, string(body), r.Header.Clone(), r.Host
	s.mu.Unlock()
	time.Sleep(s.latency)
	if n%5 == 0 {
		http.Error(w, `{"error":"InternalError"}`, http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func TestRun(t *testing.T) {
	tests := []struct {
		name         string
		cfg          config
		wantRequests int
		wantErrors   map[string]int
		wantStatuses map[int]int
		wantWarmErrs int
	}{
		{
			name: "other statuses than -expect are errors",
			cfg:  config{concurrency: 4, requests: 50, warmup: 10, expect: 201},
			// Arrivals 1-10 are the warm-up (two of them 500), 11-60 the measured run.
			wantRequests: 50, wantWarmErrs: 2,
			wantErrors:   map[string]int{"status 500": 10},
			wantStatuses: map[int]int{201: 40, 500: 10},
		},
		{
			name:         "without -expect any 2xx succeeds",
			cfg:          config{concurrency: 3, requests: 20},
			wantRequests: 20,
			wantErrors:   map[string]int{"status 500": 4},
			wantStatuses: map[int]int{201: 16, 500: 4},
		},
		{
			name:         "-expect 500 makes the 201s errors",
			cfg:          config{concurrency: 2, requests: 10, expect: 500},
			wantRequests: 10,
			wantErrors:   map[string]int{"status 201": 8},
			wantStatuses: map[int]int{201: 8, 500: 2},
		},
		{
			name:         "-n ends the run before a long -d",
			cfg:          config{concurrency: 8, requests: 5, duration: time.Hour},
			wantRequests: 5,
			wantErrors:   map[string]int{"status 500": 1},
			wantStatuses: map[int]int{201: 4, 500: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			cfg := tt.cfg
			cfg.target, _ = checkTarget(srv.URL + "/express-instance")
			cfg.method = http.MethodPost
			cfg.body = []byte(`{"instance_id":"i-0123456789abcdef0"}`)
			cfg.header = http.Header{"X-Test": {"yes"}}
			cfg.timeout = 30 * time.Second
			res, err := run(context.Background(), cfg, newClient(cfg))
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != tt.wantRequests {
				t.Errorf("requests %d, want %d", res.Requests, tt.wantRequests)
			}
			if got := srv.count.Load(); got != int64(tt.wantRequests+cfg.warmup) {
				t.Errorf("server saw %d requests, want %d", got, tt.wantRequests+cfg.warmup)
			}
			if !maps.Equal(res.Errors, tt.wantErrors) {
				t.Errorf("errors %v, want %v", res.Errors, tt.wantErrors)
			}
			if !maps.Equal(res.Statuses, tt.wantStatuses) {
				t.Errorf("statuses %v, want %v", res.Statuses, tt.wantStatuses)
			}
			if res.WarmupErrors != tt.wantWarmErrs {
				t.Errorf("warm-up errors %d, want %d", res.WarmupErrors, tt.wantWarmErrs)
			}
			if res.Latency.Count != tt.wantRequests || res.Latency.Max < res.Latency.P50 {
				t.Errorf("latency %+v over %d answers", res.Latency, tt.wantRequests)
			}
			if srv.method != http.MethodPost || srv.body != string(cfg.body) || srv.header.Get("X-Test") != "yes" {
				t.Errorf("server got %s %q %v", srv.method, srv.body, srv.header)
			}
		})
	}
}

// TestRunDuration bounds a run by -d alone. It runs in a synctest bubble, over an in-memory network,
// against a server that takes 1 ms of the bubble's time per request: the bubble's clock moves only
// when every goroutine in it waits, so no load on the machine can let the deadline pass before a
// request is sent (on the real clock, a 20 ms run under load measured none), and the count is exact.
func TestRunDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{latency: time.Millisecond}
		ln := memnet.Listen()
		hs := &http.Server{Handler: srv}
		go func() { _ = hs.Serve(ln) }()
		defer hs.Close()

		cfg := config{concurrency: 2, duration: 20 * time.Millisecond, method: http.MethodGet, timeout: 30 * time.Second}
		cfg.target, _ = checkTarget("http://127.0.0.1/")
		client := newClient(cfg)
		client.Transport.(*http.Transport).DialContext = ln.Dial
		defer client.CloseIdleConnections()
		res, err := run(context.Background(), cfg, client)
		if err != nil {
			t.Fatal(err)
		}
		// Two workers, 1 ms a request, for 20 ms: 40 requests, and one more per worker when its ticket
		// comes at the very instant the deadline passes. Requests in flight then are finished and
		// counted; none is sent after.
		if res.Requests < 40 || res.Requests > 42 || int64(res.Requests) != srv.count.Load() {
			t.Errorf("measured %d requests, server saw %d; want 40 to 42, the same", res.Requests, srv.count.Load())
		}
		if res.Elapsed < cfg.duration || res.Elapsed > cfg.duration+srv.latency {
			t.Errorf("elapsed %s, want -d %s plus at most the request in flight (%s)", res.Elapsed, cfg.duration, srv.latency)
		}
	})
}

func TestRunTransportErrors(t *testing.T) {
	// A port that was just free: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	target, _ := checkTarget("http://" + addr + "/")

	t.Run("counted by cause", func(t *testing.T) {
		cfg := config{target: target, method: http.MethodGet, concurrency: 2, requests: 6, timeout: 5 * time.Second}
		res, err := run(context.Background(), cfg, newClient(cfg))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"transport: connection refused": 6}
		if !maps.Equal(res.Errors, want) || res.Latency.Count != 0 {
			t.Fatalf("errors %v, latency %+v; want %v and no latency", res.Errors, res.Latency, want)
		}
	})
	t.Run("a failed warm-up stops the run", func(t *testing.T) {
		cfg := config{target: target, method: http.MethodGet, concurrency: 2, requests: 6, warmup: 3, timeout: 5 * time.Second}
		if res, err := run(context.Background(), cfg, newClient(cfg)); err == nil {
			t.Fatalf("got %+v, want an error", res)
		}
	})
}

func TestNewClientReusesConnections(t *testing.T) {
	for _, c := range []int{1, 8, 300} {
		tr := newClient(config{concurrency: c, timeout: time.Second}).Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost < c || tr.MaxIdleConns < c || tr.DisableKeepAlives || tr.Proxy != nil {
			t.Errorf("c=%d: transport keeps %d idle per host, %d in all, keep-alives off %v, proxy set %v",
				c, tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.DisableKeepAlives, tr.Proxy != nil)
		}
	}
}

func TestParseFlags(t *testing.T) {
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(bodyFile, []byte(`{"from":"file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const u = "-url=http://127.0.0.1:3000/x"
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", args: []string{u}, check: func(t *testing.T, c config) {
			if c.method != "POST" || c.concurrency != 4 || c.requests != 1000 || c.duration != 0 || c.expect != 0 {
				t.Errorf("defaults %+v", c)
			}
		}},
		{name: "-d alone has no request count", args: []string{u, "-d=30s"}, check: func(t *testing.T, c config) {
			if c.requests != 0 || c.duration != 30*time.Second {
				t.Errorf("requests %d, duration %s", c.requests, c.duration)
			}
		}},
		{name: "repeated headers", args: []string{u, "-header", "X-A: 1", "-header", "x-a:2", "-header", "Content-Type: application/json"}, check: func(t *testing.T, c config) {
			if got := c.header.Values("X-A"); len(got) != 2 || got[0] != "1" || got[1] != "2" || c.header.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", c.header)
			}
		}},
		{name: "body file", args: []string{u, "-body-file", bodyFile, "-method", "put"}, check: func(t *testing.T, c config) {
			if string(c.body) != `{"from":"file"}` || c.method != "PUT" {
				t.Errorf("body %q, method %s", c.body, c.method)
			}
		}},
		{name: "remote host", args: []string{"-url=http://192.0.2.1/"}, wantErr: "loopback"},
		{name: "no url", args: nil, wantErr: "scheme"},
		{name: "both bodies", args: []string{u, "-body=x", "-body-file", bodyFile}, wantErr: "exclusive"},
		{name: "missing body file", args: []string{u, "-body-file", bodyFile + ".missing"}, wantErr: "body-file"},
		{name: "header without colon", args: []string{u, "-header", "X-A 1"}, wantErr: "Key: Value"},
		{name: "no concurrency", args: []string{u, "-c=0"}, wantErr: "-c"},
		{name: "too much concurrency", args: []string{u, "-c=5000"}, wantErr: "-c"},
		{name: "too many requests", args: []string{u, "-n=1000001"}, wantErr: "-n"},
		{name: "too long", args: []string{u, "-d=11m"}, wantErr: "-d"},
		{name: "not a status", args: []string{u, "-expect=42"}, wantErr: "-expect"},
		{name: "stray argument", args: []string{u, "extra"}, wantErr: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg)
		})
	}
}

// TestRealMain runs the command end to end: JSON summary, the memory of this test process's tree,
// exit status.
func TestRealMain(t *testing.T) {
	srv := newServer(t)
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"-url", srv.URL + "/x", "-n", "10", "-c", "2", "-expect", "201", "-json",
		"-pid", strconv.Itoa(os.Getpid()), "-header", "Host: api.local"}, &stdout, &stderr)
	if code != 1 { // two of the ten answers are 500
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr.String())
	}
	var rep jsonReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("summary %s: %v", stdout.String(), err)
	}
	if rep.Requests != 10 || rep.Errors != 2 || rep.Statuses["201"] != 8 || rep.LatencyMs.Count != 10 {
		t.Errorf("summary %+v", rep)
	}
	if rep.Memory == nil || rep.Memory.PID != os.Getpid() || rep.Memory.After.RSSBytes <= 0 ||
		rep.Memory.After.TotalRSSBytes < rep.Memory.After.RSSBytes || len(rep.Memory.Before.Processes) == 0 {
		t.Errorf("memory %+v", rep.Memory)
	}
	if srv.host != "api.local" {
		t.Errorf("Host %q, want the -header value", srv.host)
	}

	// Arrivals 11-14 all answer 201.
	stdout.Reset()
	if code := realMain([]string{"-url", srv.URL, "-n", "4", "-expect", "201"}, &stdout, &stderr); code != 0 {
		t.Fatalf("text run exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"requests", "latency", "p99"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, stdout.String())
		}
	}
	if code := realMain([]string{"-url", "http://192.0.2.1/"}, &stdout, &stderr); code != 2 {
		t.Errorf("remote target exit %d, want 2", code)
	}
}
