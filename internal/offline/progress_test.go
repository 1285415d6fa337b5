package offline_test

// End to end tests of issue 10's routes on the offline stack: GET /executions and
// GET /executions/{executionArn}/events.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/offline"
)

type progressEvent struct {
	ID        int64  `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	State     string `json:"state"`
	Error     string `json:"error"`
	Output    any    `json:"output"`
}

type progressAnswer struct {
	ExecutionARN string          `json:"executionArn"`
	Status       string          `json:"status"`
	Events       []progressEvent `json:"events"`
	Cursor       string          `json:"cursor"`
	// received is when the answer arrived; sent when the request left.
	sent, received time.Time
}

// getEvents calls the events route and decodes a 200 answer.
func getEvents(tb testing.TB, s *offline.Stack, arn, after string, wait int) progressAnswer {
	tb.Helper()
	a, err := fetchEvents(s, arn, after, wait)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// fetchEvents is getEvents for a goroutine of its own: it returns what went wrong.
func fetchEvents(s *offline.Stack, arn, after string, wait int) (progressAnswer, error) {
	q := url.Values{"wait": {fmt.Sprint(wait)}}
	if after != "" {
		q.Set("after", after)
	}
	sent := time.Now()
	resp, err := http.Get(s.APIURL + "/executions/" + url.PathEscape(arn) + "/events?" + q.Encode())
	if err != nil {
		return progressAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	received := time.Now()
	if err != nil || resp.StatusCode != 200 {
		return progressAnswer{}, fmt.Errorf("events: %d %s %v", resp.StatusCode, raw, err)
	}
	var a progressAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return progressAnswer{}, fmt.Errorf("events body %s: %v", raw, err)
	}
	a.sent, a.received = sent, received
	return a, nil
}

func startStandard(tb testing.TB, s *offline.Stack, action string) string {
	tb.Helper()
	resp, err := http.Post(s.APIURL+"/standard-instance", "application/json", strings.NewReader(body(instanceID, action)))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ExecutionARN string `json:"executionArn"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 202 {
		tb.Fatalf("start: %d %v", resp.StatusCode, err)
	}
	return out.ExecutionARN
}

// follow reads the events route from the start, following cursors with long polls, until the
// execution closes.
func follow(tb testing.TB, s *offline.Stack, arn string) []progressAnswer {
	tb.Helper()
	var answers []progressAnswer
	cursor := ""
	for range 200 {
		a := getEvents(tb, s, arn, cursor, 20)
		answers = append(answers, a)
		cursor = a.Cursor
		if a.Status != "RUNNING" {
			return answers
		}
	}
	tb.Fatal("the execution did not close within 200 answers")
	return nil
}

// TestProgressFollowsWholeExecution: a client following cursors through a whole standard
// execution sees every event once, in order, and exactly the events of GetExecutionHistory
// that docs/openapi.yaml lists.
func TestProgressFollowsWholeExecution(t *testing.T) {
	s := startStack(t, nil)
	arn := startStandard(t, s, "start")
	answers := follow(t, s, arn)

	var got []progressEvent
	for _, a := range answers {
		if a.ExecutionARN != arn {
			t.Errorf("executionArn %q", a.ExecutionARN)
		}
		got = append(got, a.Events...)
	}
	if last := answers[len(answers)-1]; last.Status != "SUCCEEDED" {
		t.Fatalf("status %s", last.Status)
	}

	// What Step Functions recorded, read directly from the local service.
	hist, err := s.SFN.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, ev := range hist.Events {
		typ := string(ev.Type)
		if typ == "ExecutionStarted" || typ == "ExecutionSucceeded" || strings.HasSuffix(typ, "StateEntered") ||
			strings.HasSuffix(typ, "StateExited") || strings.HasSuffix(typ, "Failed") || strings.HasSuffix(typ, "TimedOut") {
			want = append(want, ev.Id)
		}
	}
	ids := make([]int64, len(got))
	for i, ev := range got {
		ids[i] = ev.ID
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("delivered ids %v, want %v (every listed event once, in order)", ids, want)
	}
	if got[0].Type != "ExecutionStarted" || got[len(got)-1].Type != "ExecutionSucceeded" {
		t.Errorf("first %s, last %s", got[0].Type, got[len(got)-1].Type)
	}
	var entered []string
	for _, ev := range got {
		if ev.Type == "StateEntered" {
			entered = append(entered, ev.State)
		}
	}
	if len(entered) < 3 || entered[0] != "InitialWait" || !slices.Contains(entered, "Check") || !slices.Contains(entered, "Start") {
		t.Errorf("states entered %v", entered)
	}
	if out, _ := got[len(got)-1].Output.(map[string]any); out["action"] != "start" {
		t.Errorf("ExecutionSucceeded output %v", got[len(got)-1].Output)
	}
	// The long poll held the request through the 29 s wait (1.45 s at this time scale) rather
	// than answering empty: few answers, none of them empty before the end.
	for i, a := range answers[:len(answers)-1] {
		if len(a.Events) == 0 {
			t.Errorf("answer %d of %d is empty though the execution was running", i, len(answers))
		}
	}

	// That it also comes at once, without polling, is functions/status's TestEventsClosingKinds.
	t.Run("after the end, the answer is empty", func(t *testing.T) {
		a := getEvents(t, s, arn, answers[len(answers)-1].Cursor, 20)
		if len(a.Events) != 0 || a.Status != "SUCCEEDED" {
			t.Errorf("%+v", a)
		}
	})

	t.Run("GET /executions lists it", func(t *testing.T) {
		r := call(t, s, "GET", "/executions?limit=5", "")
		items, _ := r.body["executions"].([]any)
		if r.status != 200 || len(items) == 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		first, _ := items[0].(map[string]any)
		statusURL, _ := first["statusUrl"].(string)
		if first["executionArn"] != arn || first["status"] != "SUCCEEDED" || first["stopDate"] == nil ||
			!strings.HasSuffix(statusURL, "/"+s.StageName+"/executions/"+strings.ReplaceAll(url.PathEscape(arn), ":", "%3A")) {
			t.Errorf("first item %v", first)
		}
	})
}

