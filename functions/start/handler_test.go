package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
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
	testInstance    = "i-0123456789abcdef0"
	testHost        = "abcdef1234.execute-api.us-east-1.amazonaws.com"
	testExpressExec = "arn:aws:states:us-east-1:123456789012:express:stepgate_Express:n1:r1"
	testStdExec     = "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:n1"
)

// The sample's start routes' paths.
const (
	routeExpress  = "/express-instance"
	routeStandard = "/standard-instance"
)

// testRoutes is template.yaml's ROUTES with the local ARNs (internal/devtools/samtemplate checks
// that the template's document parses and serves the template's routes).
const testRoutes = `{
  "routes": {
    "POST /express-instance": {"stateMachine": "` + testExpressARN + `", "mode": "sync", "input": {"body": true}, "required": ["instance_id"]},
    "POST /standard-instance": {"stateMachine": "` + testStandardARN + `", "mode": "async", "input": {"body": true}, "required": ["instance_id"]},
    "GET /instances/{instance_id}": {"stateMachine": "` + testExpressARN + `", "mode": "sync", "input": {"path": ["instance_id"], "fixed": {"action": "check"}}, "required": ["instance_id"]}
  },
  "fields": {
    "instance_id": {"pattern": "^i-[0-9a-f]{8}([0-9a-f]{9})?$", "hint": "an EC2 instance ID such as i-0123456789abcdef0",
      "allowlist": {"env": "ALLOWED_INSTANCE_IDS", "error": "InstanceNotAllowed"}},
    "action": {"pattern": "^(toggle|start|stop)$", "hint": "one of toggle, start or stop"}
  },
  "errors": {
    "InstanceNotFound": {"status": 404, "message": "Instance {instance_id} does not exist."},
    "InstanceInTransition": {"status": 409, "message": "Instance {instance_id} is still changing state; retry when it is running or stopped."},
    "InstanceTerminated": {"status": 409, "message": "Instance {instance_id} is shutting down or terminated and can no longer be started or stopped."},
    "InstanceNotAllowed": {"status": 403, "message": "Instance {instance_id} is not managed by this stack."}
  }
}`

var testStart = time.Date(2025, 11, 25, 9, 30, 0, 123_000_000, time.UTC)

// fakeSFN is a hand-written Step Functions fake: canned answers, recorded calls.
type fakeSFN struct {
	syncOut     *sfn.StartSyncExecutionOutput
	syncErr     error
	syncFn      func(ctx context.Context) error // when set, its error replaces syncErr
	startOut    *sfn.StartExecutionOutput
	startErr    error
	describeOut *sfn.DescribeExecutionOutput
	describeErr error

	sendErr error // the answer to every SendTask* call

	syncCalls      []*sfn.StartSyncExecutionInput
	startCalls     []*sfn.StartExecutionInput
	describeCalls  []*sfn.DescribeExecutionInput
	successCalls   []*sfn.SendTaskSuccessInput
	failureCalls   []*sfn.SendTaskFailureInput
	heartbeatCalls []*sfn.SendTaskHeartbeatInput
}

func (f *fakeSFN) StartSyncExecution(ctx context.Context, in *sfn.StartSyncExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error) {
	f.syncCalls = append(f.syncCalls, in)
	if f.syncFn != nil {
		if err := f.syncFn(ctx); err != nil {
			return nil, err
		}
	}
	if f.syncErr != nil {
		return nil, f.syncErr
	}
	return f.syncOut, nil
}

func (f *fakeSFN) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.startCalls = append(f.startCalls, in)
	if f.startErr != nil {
		return nil, f.startErr
	}
	return f.startOut, nil
}

func (f *fakeSFN) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.describeCalls = append(f.describeCalls, in)
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	return f.describeOut, nil
}

func (f *fakeSFN) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.successCalls = append(f.successCalls, in)
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *fakeSFN) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.failureCalls = append(f.failureCalls, in)
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *fakeSFN) SendTaskHeartbeat(_ context.Context, in *sfn.SendTaskHeartbeatInput, _ ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	f.heartbeatCalls = append(f.heartbeatCalls, in)
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	return &sfn.SendTaskHeartbeatOutput{}, nil
}

