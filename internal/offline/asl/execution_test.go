package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:Fn"

// flaky fails with the given errors in turn, then answers {"ok":true}.
func flaky(calls *atomic.Int32, errs ...string) fakeInvoker {
	return fakeInvoker{fnARN: func(context.Context, json.RawMessage) (json.RawMessage, error) {
		n := int(calls.Add(1))
		if n <= len(errs) {
			return nil, &Failure{Name: errs[n-1], Cause: `{"errorMessage":"boom"}`}
		}
		return json.RawMessage(`{"ok":true}`), nil
	}}
}

func TestRetryAndCatch(t *testing.T) {
	task := func(handling string) string {
		return fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,%s"End":true},"Caught":{"Type":"Pass","End":true}}}`, fnARN, handling)
	}
	tests := []struct {
		name       string
		def        string
		errs       []string
		wantStatus string
		wantError  string
		wantCalls  int32
		wantOutput string
	}{
		{"no retrier fails", task(``), []string{"E"}, StatusFailed, "E", 1, ""},
		{"retried until success", task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":3}],`), []string{"E", "E"}, StatusSucceeded, "", 3, `{"ok":true}`},
		{"default MaxAttempts is 3", task(`"Retry":[{"ErrorEquals":["E"]}],`), []string{"E", "E", "E", "E"}, StatusFailed, "E", 4, ""},
		{"MaxAttempts 0 never retries", task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":0}],`), []string{"E"}, StatusFailed, "E", 1, ""},
		{"first matching retrier wins", task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":1},{"ErrorEquals":["States.ALL"],"MaxAttempts":5}],`), []string{"E", "E"}, StatusFailed, "E", 2, ""},
		{"States.ALL retries any error", task(`"Retry":[{"ErrorEquals":["States.ALL"]}],`), []string{"X"}, StatusSucceeded, "", 2, `{"ok":true}`},
		{"States.TaskFailed matches a task error", task(`"Retry":[{"ErrorEquals":["States.TaskFailed"]}],`), []string{"X"}, StatusSucceeded, "", 2, `{"ok":true}`},
		{"States.TaskFailed does not match States.Timeout", task(`"Retry":[{"ErrorEquals":["States.TaskFailed"]}],`), []string{ErrNameTimeout}, StatusFailed, ErrNameTimeout, 1, ""},
		{"States.ALL does not catch States.Runtime", task(`"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],`), []string{ErrNameRuntime}, StatusFailed, ErrNameRuntime, 1, ""},
		{"States.ALL does not retry States.DataLimitExceeded", task(`"Retry":[{"ErrorEquals":["States.ALL"]}],`), []string{ErrNameDataLimitExceeded}, StatusFailed, ErrNameDataLimitExceeded, 1, ""},
		{"catch with default ResultPath", task(`"Catch":[{"ErrorEquals":["E"],"Next":"Caught"}],`), []string{"E"}, StatusSucceeded, "", 1, `{"Error":"E","Cause":"{\"errorMessage\":\"boom\"}"}`},
		{"catch with ResultPath keeps the input", task(`"Catch":[{"ErrorEquals":["E"],"ResultPath":"$.err","Next":"Caught"}],`), []string{"E"}, StatusSucceeded, "", 1, `{"in":1,"err":{"Error":"E","Cause":"{\"errorMessage\":\"boom\"}"}}`},
		{"retries exhausted then caught", task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}],"Catch":[{"ErrorEquals":["E"],"ResultPath":null,"Next":"Caught"}],`), []string{"E", "E"}, StatusSucceeded, "", 2, `{"in":1}`},
		{"catcher not matching", task(`"Catch":[{"ErrorEquals":["Other"],"Next":"Caught"}],`), []string{"E"}, StatusFailed, "E", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Caught is reachable only through a catcher; give it a path in
			// the definitions that have none.
			def := tt.def
			if !strings.Contains(def, `"Next":"Caught"`) {
				def = strings.Replace(def, `,"Caught":{"Type":"Pass","End":true}`, ``, 1)
			}
			var calls atomic.Int32
			res, _ := runMachine(t, def, `{"in":1}`, flaky(&calls, tt.errs...))
			if res.Status != tt.wantStatus || res.Error != tt.wantError {
				t.Fatalf("result = %s %q (%s), want %s %q", res.Status, res.Error, res.Cause, tt.wantStatus, tt.wantError)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantOutput != "" {
				jsonEqual(t, res.Output, tt.wantOutput)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		name    string
		r       retrier
		attempt int64
		want    time.Duration
	}{
		{"first attempt waits IntervalSeconds", retrier{intervalSeconds: 3, backoffRate: 2}, 0, 3 * time.Second},
		{"backoff grows", retrier{intervalSeconds: 1, backoffRate: 2}, 3, 8 * time.Second},
		{"capped by MaxDelaySeconds", retrier{intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 5}, 10, 5 * time.Second},
		{"fractional backoff", retrier{intervalSeconds: 2, backoffRate: 1.5}, 1, 3 * time.Second},
		// 2147483647 × 2^99 s overflows a Duration: it must saturate, not
		// wrap to a negative delay that retries at once.
		{"overflow saturates", retrier{intervalSeconds: math.MaxInt32, backoffRate: 2}, 99, maxDuration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryDelay(&tt.r, tt.attempt); got != tt.want {
				t.Errorf("delay = %v, want %v", got, tt.want)
			}
		})
	}
	full := retrier{intervalSeconds: 4, backoffRate: 1, jitterFull: true}
	for range 100 {
		if d := retryDelay(&full, 0); d < 0 || d > 4*time.Second {
			t.Fatalf("FULL jitter delay %v outside [0, 4s]", d)
		}
	}
}

func TestHistory(t *testing.T) {
	tests := []struct {
		name, def, input string
		inv              Invoker
		want             []string
	}{
		{
			name:  "function ARN task",
			def:   fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}`, fnARN),
			input: `{}`,
			inv:   flaky(new(atomic.Int32)),
			want:  []string{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"},
		},
		{
			name:  "failed function with retry",
			def:   fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"Retry":[{"ErrorEquals":["E"]}],"End":true}}}`, fnARN),
			input: `{}`,
			inv:   flaky(new(atomic.Int32), "E"),
			want: []string{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
				"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"},
		},
		{
			name:  "lambda:invoke integration",
			def:   `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"Fn","Payload.$":"$"},"End":true}}}`,
			input: `{}`,
			inv:   flaky(new(atomic.Int32)),
			want:  []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
		},
		{
			name:  "choice, wait, fail",
			def:   `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"W"}]},"W":{"Type":"Wait","Seconds":1,"Next":"F"},"F":{"Type":"Fail","Error":"E","Cause":"c"}}}`,
			input: `{"a":1}`,
			want:  []string{"ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "WaitStateEntered", "WaitStateExited", "FailStateEntered", "ExecutionFailed"},
		},
		{
			name:  "parallel",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}],"End":true}}}`,
			input: `{}`,
			want:  []string{"ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "PassStateEntered", "PassStateExited", "ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"},
		},
		{
			name:  "map",
			def:   `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`,
			input: `[1]`,
			want: []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
				"MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, h := runMachine(t, tt.def, tt.input, tt.inv)
			if got := eventTypes(h); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("events = %v\nwant     %v", got, tt.want)
			}
			for i, ev := range h {
				if ev.ID != int64(i+1) || ev.PreviousEventID != int64(i) {
					t.Errorf("event %d (%s): id %d previous %d, want %d and %d", i, ev.Type, ev.ID, ev.PreviousEventID, i+1, i)
				}
			}
		})
	}
}