// TestProgressList: several executions, listed newest first, a page at a time, filtered.
func TestProgressList(t *testing.T) {
	s := startStack(t, func(c *offline.Config) { c.TimeScale = 1 }) // they stay RUNNING in their 29 s wait
	var started []string
	for i := range 5 {
		arn := startStandard(t, s, []string{"start", "stop"}[i%2])
		started = append(started, arn)
		// They are listed by start date, which has milliseconds: the next one starts in a later one.
		out, err := s.SFN.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the clock passes the last start date", func() bool {
			return time.Now().Truncate(time.Millisecond).After(aws.ToTime(out.StartDate))
		})
	}
	slices.Reverse(started) // newest first
	var listed []string
	path := "/executions?limit=2&status=RUNNING"
	for range 10 {
		r := call(t, s, "GET", path, "")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		items, _ := r.body["executions"].([]any)
		if len(items) > 2 {
			t.Fatalf("%d items over the limit", len(items))
		}
		for _, it := range items {
			m := it.(map[string]any)
			listed = append(listed, m["executionArn"].(string))
			if m["status"] != "RUNNING" || m["stopDate"] != nil {
				t.Errorf("item %v", m)
			}
		}
		next, _ := r.body["next"].(string)
		if next == "" {
			break
		}
		path = "/executions?next=" + url.QueryEscape(next)
	}
	if !slices.Equal(listed, started) {
		t.Errorf("listed %v\nwant %v", listed, started)
	}
	if r := call(t, s, "GET", "/executions?status=SUCCEEDED", ""); r.status != 200 || len(r.body["executions"].([]any)) != 0 {
		t.Errorf("SUCCEEDED: %s", r.raw)
	}
	for _, bad := range []string{"?limit=0", "?limit=101", "?status=done", "?next=garbage"} {
		expectError(t, call(t, s, "GET", "/executions"+bad, ""), 400, "InvalidRequest")
	}
}