// succeeding is a fake whose every call succeeds.
func succeeding() *fakeSFN {
	return &fakeSFN{
		syncOut: &sfn.StartSyncExecutionOutput{
			ExecutionArn: aws.String(testExpressExec),
			Status:       types.SyncExecutionStatusSucceeded,
			Output:       aws.String(`{"instance_id":"i-0123456789abcdef0","previous_state":"stopped","action":"start","current_state":"pending"}`),
		},
		startOut: &sfn.StartExecutionOutput{ExecutionArn: aws.String(testStdExec), StartDate: aws.Time(testStart)},
	}
}

func testConfig(t testing.TB) Config {
	t.Helper()
	cfg, err := ConfigFromEnv(func(k string) string {
		return map[string]string{
			"ROUTES":               testRoutes,
			"ALLOWED_INSTANCE_IDS": testInstance + ", i-0aaaaaaaaaaaaaaaa",
			"STATE_MACHINES":       testScope,
		}[k]
	})
	if err != nil {
		t.Fatalf("ConfigFromEnv: %v", err)
	}
	return cfg
}

func newTestHandler(t testing.TB, f *fakeSFN) *Handler {
	return NewHandler(testConfig(t), f, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

// request builds a POST to path as API Gateway sends it for the Prod stage through the API's
// greedy resource: the matched path in the proxy parameter.
func request(path, body string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource:       "/{proxy+}",
		Path:           path,
		HTTPMethod:     http.MethodPost,
		Headers:        map[string]string{"Host": testHost, "Content-Type": "application/json"},
		Body:           body,
		PathParameters: map[string]string{"proxy": strings.TrimPrefix(path, "/")},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: "req-1", Stage: "Prod", Path: "/Prod" + path, ResourcePath: "/{proxy+}", DomainName: testHost,
		},
	}
}

func withHeader(req events.APIGatewayProxyRequest, k, v string) events.APIGatewayProxyRequest {
	h := map[string]string{}
	for hk, hv := range req.Headers {
		h[hk] = hv
	}
	h[k] = v
	req.Headers = h
	return req
}

// checkErrorBody asserts the documented error shape and returns the decoded body.
func checkErrorBody(t *testing.T, resp events.APIGatewayProxyResponse, wantCode string) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, resp.Body)
	}
	if body["error"] != wantCode {
		t.Errorf("error = %v, want %s (body %s)", body["error"], wantCode, resp.Body)
	}
	if m, _ := body["message"].(string); m == "" {
		t.Errorf("message missing: %s", resp.Body)
	}
	if body["requestId"] != resp.Headers["X-Request-Id"] || body["requestId"] == "" {
		t.Errorf("requestId %v does not match X-Request-Id %q", body["requestId"], resp.Headers["X-Request-Id"])
	}
	return body
}

func apiError(code string) error {
	return &smithy.OperationError{ServiceID: "SFN", OperationName: "Op",
		Err: &smithy.GenericAPIError{Code: code, Message: "secret SDK detail"}}
}

func failed(errName, cause string) *sfn.StartSyncExecutionOutput {
	return &sfn.StartSyncExecutionOutput{
		ExecutionArn: aws.String(testExpressExec), Status: types.SyncExecutionStatusFailed,
		Error: aws.String(errName), Cause: aws.String(cause),
	}
}

func bigBody(size int) string {
	prefix := `{"instance_id":"i-0123456789abcdef0","pad":"`
	return prefix + strings.Repeat("x", size-len(prefix)-2) + `"}`
}

// sharedRows are the 4xx/429/503/500 rows both routes answer alike.
type row struct {
	name       string
	body       string
	fake       func() *fakeSFN
	wantStatus int
	wantCode   string // error code, when the answer is an error
	wantHeader map[string]string
}

