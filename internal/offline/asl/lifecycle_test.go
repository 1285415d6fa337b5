package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// loopingGraph loops between a Pass and a Choice state for ever: the
// Succeed state it names is never reached, but makes the graph valid.
const loopingGraph = `{"StartAt":"Loop","States":{
	"Loop":{"Type":"Pass","Next":"Again"},
	"Again":{"Type":"Choice","Choices":[{"Variable":"$.never","IsPresent":true,"Next":"Done"}],"Default":"Loop"},
	"Done":{"Type":"Succeed"}}}`

// TestStopEndsEverything stops executions in the middle of each kind of
// long-running work, by Stop and by cancelling the context given to Start,
// and checks that the execution ends as ABORTED with no goroutine left: each
// case runs in a synctest bubble, which fails the test when a goroutine the
// execution started is still blocked once the case is over, and whose fake
// clock makes the waits instant.
func TestStopEndsEverything(t *testing.T) {
	items := make([]int, 1000)
	manyItems, _ := json.Marshal(map[string]any{"items": items})
	failing := fakeInvoker{fnARN: func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &Failure{Name: "Flaky", Cause: "try again"}
	}}
	blocking := func() Invoker { return blockingInvoker(make(chan struct{}, 1)) }
	tests := []struct {
		name    string
		def     string
		input   string
		inv     func() Invoker // a new one per run: blockingInvoker's channel fills
		trigger string         // the event after which the execution is stopped
	}{
		{"looping Choice and Pass", loopingGraph, `{}`, nil, "ChoiceStateEntered"},
		{"Map over many items", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999,"End":true}}},"End":true}}}`, string(manyItems), nil, "WaitStateEntered"},
		{"Map of looping iterations", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":` + loopingGraph + `,"End":true}}}`, string(manyItems), nil, "ChoiceStateEntered"},
		{"Parallel", fmt.Sprintf(`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[%s,
			{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999,"End":true}}},
			{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}],"End":true}}}`, loopingGraph, fnARN),
			`{}`, blocking, "LambdaFunctionStarted"},
		{"Retry with long intervals", fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":99999999,"MaxAttempts":99999999}],"End":true}}}`, fnARN),
			`{}`, func() Invoker { return failing }, "LambdaFunctionFailed"},
		{"Wait of 1000 years", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":31536000000,"End":true}}}`, `{}`, nil, "WaitStateEntered"},
		{"Task with a timeout", fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"TimeoutSeconds":99999,"End":true}}}`, fnARN),
			`{}`, blocking, "LambdaFunctionStarted"},
		{"execution TimeoutSeconds", `{"TimeoutSeconds":99999999,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999,"End":true}}}`, `{}`, nil, "WaitStateEntered"},
		{"a JSONata evaluation of 2^60 calls", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% ($f := function($n){ $n = 0 ? 0 : $f($n-1) + $f($n-1) }; $f(60)) %}","End":true}}}`, `{}`, nil, "PassStateEntered"},
	}
	stops := []struct {
		name      string
		wantError string
		stop      func(*Execution, context.CancelFunc)
	}{
		{"Stop", "Cancelled", func(e *Execution, _ context.CancelFunc) { e.Stop("Cancelled", "by the test") }},
		{"context cancelled", "States.Aborted", func(_ *Execution, cancel context.CancelFunc) { cancel() }},
	}
	for _, tt := range tests {
		for _, how := range stops {
			t.Run(tt.name+"/"+how.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					sm := mustParse(t, tt.def)
					var inv Invoker
					if tt.inv != nil {
						inv = tt.inv()
					}
					ready := make(chan struct{}, 1)
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					exec := sm.Start(ctx, json.RawMessage(tt.input), Config{
						Invoker: inv,
						Clock:   fastClock,
						OnEvent: func(ev HistoryEvent) {
							if ev.Type == tt.trigger {
								select {
								case ready <- struct{}{}:
								default:
								}
							}
						},
						// Loops must still be running when stopped, not
						// failed by the quota.
						historyLimit: math.MaxInt64,
					})
					<-ready
					how.stop(exec, cancel)
					wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer wcancel()
					res := exec.Wait(wctx)
					if res.Status != StatusAborted || res.Error != how.wantError {
						t.Fatalf("result = %+v, want ABORTED %s", res, how.wantError)
					}
					if h := exec.History(); h[len(h)-1].Type != EventExecutionAborted {
						t.Errorf("last event = %s", h[len(h)-1].Type)
					}
				})
			})
		}
	}
}

