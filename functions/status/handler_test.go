package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/internal/app/httpapi"
	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
)

const (
	testScope       = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_*"
	testExpressARN  = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express"
	testStandardARN = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard"
	testExec        = "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f"
	testExecEncoded = "arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Astepgate_Standard%3A4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f"
	testExpressExec = "arn:aws:states:us-east-1:123456789012:express:stepgate_Express:n1:r1"
	testForeignExec = "arn:aws:states:us-east-1:123456789012:execution:SomeOtherMachine:n1"
)

var (
	testStart = time.Date(2025, 11, 25, 9, 30, 0, 123_000_000, time.UTC)
	testStop  = testStart.Add(31 * time.Second)
)

// fakeSFN answers DescribeExecution from a script (the last entry repeats) and records calls.
type fakeSFN struct {
	describe      []describeAnswer
	stopErr       error
	describeCalls int
	describeFn    func() *sfn.DescribeExecutionOutput // when set, answers every call
	stopCalls     []*sfn.StopExecutionInput
	afterStop     *sfn.DescribeExecutionOutput
	// list and history answer ListExecutions and GetExecutionHistory (routes_test.go).
	list    func(*sfn.ListExecutionsInput) (*sfn.ListExecutionsOutput, error)
	history func(*sfn.GetExecutionHistoryInput) (*sfn.GetExecutionHistoryOutput, error)
	// machines answers ListStateMachines, a page of two at a time (nil: the stack's two machines
	// and one of another stack); machineCalls counts the calls.
	machines     []types.StateMachineListItem
	machinesErr  error
	machineCalls int
}

// machine is a ListStateMachines item.
func machine(arn string, typ types.StateMachineType) types.StateMachineListItem {
	return types.StateMachineListItem{StateMachineArn: aws.String(arn), Name: aws.String(arn[strings.LastIndex(arn, ":")+1:]), Type: typ}
}

func (f *fakeSFN) ListStateMachines(_ context.Context, in *sfn.ListStateMachinesInput, _ ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	f.machineCalls++
	if f.machinesErr != nil {
		return nil, f.machinesErr
	}
	all := f.machines
	if all == nil {
		all = []types.StateMachineListItem{
			machine(testExpressARN, types.StateMachineTypeExpress),
			machine("arn:aws:states:us-east-1:123456789012:stateMachine:other_Standard", types.StateMachineTypeStandard),
			machine(testStandardARN, types.StateMachineTypeStandard),
		}
	}
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	end := min(start+2, len(all))
	out := &sfn.ListStateMachinesOutput{StateMachines: all[start:end]}
	if end < len(all) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (f *fakeSFN) ListExecutions(_ context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	if f.list == nil {
		return nil, &types.StateMachineDoesNotExist{Message: aws.String("no list in this fake")}
	}
	return f.list(in)
}

func (f *fakeSFN) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	if f.history == nil {
		return nil, &types.ExecutionDoesNotExist{Message: aws.String("no history in this fake")}
	}
	return f.history(in)
}

type describeAnswer struct {
	out *sfn.DescribeExecutionOutput
	err error
}

func (f *fakeSFN) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	if aws.ToString(in.ExecutionArn) != testExec {
		return nil, &types.ExecutionDoesNotExist{Message: aws.String("unexpected ARN " + aws.ToString(in.ExecutionArn))}
	}
	f.describeCalls++
	if len(f.stopCalls) > 0 && f.afterStop != nil {
		return f.afterStop, nil
	}
	if f.describeFn != nil {
		return f.describeFn(), nil
	}
	a := f.describe[min(f.describeCalls, len(f.describe))-1]
	return a.out, a.err
}

func (f *fakeSFN) StopExecution(_ context.Context, in *sfn.StopExecutionInput, _ ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	f.stopCalls = append(f.stopCalls, in)
	if f.stopErr != nil {
		return nil, f.stopErr
	}
	return &sfn.StopExecutionOutput{StopDate: aws.Time(testStop)}, nil
}