func sharedRows(failExpress bool) []row {
	fail := func(err error) func() *fakeSFN {
		return func() *fakeSFN {
			f := succeeding()
			if failExpress {
				f.syncErr = err
			} else {
				f.startErr = err
			}
			return f
		}
	}
	good := `{"instance_id":"i-0123456789abcdef0"}`
	return []row{
		{name: "body not JSON", body: `{"instance_id":`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "body empty", body: ``, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "body not an object", body: `"i-0123456789abcdef0"`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "body null", body: `null`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "instance_id missing", body: `{"action":"start"}`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "instance_id malformed", body: `{"instance_id":"i-0123456789ABCDEF0"}`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "instance_id not a string", body: `{"instance_id":12}`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "unknown action", body: `{"instance_id":"i-0123456789abcdef0","action":"reboot"}`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "null action", body: `{"instance_id":"i-0123456789abcdef0","action":null}`, fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "body over 256 KiB", body: bigBody(262145), fake: succeeding, wantStatus: 413, wantCode: "PayloadTooLarge"},
		{name: "instance not allowed", body: `{"instance_id":"i-0fedcba9876543210"}`, fake: succeeding, wantStatus: 403, wantCode: "InstanceNotAllowed"},
		{name: "throttled", body: good, fake: fail(apiError("ThrottlingException")), wantStatus: 429, wantCode: "Throttled",
			wantHeader: map[string]string{"Retry-After": "1"}},
		{name: "execution limit", body: good, fake: fail(&types.ExecutionLimitExceeded{Message: aws.String("secret SDK detail")}),
			wantStatus: 503, wantCode: "ExecutionLimitExceeded", wantHeader: map[string]string{"Retry-After": "5"}},
		{name: "state machine missing", body: good, fake: fail(&types.StateMachineDoesNotExist{Message: aws.String("secret SDK detail")}),
			wantStatus: 500, wantCode: "InternalError"},
		{name: "access denied", body: good, fake: fail(apiError("AccessDeniedException")), wantStatus: 500, wantCode: "InternalError"},
		{name: "network failure", body: good, fake: fail(errors.New("dial tcp: secret SDK detail")), wantStatus: 500, wantCode: "InternalError"},
	}
}

func runRows(t *testing.T, resource string, rows []row) {
	t.Helper()
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := newTestHandler(t, tc.fake()).Handle(context.Background(), request(resource, tc.body))
			if err != nil {
				t.Fatalf("Handle returned error %v", err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if resp.Headers["X-Request-Id"] != "req-1" || resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("headers = %v", resp.Headers)
			}
			if tc.wantCode != "" {
				checkErrorBody(t, resp, tc.wantCode)
				if strings.Contains(resp.Body, "secret") {
					t.Errorf("SDK detail leaked into body: %s", resp.Body)
				}
			}
			for k, v := range tc.wantHeader {
				if resp.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, resp.Headers[k], v)
				}
			}
		})
	}
}

func TestExpressSharedRows(t *testing.T)  { runRows(t, routeExpress, sharedRows(true)) }
func TestStandardSharedRows(t *testing.T) { runRows(t, routeStandard, sharedRows(false)) }

func TestExpressOutcomes(t *testing.T) {
	good := `{"instance_id":"i-0123456789abcdef0"}`
	tests := []struct {
		name       string
		out        *sfn.StartSyncExecutionOutput
		wantStatus int
		wantCode   string
	}{
		{"FAILED InstanceNotFound", failed("InstanceNotFound", `{"errorType":"InstanceNotFound"}`), 404, "InstanceNotFound"},
		{"FAILED InstanceInTransition", failed("InstanceInTransition", "still pending"), 409, "InstanceInTransition"},
		{"FAILED InstanceTerminated", failed("InstanceTerminated", "gone"), 409, "InstanceTerminated"},
		{"FAILED InstanceNotAllowed", failed("InstanceNotAllowed", "no"), 403, "InstanceNotAllowed"},
		{"FAILED otherwise", failed("States.TaskFailed", `{"errorMessage":"boom","errorType":"wrapError"}`), 502, "ExecutionFailed"},
		{"TIMED_OUT", &sfn.StartSyncExecutionOutput{ExecutionArn: aws.String(testExpressExec), Status: types.SyncExecutionStatusTimedOut}, 504, "ExecutionTimedOut"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := succeeding()
			f.syncOut = tc.out
			resp, _ := newTestHandler(t, f).Handle(context.Background(), request(routeExpress, good))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			body := checkErrorBody(t, resp, tc.wantCode)
			if body["executionArn"] != testExpressExec || resp.Headers["X-Execution-Arn"] != testExpressExec {
				t.Errorf("executionArn = %v, X-Execution-Arn = %q", body["executionArn"], resp.Headers["X-Execution-Arn"])
			}
		})
	}
}