func TestHistoryEventJSON(t *testing.T) {
	ev := HistoryEvent{
		Timestamp: time.Unix(1700000000, 123_000_000), Type: "PassStateEntered", ID: 2, PreviousEventID: 1,
		StateEnteredEventDetails: &StateEnteredEventDetails{Name: "A", Input: `{"a":1}`},
	}
	got, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp":1700000000.123,"type":"PassStateEntered","id":2,"previousEventId":1,"stateEnteredEventDetails":{"name":"A","input":"{\"a\":1}","inputDetails":{"truncated":false}}}`
	if string(got) != want {
		t.Errorf("json = %s\nwant   %s", got, want)
	}
}

func TestLambdaInvoke(t *testing.T) {
	var gotResource, gotPayload string
	inv := fakeInvoker{fnARN: func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		gotResource, gotPayload = fnARN, string(in)
		return json.RawMessage(`{"state":"running"}`), nil
	}}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"Fn","Payload":{"id.$":"$.id"}},"End":true}}}`
	res, h := runMachine(t, def, `{"id":"i-1"}`, inv)
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
	}
	if gotResource != fnARN || gotPayload != `{"id":"i-1"}` {
		t.Errorf("invoked %s with %s", gotResource, gotPayload)
	}
	var out map[string]any
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"} {
		if _, ok := out[k]; !ok {
			t.Errorf("output lacks %s: %s", k, res.Output)
		}
	}
	if out["StatusCode"] != float64(200) || out["ExecutedVersion"] != "$LATEST" || !reflect.DeepEqual(out["Payload"], map[string]any{"state": "running"}) {
		t.Errorf("output = %s", res.Output)
	}
	sched := h[2].TaskScheduledEventDetails
	if sched == nil || sched.ResourceType != "lambda" || sched.Resource != "invoke" || sched.Region != "us-east-1" || sched.Parameters != `{"FunctionName":"Fn","Payload":{"id":"i-1"}}` {
		t.Errorf("TaskScheduled details = %+v", sched)
	}
}