func running() *sfn.DescribeExecutionOutput {
	return &sfn.DescribeExecutionOutput{
		ExecutionArn: aws.String(testExec), StateMachineArn: aws.String(testStandardARN),
		Name: aws.String("4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f"), Status: types.ExecutionStatusRunning,
		StartDate: aws.Time(testStart), Input: aws.String(`{"instance_id":"i-0123456789abcdef0"}`),
	}
}

func withStatus(status types.ExecutionStatus, mod func(*sfn.DescribeExecutionOutput)) *sfn.DescribeExecutionOutput {
	out := running()
	out.Status = status
	out.StopDate = aws.Time(testStop)
	if mod != nil {
		mod(out)
	}
	return out
}

func succeeded() *sfn.DescribeExecutionOutput {
	return withStatus(types.ExecutionStatusSucceeded, func(o *sfn.DescribeExecutionOutput) {
		o.Output = aws.String(`{"instance_id":"i-0123456789abcdef0","previous_state":"stopped","action":"start","current_state":"pending"}`)
	})
}

// fakeClock advances only when the handler sleeps, so long polls take no wall time.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func newTestHandler(t testing.TB, f *fakeSFN) (*Handler, *fakeClock) {
	t.Helper()
	cfg, err := ConfigFromEnv(env{"STATE_MACHINES": testScope}.Get)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(cfg, f, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	clock := &fakeClock{now: testStart}
	h.setClock(clock)
	return h, clock
}

type env map[string]string

func (e env) Get(k string) string { return e[k] }

func request(method, arn string, query map[string]string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource: "/executions/{executionArn}", Path: "/executions/" + arn, HTTPMethod: method,
		PathParameters:        map[string]string{"executionArn": arn},
		QueryStringParameters: query,
		RequestContext:        events.APIGatewayProxyRequestContext{RequestID: "req-1", Stage: "Prod", HTTPMethod: method},
	}
}

func decode(t *testing.T, resp events.APIGatewayProxyResponse) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, resp.Body)
	}
	if resp.Headers["X-Request-Id"] != "req-1" {
		t.Errorf("X-Request-Id = %q", resp.Headers["X-Request-Id"])
	}
	return body
}

func checkError(t *testing.T, resp events.APIGatewayProxyResponse, code string) map[string]any {
	t.Helper()
	body := decode(t, resp)
	if body["error"] != code || body["requestId"] != "req-1" || body["message"] == "" {
		t.Errorf("error body = %s, want error %s", resp.Body, code)
	}
	if strings.Contains(resp.Body, "secret") {
		t.Errorf("SDK detail leaked: %s", resp.Body)
	}
	return body
}

func apiError(code string) error {
	return &smithy.OperationError{ServiceID: "SFN", OperationName: "DescribeExecution",
		Err: &smithy.GenericAPIError{Code: code, Message: "secret SDK detail"}}
}