func TestExpressFailedDetails(t *testing.T) {
	for _, tc := range []struct {
		name, cause string
		wantCause   any
	}{
		{"JSON cause parsed", `{"errorMessage":"boom","errorType":"wrapError"}`, map[string]any{"errorMessage": "boom", "errorType": "wrapError"}},
		{"text cause kept", `plain words`, "plain words"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := succeeding()
			f.syncOut = failed("States.TaskFailed", tc.cause)
			resp, _ := newTestHandler(t, f).Handle(context.Background(), request(routeExpress, `{"instance_id":"i-0123456789abcdef0"}`))
			body := checkErrorBody(t, resp, "ExecutionFailed")
			details, _ := body["details"].(map[string]any)
			if details["error"] != "States.TaskFailed" || fmt.Sprint(details["cause"]) != fmt.Sprint(tc.wantCause) {
				t.Errorf("details = %#v", body["details"])
			}
		})
	}
}

func TestExpressSucceeded(t *testing.T) {
	f := succeeding()
	body := `{ "action": "start", "instance_id": "i-0123456789abcdef0", "note": 1.50 }`
	resp, _ := newTestHandler(t, f).Handle(context.Background(), request(routeExpress, body))
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
	}
	if resp.Body != aws.ToString(f.syncOut.Output) {
		t.Errorf("body = %s, want the output itself (not a string in a string)", resp.Body)
	}
	if resp.Headers["X-Execution-Arn"] != testExpressExec {
		t.Errorf("X-Execution-Arn = %q", resp.Headers["X-Execution-Arn"])
	}
	if len(f.syncCalls) != 1 {
		t.Fatalf("%d StartSyncExecution calls", len(f.syncCalls))
	}
	call := f.syncCalls[0]
	if aws.ToString(call.StateMachineArn) != testExpressARN {
		t.Errorf("state machine = %s", aws.ToString(call.StateMachineArn))
	}
	if want := `{"action":"start","instance_id":"i-0123456789abcdef0","note":1.50}`; aws.ToString(call.Input) != want {
		t.Errorf("input = %s, want %s", aws.ToString(call.Input), want)
	}
}

// TestExpressNoAnswerInBudget: the call is cut off before the Lambda's deadline and answered 504.
// The context's deadline is already inside the margin, so nothing depends on wall-clock speed.
func TestExpressNoAnswerInBudget(t *testing.T) {
	f := succeeding()
	var sawDeadline time.Time
	f.syncFn = func(ctx context.Context) error {
		sawDeadline, _ = ctx.Deadline()
		<-ctx.Done()
		return &smithy.OperationError{ServiceID: "SFN", OperationName: "StartSyncExecution", Err: ctx.Err()}
	}
	lambdaDeadline := time.Now().Add(syncMargin / 2)
	ctx, cancel := context.WithDeadline(context.Background(), lambdaDeadline)
	defer cancel()
	resp, _ := newTestHandler(t, f).Handle(ctx, request(routeExpress, `{"instance_id":"i-0123456789abcdef0"}`))
	if resp.StatusCode != 504 {
		t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
	}
	body := checkErrorBody(t, resp, "ExecutionTimedOut")
	if _, ok := body["executionArn"]; ok || resp.Headers["X-Execution-Arn"] != "" {
		t.Errorf("executionArn present though unknown: %s %v", resp.Body, resp.Headers)
	}
	if !sawDeadline.Equal(lambdaDeadline.Add(-syncMargin)) {
		t.Errorf("call deadline = %v, want the Lambda's deadline minus %v", sawDeadline, syncMargin)
	}
}