// TestProgressLongPollHeld: a long poll sent while the execution waits is held until the next event
// exists, and answers with it. Order, not the clock, shows it was held: the status function had the
// request before the event was in the history. How soon after the event it answers is a latency,
// measured by BenchmarkEventLatency.
func TestProgressLongPollHeld(t *testing.T) {
	// The wait lasts 29 s / 10 = 2.9 s, time enough for the poll to reach the function first.
	s := startStack(t, func(c *offline.Config) { c.TimeScale = 10 })
	arn := startStandard(t, s, "start")
	a := getEvents(t, s, arn, "", 0)
	for !slices.ContainsFunc(a.Events, func(e progressEvent) bool { return e.Type == "StateEntered" && e.State == "InitialWait" }) {
		a = getEvents(t, s, arn, a.Cursor, 20)
	}

	type answer struct {
		a   progressAnswer
		err error
	}
	held := make(chan answer, 1)
	before := invocations(t, s, "StatusFunction")
	go func() {
		b, err := fetchEvents(s, arn, a.Cursor, 20)
		held <- answer{b, err}
	}()
	waitUntil(t, "the status function has the poll", func() bool { return invocations(t, s, "StatusFunction") > before })
	hist, err := s.SFN.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range hist.Events {
		if ev.Type == "WaitStateExited" && aws.ToString(ev.StateExitedEventDetails.Name) == "InitialWait" {
			t.Fatalf("InitialWait ended before the poll reached the status function: the machine is too slow for this test's 2.9 s wait")
		}
	}

	r := <-held
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.a.Events) == 0 || r.a.Events[0].Type != "StateExited" || r.a.Events[0].State != "InitialWait" {
		t.Fatalf("the held poll answered %+v, want InitialWait's exit first", r.a)
	}
}

// TestProgressRefusals: express and foreign ARNs, and bad cursors, answered as docs/openapi.yaml says.
func TestProgressRefusals(t *testing.T) {
	s := startStack(t, nil)
	express := call(t, s, "POST", "/express-instance", body(instanceID, "start"))
	expressARN := express.header.Get("X-Execution-Arn")
	if expressARN == "" {
		t.Fatalf("no express ARN: %s", express.raw)
	}
	unknown := "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:nope"
	foreign := "arn:aws:states:us-east-1:123456789012:execution:SomeoneElses:abc"
	cases := []struct {
		name, path string
		status     int
		code       string
	}{
		{"express execution", "/executions/" + url.PathEscape(expressARN) + "/events", 400, "ExpressExecutionNotDescribable"},
		{"foreign state machine", "/executions/" + url.PathEscape(foreign) + "/events", 404, "ExecutionNotFound"},
		{"unknown execution", "/executions/" + url.PathEscape(unknown) + "/events", 404, "ExecutionNotFound"},
		{"unknown execution within a wait", "/executions/" + url.PathEscape(unknown) + "/events?wait=1", 404, "ExecutionNotFound"},
		{"not an ARN", "/executions/nope/events", 400, "InvalidExecutionArn"},
		{"bad cursor", "/executions/" + url.PathEscape(unknown) + "/events?after=x", 400, "InvalidRequest"},
		{"bad wait", "/executions/" + url.PathEscape(unknown) + "/events?wait=21", 400, "InvalidRequest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, call(t, s, "GET", c.path, ""), c.status, c.code)
		})
	}
	// And the local Step Functions refuses the express execution itself, as AWS does.
	_, err := s.SFN.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(expressARN)})
	if err == nil || !strings.Contains(err.Error(), "InvalidArn") {
		t.Errorf("GetExecutionHistory of an express execution: %v, want InvalidArn", err)
	}
}

// BenchmarkEventLatency measures, on the offline stack, the time from an event's timestamp to
// the client holding it, for every event a held long poll delivered (the request left before
// the event existed). Each iteration is one standard execution (about 2 s at time scale 20):
// run with -benchtime=5x.
func BenchmarkEventLatency(b *testing.B) {
	s := startStackB(b)
	var latencies []time.Duration
	for b.Loop() {
		arn := startStandard(b, s, "toggle")
		for _, a := range follow(b, s, arn) {
			for _, ev := range a.Events {
				ts, err := time.Parse(time.RFC3339Nano, ev.Timestamp)
				if err != nil {
					b.Fatal(err)
				}
				if ts.After(a.sent) {
					latencies = append(latencies, a.received.Sub(ts))
				}
			}
		}
	}
	if len(latencies) == 0 {
		b.Fatal("no held long poll delivered an event")
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(float64(len(latencies)), "events")
}

// startStackB is startStack for a benchmark: the same configuration, the console discarded,
// changed by mutate.
func startStackB(b *testing.B, mutate ...func(*offline.Config)) *offline.Stack {
	b.Helper()
	cfg := offline.Config{
		Template: filepath.Join(repoRoot, "template.yaml"), BuildDir: buildDir,
		APIAddr: "127.0.0.1:0", AWSAddr: "127.0.0.1:0", TimeScale: 20,
		EnvVars: map[string]map[string]string{"Parameters": {"ALLOWED_INSTANCE_IDS": instanceID}},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := offline.Start(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s
}
