package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func eventsRequest(arn string, q map[string]string) events.APIGatewayProxyRequest {
	req := request(http.MethodGet, arn, q)
	req.Resource, req.Path = eventsResource, "/executions/"+arn+"/events"
	return req
}

// fakeHistory serves GetExecutionHistory from a growing list of events. Before each call,
// arrive (when set) may append events, as a running execution would.
type fakeHistory struct {
	events []types.HistoryEvent
	calls  []*sfn.GetExecutionHistoryInput
	arrive func(call int, h *fakeHistory)
	err    func(call int) error
}

func (f *fakeHistory) history(in *sfn.GetExecutionHistoryInput) (*sfn.GetExecutionHistoryOutput, error) {
	f.calls = append(f.calls, in)
	if aws.ToString(in.ExecutionArn) != testExec {
		return nil, &types.ExecutionDoesNotExist{Message: aws.String("secret")}
	}
	if f.arrive != nil {
		f.arrive(len(f.calls), f)
	}
	if f.err != nil {
		if err := f.err(len(f.calls)); err != nil {
			return nil, err
		}
	}
	ordered := f.events
	if in.ReverseOrder {
		ordered = make([]types.HistoryEvent, len(f.events))
		for i, ev := range f.events {
			ordered[len(f.events)-1-i] = ev
		}
	}
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	size := int(in.MaxResults)
	if size == 0 {
		size = 100
	}
	end := min(start+size, len(ordered))
	out := &sfn.GetExecutionHistoryOutput{Events: ordered[start:end]}
	if end < len(ordered) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

// add appends an event with the next ID, whose previous event is the last one.
func (f *fakeHistory) add(typ types.HistoryEventType, mod func(*types.HistoryEvent)) {
	id := int64(len(f.events) + 1)
	ev := types.HistoryEvent{Id: id, PreviousEventId: id - 1, Type: typ, Timestamp: aws.Time(testStart.Add(time.Duration(id) * time.Second))}
	if mod != nil {
		mod(&ev)
	}
	f.events = append(f.events, ev)
}

func (f *fakeHistory) enter(typ types.HistoryEventType, state string) {
	f.add(typ, func(ev *types.HistoryEvent) {
		ev.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String(state), Input: aws.String(`{}`)}
	})
}

func (f *fakeHistory) exit(typ types.HistoryEventType, state, output string) {
	f.add(typ, func(ev *types.HistoryEvent) {
		ev.StateExitedEventDetails = &types.StateExitedEventDetails{Name: aws.String(state), Output: aws.String(output)}
	})
}

// standardRun is the STANDARD machine's successful run with one retried task failure:
// 1 ExecutionStarted … 16 ExecutionSucceeded.
func standardRun() *fakeHistory {
	f := &fakeHistory{}
	f.add(types.HistoryEventTypeExecutionStarted, func(ev *types.HistoryEvent) {
		ev.ExecutionStartedEventDetails = &types.ExecutionStartedEventDetails{Input: aws.String(`{"instance_id":"i-0123456789abcdef0"}`)}
	})
	f.enter(types.HistoryEventTypeWaitStateEntered, "WaitBeforeCheck")               // 2
	f.exit(types.HistoryEventTypeWaitStateExited, "WaitBeforeCheck", `{}`)           // 3
	f.enter(types.HistoryEventTypeTaskStateEntered, "Check")                         // 4
	f.add(types.HistoryEventTypeLambdaFunctionScheduled, nil)                        // 5
	f.add(types.HistoryEventTypeLambdaFunctionStarted, nil)                          // 6
	f.add(types.HistoryEventTypeLambdaFunctionFailed, func(ev *types.HistoryEvent) { // 7
		ev.LambdaFunctionFailedEventDetails = &types.LambdaFunctionFailedEventDetails{
			Error: aws.String("Lambda.ServiceException"), Cause: aws.String(`{"errorMessage":"try again"}`)}
	})
	f.add(types.HistoryEventTypeLambdaFunctionScheduled, nil)                     // 8
	f.add(types.HistoryEventTypeLambdaFunctionStarted, nil)                       // 9
	f.add(types.HistoryEventTypeLambdaFunctionSucceeded, nil)                     // 10
	f.exit(types.HistoryEventTypeTaskStateExited, "Check", `{"state":"stopped"}`) // 11
	f.enter(types.HistoryEventTypeChoiceStateEntered, "Decide")                   // 12
	f.exit(types.HistoryEventTypeChoiceStateExited, "Decide", `{"state":"stopped"}`)
	f.enter(types.HistoryEventTypeSucceedStateEntered, "Done") // 14
	f.exit(types.HistoryEventTypeSucceedStateExited, "Done", `{"action":"start"}`)
	f.add(types.HistoryEventTypeExecutionSucceeded, func(ev *types.HistoryEvent) { // 16
		ev.ExecutionSucceededEventDetails = &types.ExecutionSucceededEventDetails{Output: aws.String(`{"action":"start"}`)}
	})
	return f
}