func TestExpressBodyAtLimit(t *testing.T) {
	resp, _ := newTestHandler(t, succeeding()).Handle(context.Background(), request(routeExpress, bigBody(262144)))
	if resp.StatusCode != 200 {
		t.Fatalf("a 262144-byte body: status = %d, want 200", resp.StatusCode)
	}
}

func TestBase64Body(t *testing.T) {
	req := request(routeExpress, base64.StdEncoding.EncodeToString([]byte(`{"instance_id":"i-0123456789abcdef0"}`)))
	req.IsBase64Encoded = true
	req = withHeader(req, "Content-Type", "application/x-www-form-urlencoded")
	resp, _ := newTestHandler(t, succeeding()).Handle(context.Background(), req)
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
	}
}

func TestStandardStarted(t *testing.T) {
	f := succeeding()
	resp, _ := newTestHandler(t, f).Handle(context.Background(), request(routeStandard, `{"instance_id":"i-0123456789abcdef0"}`))
	if resp.StatusCode != 202 {
		t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
	}
	wantURL := "https://" + testHost + "/Prod/executions/arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Astepgate_Standard%3An1"
	var body map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"executionArn": testStdExec, "startDate": "2025-11-25T09:30:00.123Z", "statusUrl": wantURL}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		t.Errorf("body = %v, want %v", body, want)
	}
	if resp.Headers["Location"] != wantURL || resp.Headers["Retry-After"] != "5" || resp.Headers["X-Execution-Arn"] != testStdExec {
		t.Errorf("headers = %v", resp.Headers)
	}
	if f.startCalls[0].Name != nil {
		t.Errorf("a name was set without an Idempotency-Key: %s", aws.ToString(f.startCalls[0].Name))
	}
	if aws.ToString(f.startCalls[0].StateMachineArn) != testStandardARN {
		t.Errorf("state machine = %s", aws.ToString(f.startCalls[0].StateMachineArn))
	}
}

