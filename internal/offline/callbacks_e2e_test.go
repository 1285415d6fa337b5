package offline_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/stepgate/stepgate/internal/offline"
	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/tasktoken"
)

// manualClock is the workflows' clock of a test: time moves only when the test advances it, so a
// HeartbeatSeconds or TimeoutSeconds expires exactly when the test says, whatever the machine's
// load. The test waits on the engine's own waits (who sleeps until when), never on a timer.
type manualClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers map[*sleeper]bool
	changed  chan struct{} // closed, and replaced, whenever a wait starts or ends
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), sleepers: map[*sleeper]bool{}, changed: make(chan struct{})}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	s := &sleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers[s] = true
	c.notifyLocked()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, s)
		c.notifyLocked()
		c.mu.Unlock()
		return ctx.Err()
	}
}

func (c *manualClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves time on by d and wakes every wait that ends by then.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for s := range c.sleepers {
		if !s.until.After(c.now) {
			close(s.wake)
			delete(c.sleepers, s)
		}
	}
	c.notifyLocked()
}

// waitForSleeper blocks until someone waits until now+d exactly (a heartbeat wait started now).
func (c *manualClock) waitForSleeper(t *testing.T, d time.Duration) {
	t.Helper()
	for {
		c.mu.Lock()
		changed := c.changed
		for s := range c.sleepers {
			if s.until.Equal(c.now.Add(d)) {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
		select {
		case <-changed:
		case <-time.After(testWait(t)):
			t.Fatalf("no wait of %s started", d)
		}
	}
}

// testWait bounds a wait on an event by the test's deadline (less a margin, to report what is
// missing rather than panic).
func testWait(tb testing.TB) time.Duration {
	if t, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := t.Deadline(); ok {
			return time.Until(deadline) - 30*time.Second
		}
	}
	return 5 * time.Minute
}

// events collects the stack's history events as the engine appends them, so a test waits on them.
type events struct {
	mu      sync.Mutex
	byExec  map[string][]asl.HistoryEvent
	changed chan struct{}
}

func newEvents() *events {
	return &events{byExec: map[string][]asl.HistoryEvent{}, changed: make(chan struct{})}
}

func (e *events) record(arn string, ev asl.HistoryEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.byExec[arn] = append(e.byExec[arn], ev)
	close(e.changed)
	e.changed = make(chan struct{})
}

// await returns the first event of execution arn that ok accepts, waiting for it.
func (e *events) await(t testing.TB, arn string, ok func(asl.HistoryEvent) bool) asl.HistoryEvent {
	t.Helper()
	for {
		e.mu.Lock()
		changed := e.changed
		for _, ev := range e.byExec[arn] {
			if ok(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-changed:
		case <-time.After(testWait(t)):
			t.Fatalf("execution %s: the event waited for never came", arn)
		}
	}
}

func ofType(typ string) func(asl.HistoryEvent) bool {
	return func(ev asl.HistoryEvent) bool { return ev.Type == typ }
}

// callbackStack starts testdata/callbacks.yaml with clk as the workflows' clock, its console in log.
func callbackStack(t *testing.T, clk *manualClock, log *syncBuffer) (*offline.Stack, *events) {
	t.Helper()
	evs := newEvents()
	s := startStack(t, func(c *offline.Config) {
		c.Template = filepath.Join("testdata", "callbacks.yaml")
		c.Clock = clk
		c.OnExecutionEvent = evs.record
		c.Log = log
		c.LogLevel = slog.LevelDebug // every AWS call and the functions' own lines too
	})
	return s, evs
}

// waiting starts an execution through the route and returns it and its task token once its task
// waits: the token is where the workflow put $$.Task.Token, in the task's scheduled parameters.
func waiting(t *testing.T, s *offline.Stack, evs *events, body string) (string, string) {
	t.Helper()
	r := call(t, s, "POST", "/waits", body)
	arn, _ := r.body["executionArn"].(string)
	if r.status != 202 || arn == "" {
		t.Fatalf("POST /waits: %d %s", r.status, r.raw)
	}
	scheduled := evs.await(t, arn, ofType(asl.EventTaskScheduled))
	var params struct {
		Input struct {
			TaskToken string `json:"taskToken"`
		}
	}
	if err := json.Unmarshal([]byte(scheduled.TaskScheduledEventDetails.Parameters), &params); err != nil || params.Input.TaskToken == "" {
		t.Fatalf("no token in the task's parameters %s: %v", scheduled.TaskScheduledEventDetails.Parameters, err)
	}
	evs.await(t, arn, ofType(asl.EventTaskSubmitted))
	return arn, params.Input.TaskToken
}

// callbackAnswers are docs/openapi.yaml's components for a callback route's answers, by status.
var callbackAnswers = map[int]string{200: "CallbackDone", 400: "CallbackInvalidRequest", 404: "TaskNotFound", 410: "TaskTimedOut"}

// callCallback calls a callback route and checks its answer against the component
// docs/openapi.yaml describes it with (the callback routes are a user's, so no path documents
// them; their answers are generic).
func callCallback(t *testing.T, s *offline.Stack, method, path, body string) response {
	t.Helper()
	r := call(t, s, method, path, body)
	name, ok := callbackAnswers[r.status]
	if !ok {
		t.Fatalf("%s %s answered %d, which no callback component documents: %s", method, path, r.status, r.raw)
	}
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(repoRoot, "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	resp := doc.Components.Responses[name]
	if resp == nil || resp.Value == nil {
		t.Fatalf("docs/openapi.yaml has no response component %s", name)
	}
	var decoded any
	if err := json.Unmarshal([]byte(r.raw), &decoded); err != nil {
		t.Fatal(err)
	}
	if err := resp.Value.Content.Get("application/json").Schema.Value.VisitJSON(decoded); err != nil {
		t.Errorf("%s %s: %d %s does not match %s: %v", method, path, r.status, r.raw, name, err)
	}
	return r
}

func describe(t *testing.T, s *offline.Stack, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	out, err := sfnClient(s).DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCallbackRoutes: a workflow waits for its token, and the callback routes resume it over HTTP,
// through the real start bootstrap and the local Step Functions: success (the token in the body),
// failure (in the path), a heartbeat (in the query) that keeps the task alive past its
// HeartbeatSeconds, and the answers about tokens that wait for nothing (404, 410). The token
// appears nowhere in the console, the functions' logs included.
func TestCallbackRoutes(t *testing.T) {
	clk := newManualClock()
	var console syncBuffer
	s, evs := callbackStack(t, clk, &console)
	const heartbeat = 60 * time.Second
	var tokens []string

	t.Run("success, the token in the body", func(t *testing.T) {
		arn, token := waiting(t, s, evs, `{"n":1}`)
		tokens = append(tokens, token)
		r := callCallback(t, s, "POST", "/tasks/approve", `{"taskToken":"`+token+`","approved":true,"by":"ada"}`)
		if r.status != 200 || r.raw != "{}" {
			t.Fatalf("approve: %d %s", r.status, r.raw)
		}
		evs.await(t, arn, ofType("ExecutionSucceeded"))
		out := describe(t, s, arn)
		sameJSON(t, "output", aws.ToString(out.Output), `{"n":1,"answer":{"approved":true,"by":"ada"}}`)
		// The task is answered: the same token again is late.
		late := callCallback(t, s, "POST", "/tasks/approve", `{"taskToken":"`+token+`"}`)
		expectError(t, late, 410, "TaskTimedOut")
		if late.body["taskTokenHash"] != tasktoken.Hash(token) {
			t.Errorf("the 410 names the token %v, want its hash %s", late.body["taskTokenHash"], tasktoken.Hash(token))
		}
	})

	t.Run("failure, the token in the path", func(t *testing.T) {
		arn, token := waiting(t, s, evs, `{"n":2}`)
		tokens = append(tokens, token)
		r := callCallback(t, s, "POST", "/tasks/"+url.PathEscape(token)+"/reject", `{"cause":"over budget"}`)
		if r.status != 200 || r.raw != "{}" {
			t.Fatalf("reject: %d %s", r.status, r.raw)
		}
		evs.await(t, arn, ofType("ExecutionSucceeded"))
		out := describe(t, s, arn)
		sameJSON(t, "output", aws.ToString(out.Output), `{"n":2,"rejection":{"Error":"Rejected","Cause":"over budget"}}`)
	})

	t.Run("a heartbeat keeps the task past its HeartbeatSeconds", func(t *testing.T) {
		arn, token := waiting(t, s, evs, `{"n":3}`)
		tokens = append(tokens, token)
		clk.waitForSleeper(t, heartbeat)
		for range 3 { // 3 × 50 s: two and a half HeartbeatSeconds
			clk.Advance(heartbeat - 10*time.Second)
			r := callCallback(t, s, "POST", "/tasks/heartbeat?taskToken="+url.QueryEscape(token), "")
			if r.status != 200 || r.raw != "{}" {
				t.Fatalf("heartbeat: %d %s", r.status, r.raw)
			}
			clk.waitForSleeper(t, heartbeat) // the task's heartbeat wait started again
		}
		if out := describe(t, s, arn); out.Status != sfntypes.ExecutionStatusRunning {
			t.Fatalf("after 150 s with heartbeats the execution is %s", out.Status)
		}
		r := callCallback(t, s, "POST", "/tasks/approve", `{"taskToken":"`+token+`","late":false}`)
		if r.status != 200 {
			t.Fatalf("approve after heartbeats: %d %s", r.status, r.raw)
		}
		evs.await(t, arn, ofType("ExecutionSucceeded"))
	})

	t.Run("no heartbeat: the task times out, a late callback is 410", func(t *testing.T) {
		arn, token := waiting(t, s, evs, `{"n":4}`)
		tokens = append(tokens, token)
		clk.waitForSleeper(t, heartbeat)
		clk.Advance(heartbeat)
		failed := evs.await(t, arn, ofType("ExecutionFailed"))
		if d := failed.ExecutionFailedEventDetails; d == nil || d.Error != "States.HeartbeatTimeout" {
			t.Fatalf("the execution failed with %+v, want States.HeartbeatTimeout", d)
		}
		for _, req := range []struct{ method, path, body string }{
			{"POST", "/tasks/approve", `{"taskToken":"` + token + `"}`},
			{"POST", "/tasks/" + url.PathEscape(token) + "/reject", `{}`},
			{"POST", "/tasks/heartbeat?taskToken=" + url.QueryEscape(token), ""},
		} {
			expectError(t, callCallback(t, s, req.method, req.path, req.body), 410, "TaskTimedOut")
		}
	})

	t.Run("tokens Step Functions does not know", func(t *testing.T) {
		for _, token := range []string{"not-a-token", tokens[0][:len(tokens[0])/2] + strings.Repeat("A", len(tokens[0])-len(tokens[0])/2)} {
			r := callCallback(t, s, "POST", "/tasks/approve", `{"taskToken":"`+token+`"}`)
			expectError(t, r, 404, "TaskNotFound")
		}
		expectError(t, callCallback(t, s, "POST", "/tasks/approve", `{"approved":true}`), 400, "InvalidRequest")
		expectError(t, callCallback(t, s, "POST", "/tasks/heartbeat", ""), 400, "InvalidRequest")
	})

	// Nothing the stack printed holds a token: the console's request lines name a path token by
	// its hash, and the functions' own lines (shown at this level) only ever carry the hash.
	printed := console.String()
	for _, token := range tokens {
		for _, form := range []string{token, url.PathEscape(token), url.QueryEscape(token)} {
			if strings.Contains(printed, form) {
				t.Errorf("the console shows a task token (%s…)", form[:12])
			}
		}
	}
	if !strings.Contains(printed, "{taskToken:"+tasktoken.Hash(tokens[1])+"}") {
		t.Errorf("the console does not name the path token by its hash:\n%s", printed)
	}
}

// BenchmarkCallbackRoute measures a callback round trip on the offline stack, through the API:
// from a client sending POST /tasks/approve for a task that already waits, to the execution
// leaving that task (its TaskStateExited event): the local API, the start bootstrap's
// SendTaskSuccess to the local Step Functions, the engine resuming the task. Starting each
// iteration's execution is not timed. go test -run '^$' -bench BenchmarkCallbackRoute -benchtime=200x ./internal/offline/
func BenchmarkCallbackRoute(b *testing.B) {
	evs := newEvents()
	s := startStackB(b, func(c *offline.Config) {
		c.Template, c.TimeScale, c.EnvVars = filepath.Join("testdata", "callbacks.yaml"), 1, nil
		c.OnExecutionEvent, c.Log, c.LogLevel = evs.record, io.Discard, slog.LevelWarn
	})
	post := func(path, body string) (int, map[string]any) {
		resp, err := http.Post(s.APIURL+path, "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	var latencies []time.Duration
	for b.Loop() {
		b.StopTimer()
		status, started := post("/waits", `{}`)
		arn, _ := started["executionArn"].(string)
		if status != 202 || arn == "" {
			b.Fatalf("POST /waits: %d %v", status, started)
		}
		scheduled := evs.await(b, arn, ofType(asl.EventTaskScheduled))
		var params struct{ Input struct{ TaskToken string } }
		if err := json.Unmarshal([]byte(scheduled.TaskScheduledEventDetails.Parameters), &params); err != nil {
			b.Fatal(err)
		}
		evs.await(b, arn, ofType(asl.EventTaskSubmitted))
		b.StartTimer()
		sent := time.Now()
		if status, out := post("/tasks/approve", `{"taskToken":"`+params.Input.TaskToken+`"}`); status != 200 {
			b.Fatalf("approve: %d %v", status, out)
		}
		left := evs.await(b, arn, ofType("TaskStateExited"))
		latencies = append(latencies, left.Timestamp.Sub(sent))
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.9), "p90-ms")
	b.ReportMetric(pct(1), "max-ms")
}