func decodeEvents(t *testing.T, body string) eventsBody {
	t.Helper()
	var b eventsBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return b
}

func TestEventsBody(t *testing.T) {
	f := standardRun()
	h, _ := newTestHandler(t, &fakeSFN{history: f.history})
	resp, _ := h.Handle(context.Background(), eventsRequest(testExecEncoded, map[string]string{"after": "3"}))
	want := `{"executionArn":"` + testExec + `","status":"SUCCEEDED","events":[` +
		`{"id":4,"timestamp":"2025-11-25T09:30:04.123Z","type":"StateEntered","state":"Check"},` +
		`{"id":7,"timestamp":"2025-11-25T09:30:07.123Z","type":"TaskFailed","state":"Check","error":"Lambda.ServiceException","cause":{"errorMessage":"try again"}},` +
		`{"id":11,"timestamp":"2025-11-25T09:30:11.123Z","type":"StateExited","state":"Check","output":{"state":"stopped"}},` +
		`{"id":12,"timestamp":"2025-11-25T09:30:12.123Z","type":"StateEntered","state":"Decide"},` +
		`{"id":13,"timestamp":"2025-11-25T09:30:13.123Z","type":"StateExited","state":"Decide","output":{"state":"stopped"}},` +
		`{"id":14,"timestamp":"2025-11-25T09:30:14.123Z","type":"StateEntered","state":"Done"},` +
		`{"id":15,"timestamp":"2025-11-25T09:30:15.123Z","type":"StateExited","state":"Done","output":{"action":"start"}},` +
		`{"id":16,"timestamp":"2025-11-25T09:30:16.123Z","type":"ExecutionSucceeded","output":{"action":"start"}}],"cursor":"16"}`
	if resp.StatusCode != 200 || resp.Body != want {
		t.Errorf("%d body =\n%s\nwant\n%s", resp.StatusCode, resp.Body, want)
	}
	if len(f.calls) != 1 || !f.calls[0].ReverseOrder || !aws.ToBool(f.calls[0].IncludeExecutionData) {
		t.Errorf("GetExecutionHistory calls = %+v", f.calls)
	}
}