func TestStatusURL(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		want    string
	}{
		{"stage", "/Prod/standard-instance", nil, "https://" + testHost + "/Prod/executions/"},
		{"custom domain base path", "/v1/standard-instance", map[string]string{"Host": "api.example.com"}, "https://api.example.com/v1/executions/"},
		{"custom domain root", "/standard-instance", map[string]string{"Host": "api.example.com"}, "https://api.example.com/executions/"},
		{"forwarded http", "/Prod/standard-instance", map[string]string{"X-Forwarded-Proto": "http"}, "http://" + testHost + "/Prod/executions/"},
		{"forwarded junk", "/Prod/standard-instance", map[string]string{"X-Forwarded-Proto": "gopher"}, "https://" + testHost + "/Prod/executions/"},
		{"host missing", "/Prod/standard-instance", map[string]string{"Host": ""}, "https://" + testHost + "/Prod/executions/"},
		{"local stack", "/standard-instance", map[string]string{"Host": "127.0.0.1:3000", "X-Forwarded-Proto": "http"}, "http://127.0.0.1:3000/executions/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(routeStandard, "")
			req.RequestContext.Path = tc.path
			for k, v := range tc.headers {
				req = withHeader(req, k, v)
			}
			got := httpapi.ExecutionURL(&req, testStdExec)
			if want := tc.want + "arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Astepgate_Standard%3An1"; got != want {
				t.Errorf("statusURL = %s, want %s", got, want)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		wantKey string
		wantErr bool
	}{
		{name: "uuid token", values: []string{"8e03978e-40d5-43e8-bc93-6894a57f9324"}, wantKey: "8e03978e-40d5-43e8-bc93-6894a57f9324"},
		{name: "alpha token", values: []string{"key-8e03978e"}, wantKey: "key-8e03978e"},
		{name: "token with colon and slash", values: []string{"a:b/c"}, wantKey: "a:b/c"},
		{name: "star token", values: []string{"*x"}, wantKey: "*x"},
		{name: "quoted uuid", values: []string{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`}, wantKey: "8e03978e-40d5-43e8-bc93-6894a57f9324"},
		{name: "quoted with escapes", values: []string{`"a \"b\" \\c"`}, wantKey: `a "b" \c`},
		{name: "255 characters", values: []string{"k" + strings.Repeat("x", 254)}, wantKey: "k" + strings.Repeat("x", 254)},
		{name: "256 characters", values: []string{"k" + strings.Repeat("x", 255)}, wantErr: true},
		{name: "empty", values: []string{""}, wantErr: true},
		{name: "empty quoted", values: []string{`""`}, wantErr: true},
		{name: "space in token", values: []string{"two words"}, wantErr: true},
		{name: "unterminated", values: []string{`"abc`}, wantErr: true},
		{name: "after closing quote", values: []string{`"abc"d`}, wantErr: true},
		{name: "bad escape", values: []string{`"a\nb"`}, wantErr: true},
		{name: "non-ASCII", values: []string{`"é"`}, wantErr: true},
		{name: "two headers", values: []string{"a", "b"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(routeStandard, "")
			req.MultiValueHeaders = map[string][]string{"idempotency-key": tc.values}
			key, ok, err := idempotencyKey(&req)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("key %q accepted", key)
				}
				return
			}
			if err != nil || !ok || key != tc.wantKey {
				t.Fatalf("got (%q, %v, %v), want %q", key, ok, err, tc.wantKey)
			}
		})
	}
}

func TestStandardIdempotency(t *testing.T) {
	body := `{"instance_id":"i-0123456789abcdef0","action":"stop"}`
	alice := "arn:aws:iam::123456789012:user/alice"
	nameFor := func(identity, key string) string {
		sum := sha256.Sum256([]byte(identity + "\x00" + key))
		return hex.EncodeToString(sum[:])
	}
	exists := &types.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists")}
	described := func(input string) *sfn.DescribeExecutionOutput {
		return &sfn.DescribeExecutionOutput{Input: aws.String(input), StartDate: aws.Time(testStart.Add(-time.Hour)), Status: types.ExecutionStatusSucceeded}
	}
	tests := []struct {
		name       string
		userArn    string
		apiKeyID   string
		fake       func() *fakeSFN
		wantStatus int
		wantName   string
		wantCode   string
		wantDate   string
	}{
		{name: "first use (IAM caller)", userArn: alice, fake: succeeding, wantStatus: 202, wantName: nameFor("iam:"+alice, "k1"), wantDate: "2025-11-25T09:30:00.123Z"},
		{name: "first use (API key caller)", apiKeyID: "a1b2", fake: succeeding, wantStatus: 202, wantName: nameFor("apikey:a1b2", "k1")},
		{name: "first use (anonymous)", fake: succeeding, wantStatus: 202, wantName: nameFor("anonymous", "k1")},
		{name: "same key, same body (different spelling)", userArn: alice, fake: func() *fakeSFN {
			f := succeeding()
			f.startErr, f.describeOut = exists, described(`{ "instance_id": "i-0123456789abcdef0", "action": "stop" }`)
			return f
		}, wantStatus: 202, wantName: nameFor("iam:"+alice, "k1"), wantDate: "2025-11-25T08:30:00.123Z"},
		{name: "same key, different body", userArn: alice, fake: func() *fakeSFN {
			f := succeeding()
			f.startErr, f.describeOut = exists, described(`{"instance_id":"i-0123456789abcdef0","action":"start"}`)
			return f
		}, wantStatus: 422, wantName: nameFor("iam:"+alice, "k1"), wantCode: "IdempotencyKeyReused"},
		{name: "replay describe throttled", userArn: alice, fake: func() *fakeSFN {
			f := succeeding()
			f.startErr, f.describeErr = exists, apiError("ThrottlingException")
			return f
		}, wantStatus: 429, wantName: nameFor("iam:"+alice, "k1"), wantCode: "Throttled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fake()
			req := withHeader(request(routeStandard, body), "Idempotency-Key", "k1")
			req.RequestContext.Identity.UserArn = tc.userArn
			req.RequestContext.Identity.APIKeyID = tc.apiKeyID
			resp, _ := newTestHandler(t, f).Handle(context.Background(), req)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if got := aws.ToString(f.startCalls[0].Name); got != tc.wantName {
				t.Errorf("execution name = %s, want %s", got, tc.wantName)
			}
			if want := `{"action":"stop","instance_id":"i-0123456789abcdef0"}`; aws.ToString(f.startCalls[0].Input) != want {
				t.Errorf("input = %s, want canonical %s", aws.ToString(f.startCalls[0].Input), want)
			}
			if len(f.describeCalls) > 0 {
				wantARN := "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:" + tc.wantName
				if got := aws.ToString(f.describeCalls[0].ExecutionArn); got != wantARN {
					t.Errorf("described %s, want %s", got, wantARN)
				}
			}
			// Every answer about the execution carries its ARN, the 422 included; a 429 is about
			// the call, not the execution.
			wantHeader := ""
			switch {
			case tc.wantStatus == 202 && len(f.describeCalls) == 0:
				wantHeader = testStdExec // the fake's StartExecution answer
			case tc.wantStatus == 202 || tc.wantStatus == 422:
				wantHeader = "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:" + tc.wantName
			}
			if got := resp.Headers["X-Execution-Arn"]; got != wantHeader {
				t.Errorf("X-Execution-Arn = %q, want %q", got, wantHeader)
			}
			if tc.wantCode != "" {
				checkErrorBody(t, resp, tc.wantCode)
				return
			}
			var got accepted
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatal(err)
			}
			if tc.wantDate != "" && got.StartDate != tc.wantDate {
				t.Errorf("startDate = %s, want %s", got.StartDate, tc.wantDate)
			}
		})
	}
}

