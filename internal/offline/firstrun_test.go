package offline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/offline"
)

// syncBuffer is a console the test reads while the stack writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the console matches.
func waitFor(t *testing.T, console *syncBuffer, re *regexp.Regexp) {
	t.Helper()
	waitUntil(t, "the console shows "+re.String(), func() bool { return re.MatchString(console.String()) })
}

// The console at the default level is for a person watching a demo: one line per HTTP request,
// one per state entered (not Pass or Choice), the EC2 change when it happens, the execution's end,
// in that order; short execution names, durations a person reads, no JSON, no full ARNs.
func TestConsoleText(t *testing.T) {
	console := &syncBuffer{}
	s := startStack(t, func(c *offline.Config) { c.Log = console; c.TransitionDelay = 300 * time.Millisecond })
	r := call(t, s, "POST", "/express-instance", body(instanceID, "start"))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	short := offline.ShortExecution(r.header.Get("X-Execution-Arn"))
	if !regexp.MustCompile(`^Express/[0-9a-f-]{8}$`).MatchString(short) {
		t.Fatalf("short execution name %q", short)
	}
	// The instance settles 300 ms later, and the console says so without anything reading it.
	waitFor(t, console, regexp.MustCompile(`ec2 `+instanceID+` pending → running`))

	lines := strings.Split(strings.TrimSpace(console.String()), "\n")
	want := []string{
		short + " started",
		short + " → Check",
		short + " → Start",
		"ec2 " + instanceID + " stopped → pending",
		short + " SUCCEEDED in ",
		"POST /express-instance 200 ",
		"ec2 " + instanceID + " pending → running",
	}
	next := 0
	timePrefix := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `)
	for _, line := range lines {
		if !timePrefix.MatchString(line) {
			t.Errorf("line without a time: %q", line)
		}
		for _, bad := range []string{"arn:aws:", "{\"", "level=", "ns ", "Normalize", "DefaultAction"} {
			if strings.Contains(line, bad) {
				t.Errorf("line %q holds %q: that is for -v or -log-format json", line, bad)
			}
		}
		if next < len(want) && strings.Contains(line, want[next]) {
			next++
		}
	}
	if next < len(want) {
		t.Fatalf("missing or out of order from %q on:\n%s", want[next], console)
	}
	if len(lines) > len(want) {
		t.Errorf("%d lines for one request, want %d:\n%s", len(lines), len(want), console)
	}
	if !regexp.MustCompile(`POST /express-instance 200 \d+(\.\d)?(ms|µs|\.\d\ds) ` + regexp.QuoteMeta(short)).MatchString(console.String()) {
		t.Errorf("the request line lacks a readable duration or the execution:\n%s", console)
	}
}

// -v adds every AWS API call and the functions' own log lines; -log-format json makes every line
// a JSON object with the whole ARN.
func TestConsoleVerboseJSON(t *testing.T) {
	console := &syncBuffer{}
	s := startStack(t, func(c *offline.Config) { c.Log = console; c.LogFormat = "json"; c.LogLevel = -4 })
	r := call(t, s, "POST", "/express-instance", body(instanceID, "start"))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	arn := r.header.Get("X-Execution-Arn")
	// The function's own lines come through its output pipe, on their own time (after the API's
	// request line, now and then): wait until all three kinds are there.
	waitUntil(t, "the console shows the start function's lines, an API call and the request with the whole ARN", func() bool {
		var sawFunction, sawCall, sawRequest bool
		for _, line := range strings.Split(strings.TrimSpace(console.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not JSON: %q", line)
			}
			switch rec["msg"] {
			case "function":
				sawFunction = sawFunction || rec["function"] == "StartFunction"
			case "ec2 request", "step functions call":
				sawCall = true
			case "request":
				sawRequest = sawRequest || rec["executionArn"] == arn
			}
		}
		return sawFunction && sawCall && sawRequest
	})
	if _, err := offline.Start(context.Background(), offline.Config{LogFormat: "xml"}); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Fatalf("an unknown log format: %v", err)
	}
}

// rawRequest sends bytes as they are (net/http would refuse to send them) and reads the answer.
func rawRequest(t *testing.T, apiURL, request string) (*http.Response, map[string]any) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(apiURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s: body %q is not the API's JSON error shape", resp.Status, raw)
	}
	for _, k := range []string{"error", "message", "requestId"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("%s: body %q has no %s", resp.Status, raw, k)
		}
	}
	return resp, body
}

// What net/http itself refuses, and a body that never comes, get the API's error shape.
func TestHTTPLayerErrors(t *testing.T) {
	s := startStack(t, func(c *offline.Config) { c.BodyTimeout = 300 * time.Millisecond })
	t.Run("a percent-escape that does not decode", func(t *testing.T) {
		resp, body := rawRequest(t, s.APIURL, "GET /executions/%ZZ HTTP/1.1\r\nHost: localhost\r\n\r\n")
		if resp.StatusCode != 400 || body["error"] != "DEFAULT_4XX" || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s %v %v", resp.Status, resp.Header, body)
		}
	})
	// The client waits 20 s (rawRequest), the stack's default body timeout is 10 s: a 408 is the
	// stack's own answer. That it comes exactly when BodyTimeout passes is localapi's
	// TestBodyTimeout, on the bubble's clock.
	t.Run("a chunked body that never comes", func(t *testing.T) {
		resp, body := rawRequest(t, s.APIURL, "POST /express-instance HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
		if resp.StatusCode != 408 || body["error"] != "DEFAULT_4XX" {
			t.Fatalf("%s %v", resp.Status, body)
		}
	})
	t.Run("a Content-Length body that never comes", func(t *testing.T) {
		resp, _ := rawRequest(t, s.APIURL, "POST /express-instance HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{")
		if resp.StatusCode != 408 {
			t.Fatalf("%s", resp.Status)
		}
	})
}

// The AWS endpoint says what it is, so make invoke and the load run never use something else.
func TestHealthRoute(t *testing.T) {
	s := startStack(t, nil)
	resp, err := http.Get(s.AWSURL + offline.HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h offline.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || h.Service != offline.HealthService || h.APIURL != s.APIURL ||
		h.StateMachineARNs["ExpressStateMachine"] == "" || h.PID == 0 {
		t.Fatalf("%+v %v", h, err)
	}
}

// Ctrl-C while requests are in flight: a short one finishes within the drain; a long poll still
// waiting when the drain ends is answered 503 in the error shape, never 500. The test stops the stack
// once the status function holds both requests, and judges the answers by their order: a 503 exists
// only once the drain has run out (Close calls localapi's Stop then), and the short poll, answered
// 200 before it, finished within the drain.
func TestShutdownDrains(t *testing.T) {
	cfg := offline.Config{
		Template: filepath.Join(repoRoot, "template.yaml"), BuildDir: buildDir,
		APIAddr: "127.0.0.1:0", AWSAddr: "127.0.0.1:0", TimeScale: 1,
		// Longer than the short poll's 1 s, by a margin a loaded machine does not use up.
		DrainTimeout: 3 * time.Second, Log: testLog{t},
	}
	s, err := offline.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A STANDARD execution waits 29 s first, so it stays RUNNING through the test.
	start := call(t, s, "POST", "/standard-instance", body(instanceID, "start"))
	if start.status != 202 {
		t.Fatalf("%d %s", start.status, start.raw)
	}
	path := "/executions/" + url.PathEscape(start.body["executionArn"].(string))
	type result struct {
		poll   string
		status int
		body   map[string]any
		err    error
	}
	answers := make(chan result, 2) // in the order they come
	get := func(query string) {
		go func() {
			resp, err := http.Get(s.APIURL + path + query)
			if err != nil {
				answers <- result{poll: query, err: err}
				return
			}
			defer resp.Body.Close()
			var b map[string]any
			err = json.NewDecoder(resp.Body).Decode(&b)
			answers <- result{poll: query, status: resp.StatusCode, body: b, err: err}
		}()
	}
	before := invocations(t, s, "StatusFunction")
	get("?wait=20")
	get("?wait=1")
	waitUntil(t, "the status function holds both polls", func() bool { return invocations(t, s, "StatusFunction") >= before+2 })
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		closed <- s.Close(ctx)
	}()
	if r := <-answers; r.poll != "?wait=1" || r.err != nil || r.status != 200 || r.body["status"] != "RUNNING" {
		t.Errorf("the first answer during the drain: %s %d %v %v, want the short poll's 200 RUNNING", r.poll, r.status, r.body, r.err)
	}
	if r := <-answers; r.poll != "?wait=20" || r.err != nil || r.status != 503 || r.body["error"] == nil || r.body["requestId"] == nil {
		t.Errorf("the second answer: %s %d %v %v, want the long poll's 503 in the error shape after the drain", r.poll, r.status, r.body, r.err)
	}
	if err := <-closed; err != nil {
		t.Errorf("close: %v", err)
	}
}

// A function's warning shows on the default console, read as the console's other lines are.
func TestConsoleFunctionWarning(t *testing.T) {
	console := &syncBuffer{}
	w := offline.FunctionLogForTest(console)
	if _, err := io.WriteString(w, `[StartFunction] {"time":"2026-11-29T21:25:24.1Z","level":"WARN","msg":"throttled","executionArn":"arn:aws:states:us-east-1:123456789012:execution:StandardStateMachine:abcdef0123456789","status":429}`+"\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, `[StartFunction] {"time":"2026-11-29T21:25:24.1Z","level":"INFO","msg":"request"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	out := console.String()
	if !strings.Contains(out, "WARN StartFunction | throttled executionArn=StandardStateMachine/abcdef01 status=429") {
		t.Fatalf("the warning reads %q", out)
	}
	if strings.Contains(out, `"msg":"request"`) || strings.Contains(out, "| request") {
		t.Fatalf("an INFO line of a function shows without -v: %q", out)
	}
}