func TestTaskFailures(t *testing.T) {
	tests := []struct {
		name, resource string
		inv            Invoker
		wantError      string
		wantCause      string
		wantEvent      string
	}{
		{"unknown resource names it", "arn:aws:lambda:us-east-1:123456789012:function:Nope", fakeInvoker{}, ErrNameRuntime, "arn:aws:lambda:us-east-1:123456789012:function:Nope", EventLambdaFunctionFailed},
		{"handled Lambda error keeps errorType", fnARN, flaky(new(atomic.Int32), "InstanceNotFound"), "InstanceNotFound", `{"errorMessage":"boom"}`, EventLambdaFunctionFailed},
		{"integration failure", "arn:aws:states:::aws-sdk:ec2:describeInstances", fakeInvoker{"arn:aws:states:::aws-sdk:ec2:describeInstances": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, &Failure{Name: "Ec2.InvalidInstanceIDMalformed", Cause: "bad id"}
		}}, "Ec2.InvalidInstanceIDMalformed", "bad id", EventTaskFailed},
		{"plain error is States.TaskFailed", fnARN, fakeInvoker{fnARN: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, fmt.Errorf("connection refused")
		}}, ErrNameTaskFailed, "connection refused", EventLambdaFunctionFailed},
		{"invalid JSON result", fnARN, fakeInvoker{fnARN: func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`{`), nil
		}}, ErrNameTaskFailed, "not valid JSON", EventLambdaFunctionFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}`, tt.resource)
			res, h := runMachine(t, def, `{}`, tt.inv)
			if res.Status != StatusFailed || res.Error != tt.wantError || !strings.Contains(res.Cause, tt.wantCause) {
				t.Fatalf("result = %s %q %q, want FAILED %q containing %q", res.Status, res.Error, res.Cause, tt.wantError, tt.wantCause)
			}
			if got := h[len(h)-2].Type; got != tt.wantEvent {
				t.Errorf("event before ExecutionFailed = %s, want %s", got, tt.wantEvent)
			}
		})
	}
}

// blockingInvoker blocks until its context ends, and reports that it started.
func blockingInvoker(started chan<- struct{}) fakeInvoker {
	return fakeInvoker{fnARN: func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
}

func TestTaskTimeout(t *testing.T) {
	def := fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"TimeoutSecondsPath":"$.t","Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Timed"}],"End":true},"Timed":{"Type":"Pass","Result":"timed out","End":true}}}`, fnARN)
	res, h := runMachine(t, def, `{"t":5}`, blockingInvoker(make(chan struct{}, 1)))
	if string(res.Output) != `"timed out"` {
		t.Fatalf("result = %+v", res)
	}
	if !slices.Contains(eventTypes(h), EventLambdaFunctionTimedOut) {
		t.Errorf("no LambdaFunctionTimedOut in %v", eventTypes(h))
	}
}

func TestExecutionTimeout(t *testing.T) {
	def := `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100000,"End":true}}}`
	// At the test clock's scale 100000 s is 0.1 s and 1 s is 1 µs.
	res, h := runMachine(t, def, `{}`, nil)
	if res.Status != StatusTimedOut || res.Error != ErrNameTimeout {
		t.Fatalf("result = %+v", res)
	}
	if last := h[len(h)-1]; last.Type != EventExecutionTimedOut {
		t.Errorf("last event = %s", last.Type)
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name string
		def  string
	}{
		{"during a Wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999,"End":true}}}`},
		{"during a task", fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}`, fnARN)},
		{"during a Parallel", fmt.Sprintf(`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}],"End":true}}}`, fnARN)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan struct{}, 1)
			exec := mustParse(t, tt.def).Start(context.Background(), json.RawMessage(`{}`), Config{
				Invoker: blockingInvoker(started),
				Clock:   RealClock{},
				OnEvent: func(ev HistoryEvent) {
					if ev.Type == "WaitStateEntered" {
						started <- struct{}{}
					}
				},
			})
			<-started
			exec.Stop("Cancelled", "user asked")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res := exec.Wait(ctx)
			if res.Status != StatusAborted || res.Error != "Cancelled" || res.Cause != "user asked" {
				t.Fatalf("result = %+v", res)
			}
			h := exec.History()
			last := h[len(h)-1]
			if last.Type != EventExecutionAborted || last.ExecutionAbortedEventDetails.Error != "Cancelled" {
				t.Errorf("last event = %+v", last)
			}
		})
	}
}

func TestParallel(t *testing.T) {
	tests := []struct {
		name, def, input, wantStatus, wantError, wantOutput string
	}{
		{"outputs in branch order", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$.x"},"End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":1,"Next":"B2"},"B2":{"Type":"Pass","Result":"b","End":true}}}],
			"ResultSelector":{"first.$":"$[0].a","second.$":"$[1]"},"ResultPath":"$.r","End":true}}}`,
			`{"x":1}`, StatusSucceeded, "", `{"x":1,"r":{"first":1,"second":"b"}}`},
		{"a failed branch fails the state with its error", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"BranchError","Cause":"why"}}},
			{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"End":true}}}`,
			`{}`, StatusFailed, "BranchError", ""},
		{"a failed branch is caught by name", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"BranchError","Cause":"why"}}}],
			"Catch":[{"ErrorEquals":["BranchError"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`,
			`{}`, StatusSucceeded, "", `{"Error":"BranchError","Cause":"why"}`},
		{"branches do not see each other's changes", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"ResultPath":"$.b","End":true}}}],"End":true}}}`,
			`{"x":0}`, StatusSucceeded, "", `[{"x":0,"a":1},{"x":0,"b":2}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRun(t, tt.def, tt.input, tt.wantStatus, tt.wantError, tt.wantOutput)
		})
	}
}