func TestExecutionAlreadyExistsWithoutKey(t *testing.T) {
	// Without a key the name is Step Functions' own, so a clash cannot be a replay.
	f := succeeding()
	f.startErr = &types.ExecutionAlreadyExists{}
	resp, _ := newTestHandler(t, f).Handle(context.Background(), request(routeStandard, `{"instance_id":"i-0123456789abcdef0"}`))
	if resp.StatusCode != 500 || len(f.describeCalls) != 0 {
		t.Fatalf("status = %d, describes = %d", resp.StatusCode, len(f.describeCalls))
	}
}

func TestMisconfigured(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"nothing set", map[string]string{}},
		{"routes not JSON", map[string]string{"ROUTES": "{", "ALLOWED_INSTANCE_IDS": testInstance, "STATE_MACHINES": testScope}},
		{"bad machine ARN", map[string]string{"ROUTES": strings.Replace(testRoutes, testExpressARN, "x", 1), "ALLOWED_INSTANCE_IDS": testInstance, "STATE_MACHINES": testScope}},
		{"empty allowlist", map[string]string{"ROUTES": testRoutes, "STATE_MACHINES": testScope}},
		{"bad allowlist entry", map[string]string{"ROUTES": testRoutes, "ALLOWED_INSTANCE_IDS": "i-0123456789abcdef0,vm-1", "STATE_MACHINES": testScope}},
		{"no STATE_MACHINES", map[string]string{"ROUTES": testRoutes, "ALLOWED_INSTANCE_IDS": testInstance}},
		{"a machine of another stack", map[string]string{"ROUTES": testRoutes, "ALLOWED_INSTANCE_IDS": testInstance,
			"STATE_MACHINES": "arn:aws:states:us-east-1:123456789012:stateMachine:other_*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if err == nil {
				t.Fatal("ConfigFromEnv accepted it")
			}
			h := httpapi.Misconfigured(err, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			resp, _ := h.Handle(context.Background(), request(routeExpress, `{"instance_id":"i-0123456789abcdef0"}`))
			if resp.StatusCode != 500 {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			checkErrorBody(t, resp, "InternalError")
		})
	}
}