func TestHistoryLimit(t *testing.T) {
	items, _ := json.Marshal(map[string]any{"items": make([]int, 50)})
	tests := []struct {
		name      string
		def       string
		input     string
		limit     int64 // 0: AWS's quota
		wantRes   Result
		wantTypes []string // the whole history, when set
	}{
		{
			name:    "a loop fails at AWS's quota",
			def:     loopingGraph,
			input:   `{}`,
			wantRes: Result{Status: StatusFailed, Error: ErrNameRuntime, Cause: "The execution reached the maximum number of history events (25000)."},
		},
		{
			name:      "ExecutionSucceeded may be the last event",
			def:       `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"S"},"S":{"Type":"Succeed"}}}`,
			input:     `{}`,
			limit:     6,
			wantRes:   Result{Status: StatusSucceeded, Output: json.RawMessage(`{}`)},
			wantTypes: []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"},
		},
		{
			name:      "any other event in the last slot fails the execution",
			def:       `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"S"},"S":{"Type":"Succeed"}}}`,
			input:     `{}`,
			limit:     5,
			wantRes:   Result{Status: StatusFailed, Error: ErrNameRuntime, Cause: "The execution reached the maximum number of history events (5)."},
			wantTypes: []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "SucceedStateEntered", "ExecutionFailed"},
		},
		{
			name:      "a Fail state in time keeps its own error",
			def:       `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"Mine","Cause":"own"}}}`,
			input:     `{}`,
			limit:     5,
			wantRes:   Result{Status: StatusFailed, Error: "Mine", Cause: "own"},
			wantTypes: []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "FailStateEntered", "ExecutionFailed"},
		},
		{
			name:    "looping Parallel branches",
			def:     `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[` + loopingGraph + `,` + loopingGraph + `],"End":true}}}`,
			input:   `{}`,
			limit:   1000,
			wantRes: Result{Status: StatusFailed, Error: ErrNameRuntime, Cause: "The execution reached the maximum number of history events (1000)."},
		},
		{
			name:    "looping Map iterations",
			def:     `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":` + loopingGraph + `,"End":true}}}`,
			input:   string(items),
			limit:   1000,
			wantRes: Result{Status: StatusFailed, Error: ErrNameRuntime, Cause: "The execution reached the maximum number of history events (1000)."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sm := mustParse(t, tt.def)
				exec := sm.Start(context.Background(), json.RawMessage(tt.input), Config{Clock: fastClock, historyLimit: tt.limit})
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				res := exec.Wait(ctx)
				if res.Status != tt.wantRes.Status || res.Error != tt.wantRes.Error || res.Cause != tt.wantRes.Cause || string(res.Output) != string(tt.wantRes.Output) {
					t.Fatalf("result = %+v, want %+v", res, tt.wantRes)
				}
				h := exec.History()
				limit := tt.limit
				if limit == 0 {
					limit = maxHistoryEvents
				}
				if int64(len(h)) > limit {
					t.Errorf("%d events, quota %d", len(h), limit)
				}
				if tt.wantRes.Status == StatusFailed && tt.wantRes.Error == ErrNameRuntime && int64(len(h)) != limit {
					t.Errorf("failed after %d events, want exactly the quota %d", len(h), limit)
				}
				for i, ev := range h {
					if ev.ID != int64(i)+1 {
						t.Fatalf("event %d has id %d", i, ev.ID)
					}
				}
				if last := h[len(h)-1]; last.ExecutionFailedEventDetails != nil && last.ExecutionFailedEventDetails.Cause != tt.wantRes.Cause {
					t.Errorf("ExecutionFailed cause = %q", last.ExecutionFailedEventDetails.Cause)
				}
				if tt.wantTypes != nil && !slices.Equal(eventTypes(h), tt.wantTypes) {
					t.Errorf("history = %v, want %v", eventTypes(h), tt.wantTypes)
				}
			})
		})
	}
}

func TestDurationOfSeconds(t *testing.T) {
	tests := []struct {
		name string
		secs float64
		want time.Duration
	}{
		{"zero", 0, 0},
		{"negative", -5, 0},
		{"NaN", math.NaN(), 0},
		{"one second", 1, time.Second},
		{"fraction", 1.5, 1500 * time.Millisecond},
		{"the longest Wait.Seconds (1000 years) saturates", 31536000000, maxDuration},
		{"the largest int64 saturates", math.MaxInt64, maxDuration},
		{"infinity saturates", math.Inf(1), maxDuration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := durationOfSeconds(tt.secs); got != tt.want {
				t.Errorf("durationOfSeconds(%v) = %v, want %v", tt.secs, got, tt.want)
			}
		})
	}
}