func TestEventsClosingKinds(t *testing.T) {
	tests := []struct {
		typ    types.HistoryEventType
		mod    func(*types.HistoryEvent)
		status string
		want   string
	}{
		{types.HistoryEventTypeExecutionFailed, func(ev *types.HistoryEvent) {
			ev.ExecutionFailedEventDetails = &types.ExecutionFailedEventDetails{Error: aws.String("InstanceNotFound"), Cause: aws.String("no such instance")}
		}, "FAILED", `{"id":2,"timestamp":"2025-11-25T09:30:02.123Z","type":"ExecutionFailed","error":"InstanceNotFound","cause":"no such instance"}`},
		{types.HistoryEventTypeExecutionTimedOut, func(ev *types.HistoryEvent) {
			ev.ExecutionTimedOutEventDetails = &types.ExecutionTimedOutEventDetails{Error: aws.String("States.Timeout")}
		}, "TIMED_OUT", `{"id":2,"timestamp":"2025-11-25T09:30:02.123Z","type":"ExecutionTimedOut","error":"States.Timeout"}`},
		{types.HistoryEventTypeExecutionAborted, func(ev *types.HistoryEvent) {
			ev.ExecutionAbortedEventDetails = &types.ExecutionAbortedEventDetails{Error: aws.String("StoppedByRequest"), Cause: aws.String(`{"by":"DELETE"}`)}
		}, "ABORTED", `{"id":2,"timestamp":"2025-11-25T09:30:02.123Z","type":"ExecutionAborted","error":"StoppedByRequest","cause":{"by":"DELETE"}}`},
	}
	for _, tc := range tests {
		t.Run(string(tc.typ), func(t *testing.T) {
			f := &fakeHistory{}
			f.add(types.HistoryEventTypeExecutionStarted, nil)
			f.add(tc.typ, tc.mod)
			h, _ := newTestHandler(t, &fakeSFN{history: f.history})
			resp, _ := h.Handle(context.Background(), eventsRequest(testExec, map[string]string{"after": "1", "wait": "20"}))
			want := `{"executionArn":"` + testExec + `","status":"` + tc.status + `","events":[` + tc.want + `],"cursor":"2"}`
			if resp.Body != want {
				t.Errorf("body =\n%s\nwant\n%s", resp.Body, want)
			}
			// At the end of a closed history, a long poll answers at once.
			resp, _ = h.Handle(context.Background(), eventsRequest(testExec, map[string]string{"after": "2", "wait": "20"}))
			want = `{"executionArn":"` + testExec + `","status":"` + tc.status + `","events":[],"cursor":"2"}`
			if resp.Body != want || len(f.calls) != 2 {
				t.Errorf("after the end: %d calls, body %s", len(f.calls), resp.Body)
			}
		})
	}
}