func TestMap(t *testing.T) {
	tests := []struct {
		name, def, input, wantStatus, wantError, wantOutput string
	}{
		{"ItemsPath and ItemSelector with $$.Map.Item", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
			"ItemSelector":{"index.$":"$$.Map.Item.Index","value.$":"$$.Map.Item.Value","tag.$":"$.tag"},
			"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"ResultPath":"$.out","End":true}}}`,
			`{"tag":"t","items":["a","b","c"]}`, StatusSucceeded, "",
			`{"tag":"t","items":["a","b","c"],"out":[{"index":0,"value":"a","tag":"t"},{"index":1,"value":"b","tag":"t"},{"index":2,"value":"c","tag":"t"}]}`},
		{"legacy Iterator and Parameters", `{"StartAt":"M","States":{"M":{"Type":"Map","Parameters":{"v.$":"$$.Map.Item.Value"},
			"Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","InputPath":"$.v","End":true}}},"End":true}}}`,
			`[1,2]`, StatusSucceeded, "", `[1,2]`},
		{"MaxConcurrencyPath and ResultSelector", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.i","MaxConcurrencyPath":"$.c",
			"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"ResultSelector":{"n.$":"$[1]"},"End":true}}}`,
			`{"i":[5,6],"c":1}`, StatusSucceeded, "", `{"n":6}`},
		{"empty array", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			`[]`, StatusSucceeded, "", `[]`},
		{"items not an array", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			`{"a":1}`, StatusFailed, ErrNameRuntime, ""},
		{"failed iteration fails the Map", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"F"}],"Default":"OK"},
			"F":{"Type":"Fail","Error":"Two"},"OK":{"Type":"Succeed"}}},"End":true}}}`,
			`[1,2,3]`, StatusFailed, "Two", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRun(t, tt.def, tt.input, tt.wantStatus, tt.wantError, tt.wantOutput)
		})
	}
}

func TestWaitAndFail(t *testing.T) {
	tests := []struct {
		name, def, input, wantStatus, wantError, wantCause string
	}{
		{"SecondsPath", `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, `{"s":3}`, StatusSucceeded, "", ""},
		{"SecondsPath not a number", `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, `{"s":"x"}`, StatusFailed, ErrNameRuntime, ""},
		{"Timestamp in the past", `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2020-01-01T00:00:00Z","End":true}}}`, `{}`, StatusSucceeded, "", ""},
		{"TimestampPath", `{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}`, `{"t":"2020-01-01T00:00:00Z"}`, StatusSucceeded, "", ""},
		{"TimestampPath invalid", `{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}`, `{"t":"soon"}`, StatusFailed, ErrNameRuntime, ""},
		{"Fail with Error and Cause", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}`, `{}`, StatusFailed, "E", "C"},
		{"Fail with ErrorPath and CausePath", `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`, `{"e":"InstanceTerminated","c":"gone"}`, StatusFailed, "InstanceTerminated", "gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runMachine(t, tt.def, tt.input, nil)
			if res.Status != tt.wantStatus || res.Error != tt.wantError || (tt.wantCause != "" && res.Cause != tt.wantCause) {
				t.Fatalf("result = %s %q %q, want %s %q %q", res.Status, res.Error, res.Cause, tt.wantStatus, tt.wantError, tt.wantCause)
			}
		})
	}
}