func TestGet(t *testing.T) {
	notExist := describeAnswer{err: &types.ExecutionDoesNotExist{Message: aws.String("secret")}}
	tests := []struct {
		name          string
		arn           string
		query         map[string]string
		describe      []describeAnswer
		wantStatus    int
		wantCode      string
		wantStatusVal string
		wantDescribes int
		wantSlept     time.Duration
	}{
		{name: "known execution, raw ARN", arn: testExec, describe: []describeAnswer{{out: succeeded()}}, wantStatus: 200, wantStatusVal: "SUCCEEDED", wantDescribes: 1},
		{name: "known execution, URL-encoded ARN", arn: testExecEncoded, describe: []describeAnswer{{out: succeeded()}}, wantStatus: 200, wantStatusVal: "SUCCEEDED", wantDescribes: 1},
		{name: "running, no wait", arn: testExec, describe: []describeAnswer{{out: running()}}, wantStatus: 200, wantStatusVal: "RUNNING", wantDescribes: 1},
		{name: "running, wait=0", arn: testExec, query: map[string]string{"wait": "0"}, describe: []describeAnswer{{out: running()}}, wantStatus: 200, wantStatusVal: "RUNNING", wantDescribes: 1},
		{name: "long poll until finished", arn: testExec, query: map[string]string{"wait": "10"},
			describe: []describeAnswer{{out: running()}, {out: running()}, {out: succeeded()}}, wantStatus: 200, wantStatusVal: "SUCCEEDED", wantDescribes: 3, wantSlept: 600 * time.Millisecond},
		{name: "long poll runs out", arn: testExec, query: map[string]string{"wait": "3"},
			describe: []describeAnswer{{out: running()}}, wantStatus: 200, wantStatusVal: "RUNNING", wantDescribes: 8, wantSlept: 3 * time.Second},
		{name: "not yet visible, then visible", arn: testExec, query: map[string]string{"wait": "5"},
			describe: []describeAnswer{notExist, {out: succeeded()}}, wantStatus: 200, wantStatusVal: "SUCCEEDED", wantDescribes: 2, wantSlept: 200 * time.Millisecond},
		{name: "unknown execution", arn: testExec, describe: []describeAnswer{notExist}, wantStatus: 404, wantCode: "ExecutionNotFound", wantDescribes: 1},
		{name: "unknown execution after wait", arn: testExec, query: map[string]string{"wait": "2"}, describe: []describeAnswer{notExist}, wantStatus: 404, wantCode: "ExecutionNotFound", wantDescribes: 6, wantSlept: 2 * time.Second},
		{name: "foreign state machine", arn: testForeignExec, wantStatus: 404, wantCode: "ExecutionNotFound"},
		{name: "foreign account", arn: strings.Replace(testExec, "123456789012", "210987654321", 1), wantStatus: 404, wantCode: "ExecutionNotFound"},
		{name: "express execution", arn: testExpressExec, wantStatus: 400, wantCode: "ExpressExecutionNotDescribable"},
		{name: "express execution of another stack", arn: strings.Replace(testExpressExec, "stepgate_", "other_", 1), wantStatus: 404, wantCode: "ExecutionNotFound"},
		{name: "not an ARN", arn: "hello", wantStatus: 400, wantCode: "InvalidExecutionArn"},
		{name: "state machine ARN", arn: testStandardARN, wantStatus: 400, wantCode: "InvalidExecutionArn"},
		{name: "empty ARN", arn: "", wantStatus: 400, wantCode: "InvalidExecutionArn"},
		{name: "bad escape", arn: "arn%3", wantStatus: 400, wantCode: "InvalidExecutionArn"},
		{name: "wait too big", arn: testExec, query: map[string]string{"wait": "21"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "wait negative", arn: testExec, query: map[string]string{"wait": "-1"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "wait fraction", arn: testExec, query: map[string]string{"wait": "1.5"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "wait empty", arn: testExec, query: map[string]string{"wait": ""}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "wait plus sign", arn: testExec, query: map[string]string{"wait": "+5"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "throttled", arn: testExec, describe: []describeAnswer{{err: apiError("ThrottlingException")}}, wantStatus: 429, wantCode: "Throttled", wantDescribes: 1},
		{name: "throttled during long poll", arn: testExec, query: map[string]string{"wait": "5"}, describe: []describeAnswer{{out: running()}, {err: apiError("ThrottlingException")}}, wantStatus: 429, wantCode: "Throttled", wantDescribes: 2, wantSlept: 200 * time.Millisecond},
		{name: "access denied", arn: testExec, describe: []describeAnswer{{err: apiError("AccessDeniedException")}}, wantStatus: 500, wantCode: "InternalError", wantDescribes: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSFN{describe: tc.describe}
			h, clock := newTestHandler(t, f)
			resp, err := h.Handle(context.Background(), request(http.MethodGet, tc.arn, tc.query))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if f.describeCalls != tc.wantDescribes {
				t.Errorf("DescribeExecution calls = %d, want %d", f.describeCalls, tc.wantDescribes)
			}
			if slept := clock.now.Sub(testStart); slept != tc.wantSlept {
				t.Errorf("slept %v, want %v (%v)", slept, tc.wantSlept, clock.sleeps)
			}
			if tc.wantCode != "" {
				body := checkError(t, resp, tc.wantCode)
				if msg, _ := body["message"].(string); strings.Contains(msg, "/") {
					t.Errorf("message %q names a route: the function knows none", msg)
				}
				return
			}
			if body := decode(t, resp); body["status"] != tc.wantStatusVal {
				t.Errorf("status field = %v, want %s", body["status"], tc.wantStatusVal)
			}
		})
	}
}

func TestGetBody(t *testing.T) {
	tests := []struct {
		name string
		out  *sfn.DescribeExecutionOutput
		want string
	}{
		{"succeeded", succeeded(), `{"executionArn":"` + testExec + `","stateMachineArn":"` + testStandardARN + `","name":"4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f","status":"SUCCEEDED","startDate":"2025-11-25T09:30:00.123Z","stopDate":"2025-11-25T09:30:31.123Z","input":{"instance_id":"i-0123456789abcdef0"},"output":{"instance_id":"i-0123456789abcdef0","previous_state":"stopped","action":"start","current_state":"pending"}}`},
		{"running", running(), `{"executionArn":"` + testExec + `","stateMachineArn":"` + testStandardARN + `","name":"4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f","status":"RUNNING","startDate":"2025-11-25T09:30:00.123Z","input":{"instance_id":"i-0123456789abcdef0"}}`},
		{"failed, JSON cause", withStatus(types.ExecutionStatusFailed, func(o *sfn.DescribeExecutionOutput) {
			o.Error, o.Cause = aws.String("InstanceNotFound"), aws.String(`{"errorMessage":"instance i-0123456789abcdef0 not found","errorType":"InstanceNotFound"}`)
		}), `{"executionArn":"` + testExec + `","stateMachineArn":"` + testStandardARN + `","name":"4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f","status":"FAILED","startDate":"2025-11-25T09:30:00.123Z","stopDate":"2025-11-25T09:30:31.123Z","input":{"instance_id":"i-0123456789abcdef0"},"error":"InstanceNotFound","cause":{"errorMessage":"instance i-0123456789abcdef0 not found","errorType":"InstanceNotFound"}}`},
		{"aborted, text cause", withStatus(types.ExecutionStatusAborted, func(o *sfn.DescribeExecutionOutput) {
			o.Error, o.Cause = aws.String("StoppedByRequest"), aws.String("stopped by request")
		}), `{"executionArn":"` + testExec + `","stateMachineArn":"` + testStandardARN + `","name":"4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f","status":"ABORTED","startDate":"2025-11-25T09:30:00.123Z","stopDate":"2025-11-25T09:30:31.123Z","input":{"instance_id":"i-0123456789abcdef0"},"error":"StoppedByRequest","cause":"stopped by request"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHandler(t, &fakeSFN{describe: []describeAnswer{{out: tc.out}}})
			resp, _ := h.Handle(context.Background(), request(http.MethodGet, testExec, nil))
			if resp.Body != tc.want {
				t.Errorf("body =\n%s\nwant\n%s", resp.Body, tc.want)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name       string
		arn        string
		describe   []describeAnswer
		stopErr    error
		wantStatus int
		wantCode   string
		wantStops  int
	}{
		{name: "running", arn: testExecEncoded, describe: []describeAnswer{{out: running()}}, wantStatus: 202, wantStops: 1},
		{name: "already finished", arn: testExec, describe: []describeAnswer{{out: succeeded()}}, wantStatus: 409, wantCode: "ExecutionNotRunning"},
		{name: "unknown", arn: testExec, describe: []describeAnswer{{err: &types.ExecutionDoesNotExist{}}}, wantStatus: 404, wantCode: "ExecutionNotFound"},
		{name: "foreign", arn: testForeignExec, wantStatus: 404, wantCode: "ExecutionNotFound"},
		{name: "express", arn: testExpressExec, wantStatus: 400, wantCode: "ExpressExecutionNotDescribable"},
		{name: "not an ARN", arn: "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard", wantStatus: 400, wantCode: "InvalidExecutionArn"},
		{name: "stop throttled", arn: testExec, describe: []describeAnswer{{out: running()}}, stopErr: apiError("ThrottlingException"), wantStatus: 429, wantCode: "Throttled", wantStops: 1},
		{name: "stop denied", arn: testExec, describe: []describeAnswer{{out: running()}}, stopErr: apiError("AccessDeniedException"), wantStatus: 500, wantCode: "InternalError", wantStops: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSFN{describe: tc.describe, stopErr: tc.stopErr, afterStop: withStatus(types.ExecutionStatusAborted, nil)}
			h, _ := newTestHandler(t, f)
			resp, _ := h.Handle(context.Background(), request(http.MethodDelete, tc.arn, map[string]string{"wait": "junk is ignored"}))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if len(f.stopCalls) != tc.wantStops {
				t.Errorf("StopExecution calls = %d, want %d", len(f.stopCalls), tc.wantStops)
			}
			if tc.wantCode != "" {
				checkError(t, resp, tc.wantCode)
				return
			}
			if body := decode(t, resp); body["status"] != "ABORTED" || body["executionArn"] != testExec {
				t.Errorf("body = %s, want the execution described after the stop", resp.Body)
			}
			if got := aws.ToString(f.stopCalls[0].ExecutionArn); got != testExec {
				t.Errorf("stopped %s", got)
			}
		})
	}
}

// TestLongPollLatency: whenever the execution leaves RUNNING within the wait, the long poll
// answers at most maxPoll later (README: "within half a second"), and a 20 s wait on an
// execution that never finishes costs the DescribeExecution calls the README states. On the fake
// clock, which moves only when the handler sleeps.
func TestLongPollLatency(t *testing.T) {
	for finish := time.Duration(0); finish < 20*time.Second; finish += 37 * time.Millisecond {
		f := &fakeSFN{}
		h, clock := newTestHandler(t, f)
		f.describeFn = func() *sfn.DescribeExecutionOutput {
			if clock.now.Sub(testStart) >= finish {
				return succeeded()
			}
			return running()
		}
		resp, _ := h.Handle(context.Background(), request(http.MethodGet, testExec, map[string]string{"wait": "20"}))
		if body := decode(t, resp); body["status"] != "SUCCEEDED" {
			t.Fatalf("finished at %v: answered %s", finish, resp.Body)
		}
		if late := clock.now.Sub(testStart) - finish; late < 0 || late > maxPoll {
			t.Fatalf("finished at %v, answered %v later; want at most %v", finish, late, maxPoll)
		}
	}
	f := &fakeSFN{describe: []describeAnswer{{out: running()}}}
	h, _ := newTestHandler(t, f)
	h.Handle(context.Background(), request(http.MethodGet, testExec, map[string]string{"wait": "20"}))
	if f.describeCalls != 42 {
		t.Errorf("a whole 20 s wait made %d DescribeExecution calls; README says 42", f.describeCalls)
	}
}

// TestRepeatedQueryParameter: a parameter given twice is ambiguous (API Gateway's single-value
// map would hold the last): 400, before any call.
func TestRepeatedQueryParameter(t *testing.T) {
	f := &fakeSFN{describe: []describeAnswer{{out: succeeded()}}}
	h, _ := newTestHandler(t, f)
	req := request(http.MethodGet, testExec, map[string]string{"wait": "20"})
	req.MultiValueQueryStringParameters = map[string][]string{"wait": {"0", "20"}}
	resp, _ := h.Handle(context.Background(), req)
	if resp.StatusCode != 400 || f.describeCalls != 0 {
		t.Fatalf("status %d after %d calls", resp.StatusCode, f.describeCalls)
	}
	checkError(t, resp, "InvalidRequest")
}

// TestLongPollBoundedByDeadline: a wait longer than the Lambda has left stops short of its
// deadline, measured on the fake clock.
func TestLongPollBoundedByDeadline(t *testing.T) {
	f := &fakeSFN{describe: []describeAnswer{{out: running()}}}
	h, clock := newTestHandler(t, f)
	ctx, cancel := context.WithDeadline(context.Background(), testStart.Add(5*time.Second))
	defer cancel()
	resp, _ := h.Handle(ctx, request(http.MethodGet, testExec, map[string]string{"wait": "20"}))
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if slept, want := clock.now.Sub(testStart), 5*time.Second-deadlineMargin; slept != want {
		t.Errorf("slept %v, want %v", slept, want)
	}
}

func TestMisconfigured(t *testing.T) {
	for name, e := range map[string]env{
		"no STATE_MACHINES":         {},
		"a machine, not a pattern":  {"STATE_MACHINES": testStandardARN},
		"every machine of account":  {"STATE_MACHINES": "arn:aws:states:us-east-1:123456789012:stateMachine:*"},
		"history poll not duration": {"STATE_MACHINES": testScope, "HISTORY_POLL_MAX": "fast"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ConfigFromEnv(e.Get)
			if err == nil {
				t.Fatal("accepted")
			}
			resp, _ := httpapi.Misconfigured(err, slog.New(slog.NewJSONHandler(io.Discard, nil))).
				Handle(context.Background(), request(http.MethodGet, testExec, nil))
			if resp.StatusCode != 500 {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			checkError(t, resp, "InternalError")
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h, _ := newTestHandler(t, &fakeSFN{})
	resp, _ := h.Handle(context.Background(), request(http.MethodPost, testExec, nil))
	if resp.StatusCode != 405 || resp.Headers["Allow"] != "DELETE, GET" {
		t.Fatalf("status = %d, Allow %q", resp.StatusCode, resp.Headers["Allow"])
	}
	checkError(t, resp, "MethodNotAllowed")
}

// fixtureStatus is the expected status of every execution-* fixture in events/; a fixture
// without a row fails the test.
var fixtureStatus = map[string]int{
	"execution-get.json":                      200,
	"execution-get-encoded.json":              200,
	"execution-get-wait.json":                 200,
	"execution-get-wait-zero.json":            200,
	"execution-get-bad-wait.json":             400,
	"execution-get-bad-wait-not-integer.json": 400,
	"execution-get-bad-arn.json":              400,
	"execution-get-state-machine-arn.json":    400,
	"execution-get-express.json":              400,
	"execution-get-foreign.json":              404,
	"execution-delete.json":                   202,
	"execution-delete-express.json":           400,
	"execution-delete-foreign.json":           404,
	"execution-delete-bad-arn.json":           400,
	"execution-get-list.json":                 200,
	"execution-get-list-running.json":         200,
	"execution-get-list-bad-limit.json":       400,
	"execution-get-events.json":               200,
	"execution-get-events-after-wait.json":    200,
	"execution-get-events-bad-after.json":     400,
	"execution-get-events-express.json":       400,
	"execution-get-events-foreign.json":       404,
}

func TestFixtures(t *testing.T) {
	files, err := samtemplate.RepoFixtures("../..", "StatusFunction")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := fixtureStatus[name]
			if !ok {
				t.Fatalf("no expected status for %s in fixtureStatus", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var req events.APIGatewayProxyRequest
			if err := json.Unmarshal(data, &req); err != nil {
				t.Fatal(err)
			}
			// GET finds the execution finished; DELETE finds it running.
			answer := succeeded()
			if req.HTTPMethod == http.MethodDelete {
				answer = running()
			}
			// The list and events routes read a listing and a finished history.
			listing := &fakeList{byMachine: map[string][]types.ExecutionListItem{testStandardARN: items(testStandardARN, 3, testStart, time.Minute)}}
			h, _ := newTestHandler(t, &fakeSFN{describe: []describeAnswer{{out: answer}}, afterStop: withStatus(types.ExecutionStatusAborted, nil),
				list: listing.list, history: standardRun().history})
			resp, _ := h.Handle(context.Background(), req)
			if resp.StatusCode != want {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, want, resp.Body)
			}
			if resp.Headers["X-Request-Id"] != req.RequestContext.RequestID {
				t.Errorf("X-Request-Id = %q", resp.Headers["X-Request-Id"])
			}
		})
	}
	if len(files) != len(fixtureStatus) {
		t.Errorf("%d fixtures for %d expectations", len(files), len(fixtureStatus))
	}
}