// TestUnknownRoute: every path reaches the function through the greedy resource; one no route
// declares is 404 NotFound, a declared path with another method 405 MethodNotAllowed with Allow,
// both in the one error shape and without calling Step Functions.
func TestUnknownRoute(t *testing.T) {
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode, allow    string
	}{
		{"unknown path", http.MethodPost, "/other", 404, "NotFound", ""},
		{"below a route", http.MethodPost, "/express-instance/x", 404, "NotFound", ""},
		{"known path, other method", http.MethodGet, routeExpress, 405, "MethodNotAllowed", "POST"},
		{"templated path, other method", http.MethodDelete, "/instances/" + testInstance, 405, "MethodNotAllowed", "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := succeeding()
			req := request(tc.path, `{}`)
			req.HTTPMethod = tc.method
			resp, _ := newTestHandler(t, f).Handle(context.Background(), req)
			if resp.StatusCode != tc.wantStatus || resp.Headers["Allow"] != tc.allow {
				t.Fatalf("status = %d, Allow %q: %s", resp.StatusCode, resp.Headers["Allow"], resp.Body)
			}
			checkErrorBody(t, resp, tc.wantCode)
			if len(f.syncCalls)+len(f.startCalls) != 0 {
				t.Error("Step Functions was called")
			}
		})
	}
}

// fixtureStatus is the expected status of every events/ fixture this function serves. A fixture
// of these routes without a row here fails the test, so new fixtures cannot go unchecked.
var fixtureStatus = map[string]int{
	"express-instance.json":                          200,
	"express-instance-action-stop.json":              200,
	"express-instance-base64.json":                   200,
	"express-instance-form-content-type.json":        200,
	"express-instance-bad-json.json":                 400,
	"express-instance-not-object.json":               400,
	"express-instance-empty-body.json":               400,
	"express-instance-missing-instance-id.json":      400,
	"express-instance-bad-instance-id.json":          400,
	"express-instance-unknown-action.json":           400,
	"express-instance-bad-base64.json":               400,
	"express-instance-not-allowed.json":              403,
	"standard-instance.json":                         202,
	"standard-instance-action-stop.json":             202,
	"standard-instance-base64.json":                  202,
	"standard-instance-form-content-type.json":       202,
	"standard-instance-idempotency-key.json":         202,
	"standard-instance-idempotency-key-quoted.json":  202,
	"standard-instance-idempotency-key-api-key.json": 202,
	"standard-instance-bad-idempotency-key.json":     400,
	"standard-instance-empty-idempotency-key.json":   400,
	"standard-instance-long-idempotency-key.json":    400,
	"standard-instance-bad-json.json":                400,
	"standard-instance-not-object.json":              400,
	"standard-instance-empty-body.json":              400,
	"standard-instance-missing-instance-id.json":     400,
	"standard-instance-bad-instance-id.json":         400,
	"standard-instance-unknown-action.json":          400,
	"standard-instance-bad-base64.json":              400,
	"standard-instance-not-allowed.json":             403,
	"instance-get.json":                              200,
	"instance-get-bad-instance-id.json":              400,
	"instance-get-not-allowed.json":                  403,
}

func TestFixtures(t *testing.T) {
	files, err := samtemplate.RepoFixtures("../..", "StartFunction")
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
				t.Fatalf("not an API Gateway proxy event: %v", err)
			}
			resp, _ := newTestHandler(t, succeeding()).Handle(context.Background(), req)
			if resp.StatusCode != want {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, want, resp.Body)
			}
			if resp.Headers["X-Request-Id"] != req.RequestContext.RequestID || req.RequestContext.RequestID == "" {
				t.Errorf("X-Request-Id = %q, requestId %q", resp.Headers["X-Request-Id"], req.RequestContext.RequestID)
			}
		})
	}
	if len(files) != len(fixtureStatus) {
		t.Errorf("%d fixtures found for %d expectations: a fixture is missing", len(files), len(fixtureStatus))
	}
}