func TestEventsRows(t *testing.T) {
	tests := []struct {
		name       string
		arn        string
		query      map[string]string
		wantStatus int
		wantCode   string
		wantCalls  int
	}{
		{name: "from the start", arn: testExec, wantStatus: 200, wantCalls: 1},
		{name: "encoded ARN", arn: testExecEncoded, query: map[string]string{"after": "0"}, wantStatus: 200, wantCalls: 1},
		{name: "express execution", arn: testExpressExec, wantStatus: 400, wantCode: "ExpressExecutionNotDescribable"},
		{name: "foreign execution", arn: testForeignExec, wantStatus: 404, wantCode: "ExecutionNotFound"},
		{name: "not an ARN", arn: "nope", wantStatus: 400, wantCode: "InvalidExecutionArn"},
		{name: "after negative", arn: testExec, query: map[string]string{"after": "-1"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "after not a number", arn: testExec, query: map[string]string{"after": "abc"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "after empty", arn: testExec, query: map[string]string{"after": ""}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "after too big", arn: testExec, query: map[string]string{"after": "99999999999"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "wait too big", arn: testExec, query: map[string]string{"wait": "21"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "wait not a number", arn: testExec, query: map[string]string{"wait": "soon"}, wantStatus: 400, wantCode: "InvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := standardRun()
			h, _ := newTestHandler(t, &fakeSFN{history: f.history})
			resp, _ := h.Handle(context.Background(), eventsRequest(tc.arn, tc.query))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if len(f.calls) != tc.wantCalls {
				t.Errorf("GetExecutionHistory calls = %d, want %d", len(f.calls), tc.wantCalls)
			}
			if tc.wantCode != "" {
				checkError(t, resp, tc.wantCode)
			}
		})
	}
}

func TestEventsErrors(t *testing.T) {
	notExist := &types.ExecutionDoesNotExist{Message: aws.String("secret")}
	tests := []struct {
		name       string
		query      map[string]string
		err        func(call int) error
		wantStatus int
		wantCode   string
		wantCalls  int
	}{
		{"unknown", nil, func(int) error { return notExist }, 404, "ExecutionNotFound", 1},
		{"unknown after a wait", map[string]string{"wait": "1"}, func(int) error { return notExist }, 404, "ExecutionNotFound", 5},
		{"not yet visible, then visible", map[string]string{"wait": "5"}, func(call int) error {
			if call == 1 {
				return notExist
			}
			return nil
		}, 200, "", 2},
		{"throttled", nil, func(int) error { return apiError("ThrottlingException") }, 429, "Throttled", 1},
		{"access denied", nil, func(int) error { return apiError("AccessDeniedException") }, 500, "InternalError", 1},
		{"express refused by Step Functions", nil, func(int) error { return &types.InvalidArn{Message: aws.String("secret")} }, 400, "InvalidExecutionArn", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := standardRun()
			f.err = tc.err
			h, _ := newTestHandler(t, &fakeSFN{history: f.history})
			resp, _ := h.Handle(context.Background(), eventsRequest(testExec, tc.query))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
			}
			if len(f.calls) != tc.wantCalls {
				t.Errorf("calls = %d, want %d", len(f.calls), tc.wantCalls)
			}
			if tc.wantCode != "" {
				checkError(t, resp, tc.wantCode)
			}
		})
	}
}

// TestEventsLongPoll: with nothing new, the request polls at growing intervals and answers with
// the first new event; undelivered events (task scheduling) move the cursor but do not answer.
func TestEventsLongPoll(t *testing.T) {
	f := &fakeHistory{}
	f.add(types.HistoryEventTypeExecutionStarted, nil)
	f.enter(types.HistoryEventTypeTaskStateEntered, "Check")
	f.arrive = func(call int, f *fakeHistory) {
		switch call {
		case 3:
			f.add(types.HistoryEventTypeLambdaFunctionScheduled, nil) // 3: not delivered
		case 6:
			f.exit(types.HistoryEventTypeTaskStateExited, "Check", `{}`) // 4
		}
	}
	h, clock := newTestHandler(t, &fakeSFN{history: f.history})
	resp, _ := h.Handle(context.Background(), eventsRequest(testExec, map[string]string{"after": "2", "wait": "20"}))
	b := decodeEvents(t, resp.Body)
	if len(b.Events) != 1 || b.Events[0].ID != 4 || b.Cursor != "4" || b.Status != "RUNNING" {
		t.Fatalf("body = %s", resp.Body)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	if fmt.Sprint(clock.sleeps) != fmt.Sprint(want) {
		t.Errorf("sleeps = %v, want %v", clock.sleeps, want)
	}
}

// TestEventsLongPollTimesOut: an execution that stays quiet answers no events, the cursor
// unchanged, when wait passes.
func TestEventsLongPollTimesOut(t *testing.T) {
	f := &fakeHistory{}
	f.add(types.HistoryEventTypeExecutionStarted, nil)
	h, clock := newTestHandler(t, &fakeSFN{history: f.history})
	resp, _ := h.Handle(context.Background(), eventsRequest(testExec, map[string]string{"after": "1", "wait": "3"}))
	if resp.Body != `{"executionArn":"`+testExec+`","status":"RUNNING","events":[],"cursor":"1"}` {
		t.Errorf("body = %s", resp.Body)
	}
	if slept := clock.now.Sub(testStart); slept != 3*time.Second {
		t.Errorf("slept %v", slept)
	}
}

// TestHistoryCallsPerWatcherMinute counts GetExecutionHistory calls of one client that long
// polls (wait=20) a quiet execution for a minute, re-asking as soon as an answer comes: the
// figure the README's watcher budget uses.
func TestHistoryCallsPerWatcherMinute(t *testing.T) {
	for _, pollMax := range []time.Duration{defaultHistoryPollMax, 50 * time.Millisecond} {
		f := &fakeHistory{}
		f.add(types.HistoryEventTypeExecutionStarted, nil)
		h, clock := newTestHandler(t, &fakeSFN{history: f.history})
		h.cfg.HistoryPollMax = pollMax
		for clock.now.Sub(testStart) < time.Minute {
			h.Handle(context.Background(), eventsRequest(testExec, map[string]string{"after": "1", "wait": "20"}))
		}
		t.Logf("HISTORY_POLL_MAX=%v: %d GetExecutionHistory calls per watcher per minute", pollMax, len(f.calls))
		if pollMax == defaultHistoryPollMax && (len(f.calls) < 30 || len(f.calls) > 50) {
			t.Errorf("%d calls per minute: the README's budget says 45", len(f.calls))
		}
	}
}

// TestEventsFollowCursors: a client that follows cursors while the execution runs sees every
// delivered event once, in order, whatever size of step the history grows by.
func TestEventsFollowCursors(t *testing.T) {
	full := standardRun().events
	for _, step := range []int{1, 2, 5, 16} {
		t.Run(fmt.Sprint("step ", step), func(t *testing.T) {
			f := &fakeHistory{events: full[:1]}
			f.arrive = func(call int, f *fakeHistory) {
				f.events = full[:min(len(full), 1+call*step)]
			}
			h, _ := newTestHandler(t, &fakeSFN{history: f.history})
			var ids []int64
			cursor := ""
			for round := 0; round < 40; round++ {
				q := map[string]string{"wait": "20"}
				if cursor != "" {
					q["after"] = cursor
				}
				b := decodeEvents(t, mustHandle(t, h, eventsRequest(testExec, q)).Body)
				for _, ev := range b.Events {
					ids = append(ids, ev.ID)
				}
				cursor = b.Cursor
				if b.Status != "RUNNING" {
					break
				}
			}
			want := []int64{1, 2, 3, 4, 7, 11, 12, 13, 14, 15, 16}
			if fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Errorf("ids = %v, want %v", ids, want)
			}
		})
	}
}

// TestEventsLongHistory: a history longer than one answer comes in several, each bounded, the
// status RUNNING until the closing event is delivered.
func TestEventsLongHistory(t *testing.T) {
	f := &fakeHistory{}
	f.add(types.HistoryEventTypeExecutionStarted, nil)
	for i := range 700 {
		f.enter(types.HistoryEventTypePassStateEntered, fmt.Sprint("P", i))
		f.exit(types.HistoryEventTypePassStateExited, fmt.Sprint("P", i), `{}`)
	}
	f.add(types.HistoryEventTypeExecutionSucceeded, nil)
	h, _ := newTestHandler(t, &fakeSFN{history: f.history})
	var total int
	cursor := "0"
	for answers := 1; ; answers++ {
		b := decodeEvents(t, mustHandle(t, h, eventsRequest(testExec, map[string]string{"after": cursor})).Body)
		if len(b.Events) > maxEventsPerAnswer {
			t.Fatalf("%d events in one answer", len(b.Events))
		}
		total += len(b.Events)
		cursor = b.Cursor
		if b.Status != "RUNNING" {
			if answers != 3 || total != 1402 || cursor != "1402" {
				t.Errorf("%d answers, %d events, cursor %s", answers, total, cursor)
			}
			break
		}
		if answers > 5 {
			t.Fatal("does not end")
		}
	}
}

func mustHandle(t *testing.T, h *Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
	}
	return resp
}

// BenchmarkStatusEvents measures the handler's own work for one events answer: a 16-event
// history read from the start, mapped and rendered, with a fake that answers at once.
func BenchmarkStatusEvents(b *testing.B) {
	f := standardRun()
	h, _ := newTestHandler(b, &fakeSFN{history: f.history})
	req := eventsRequest(testExecEncoded, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f.calls = f.calls[:0]
		if resp, _ := h.Handle(ctx, req); resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}
