package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/tasktoken"
)

// testWaitingARN is a machine whose tasks wait for a callback.
const testWaitingARN = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Waiting"

// callbackRoutes declares a callback route of each outcome and token source.
const callbackRoutes = `{"routes": {
  "POST /tasks/approve": {"stateMachine": "` + testWaitingARN + `", "mode": "callback", "outcome": "success",
    "token": {"body": "taskToken"}, "input": {"body": true, "fixed": {"approved": true}}, "required": ["approver"]},
  "POST /tasks/{taskToken}/reject": {"stateMachine": "` + testWaitingARN + `", "mode": "callback", "outcome": "failure",
    "token": {"path": "taskToken"}, "input": {"body": true, "fixed": {"error": "Rejected"}}},
  "POST /tasks/heartbeat": {"stateMachine": "` + testWaitingARN + `", "mode": "callback", "outcome": "heartbeat",
    "token": {"query": "taskToken"}}
}}`

// testToken looks like a token AWS issues: base64, with the characters a URL must escape.
const testToken = "AQCEAAAAKgAAAAMAAAAAAAAAAf9ZxQ+yvBqLg/ETGx8sW2OTzUc0k6vHTU7XJqtD2H5l7=="

// callbackHandler is a Handler of callbackRoutes whose request log goes to logs.
func callbackHandler(t *testing.T, f *fakeSFN, logs *bytes.Buffer) *Handler {
	t.Helper()
	cfg, err := ConfigFromEnv(func(k string) string {
		return map[string]string{"ROUTES": callbackRoutes, "STATE_MACHINES": testScope}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return NewHandler(cfg, f, slog.New(slog.NewJSONHandler(logs, nil)))
}

// withQuery adds query parameters as API Gateway sends them (both maps).
func withQuery(req events.APIGatewayProxyRequest, kv map[string]string) events.APIGatewayProxyRequest {
	req.QueryStringParameters, req.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
	for k, v := range kv {
		req.QueryStringParameters[k], req.MultiValueQueryStringParameters[k] = v, []string{v}
	}
	return req
}

// pathToken is a reject request with the token in the path, percent-encoded as a client sends it
// (API Gateway passes path parameters still encoded).
func pathToken(token, body string) events.APIGatewayProxyRequest {
	return request("/tasks/"+url.PathEscape(token)+"/reject", body)
}

func sdkError(err error) func() *fakeSFN {
	return func() *fakeSFN { f := succeeding(); f.sendErr = err; return f }
}

// TestCallbackRows: every answer SPEC lists for a callback route ("Callbacks over HTTP"), for each
// outcome where it applies; none carries the token, in its body or in the request's log.
func TestCallbackRows(t *testing.T) {
	approve := request("/tasks/approve", `{"taskToken":"`+testToken+`","approver":"ada","note":"fine"}`)
	heartbeat := withQuery(request("/tasks/heartbeat", ""), map[string]string{"taskToken": testToken})
	reject := pathToken(testToken, `{"cause":"Over budget."}`)
	// What Step Functions answers, its messages quoting the token as an emulator might.
	quoting := func(msg string) string { return msg + ": '" + testToken + "'" }
	tests := []struct {
		name       string
		req        events.APIGatewayProxyRequest
		fake       func() *fakeSFN
		wantStatus int
		wantCode   string // "" for the 200 {}
		wantHeader map[string]string
		noToken    bool // the request carries no token to name
	}{
		{name: "success", req: approve, fake: succeeding, wantStatus: 200},
		{name: "failure", req: reject, fake: succeeding, wantStatus: 200},
		{name: "heartbeat", req: heartbeat, fake: succeeding, wantStatus: 200},
		{name: "no token", req: request("/tasks/approve", `{"approver":"ada"}`), fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest", noToken: true},
		{name: "no token in the query", req: request("/tasks/heartbeat", ""), fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest", noToken: true},
		{name: "output not JSON", req: request("/tasks/approve", `{"taskToken":"`+testToken+`","approver":`), fake: succeeding,
			wantStatus: 400, wantCode: "InvalidRequest", noToken: true},
		{name: "output not an object", req: request("/tasks/approve", `"`+testToken+`"`), fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest", noToken: true},
		{name: "output over 256 KiB", req: request("/tasks/approve", `{"taskToken":"`+testToken+`","approver":"ada","pad":"`+strings.Repeat("x", 262144)+`"}`),
			fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest", noToken: true},
		{name: "required field missing", req: request("/tasks/approve", `{"taskToken":"`+testToken+`"}`), fake: succeeding, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "success: TaskDoesNotExist", req: approve, fake: sdkError(&types.TaskDoesNotExist{Message: aws.String(quoting("Task does not exist"))}),
			wantStatus: 404, wantCode: "TaskNotFound"},
		{name: "success: InvalidToken", req: approve, fake: sdkError(&types.InvalidToken{Message: aws.String(quoting("Invalid token"))}),
			wantStatus: 404, wantCode: "TaskNotFound"},
		{name: "failure: InvalidToken", req: reject, fake: sdkError(&types.InvalidToken{Message: aws.String(quoting("Invalid token"))}),
			wantStatus: 404, wantCode: "TaskNotFound"},
		{name: "heartbeat: TaskDoesNotExist", req: heartbeat, fake: sdkError(&types.TaskDoesNotExist{Message: aws.String(quoting("Task does not exist"))}),
			wantStatus: 404, wantCode: "TaskNotFound"},
		{name: "success: TaskTimedOut", req: approve, fake: sdkError(&types.TaskTimedOut{Message: aws.String(quoting("Task Timed Out"))}),
			wantStatus: 410, wantCode: "TaskTimedOut"},
		{name: "failure: TaskTimedOut", req: reject, fake: sdkError(&types.TaskTimedOut{Message: aws.String(quoting("Task Timed Out"))}),
			wantStatus: 410, wantCode: "TaskTimedOut"},
		{name: "heartbeat: TaskTimedOut", req: heartbeat, fake: sdkError(&types.TaskTimedOut{Message: aws.String(quoting("Task Timed Out"))}),
			wantStatus: 410, wantCode: "TaskTimedOut"},
		{name: "success: InvalidOutput", req: approve, fake: sdkError(&types.InvalidOutput{Message: aws.String(quoting("Invalid output"))}),
			wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "throttled", req: approve, fake: sdkError(apiError("ThrottlingException")), wantStatus: 429, wantCode: "Throttled",
			wantHeader: map[string]string{"Retry-After": "1"}},
		{name: "KMS throttled", req: reject, fake: sdkError(&types.KmsThrottlingException{Message: aws.String(quoting("slow down"))}),
			wantStatus: 429, wantCode: "Throttled"},
		{name: "access denied", req: heartbeat, fake: sdkError(apiError("AccessDeniedException")), wantStatus: 500, wantCode: "InternalError"},
		{name: "network failure", req: approve, fake: sdkError(errors.New("dial tcp: " + testToken)), wantStatus: 500, wantCode: "InternalError"},
		{name: "other method on a path token", req: func() events.APIGatewayProxyRequest {
			r := pathToken(testToken, "")
			r.HTTPMethod = http.MethodGet
			return r
		}(), fake: succeeding, wantStatus: 405, wantCode: "MethodNotAllowed", noToken: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			f := tc.fake()
			resp, _ := callbackHandler(t, f, &logs).Handle(context.Background(), tc.req)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			for k, v := range tc.wantHeader {
				if resp.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, resp.Headers[k], v)
				}
			}
			if tc.wantCode == "" {
				if resp.Body != "{}" || resp.Headers["X-Request-Id"] != "req-1" {
					t.Errorf("answer %s %v, want {} with X-Request-Id", resp.Body, resp.Headers)
				}
			} else {
				body := checkErrorBody(t, resp, tc.wantCode)
				if want := tasktoken.Hash(testToken); !tc.noToken && body["taskTokenHash"] != want {
					t.Errorf("taskTokenHash = %v, want %s", body["taskTokenHash"], want)
				}
			}
			// The token, raw or as it travels in a URL, is in neither the answer nor the log.
			for _, secret := range []string{testToken, url.PathEscape(testToken), url.QueryEscape(testToken), testToken[10:40]} {
				if strings.Contains(resp.Body, secret) {
					t.Errorf("the answer holds the token: %s", resp.Body)
				}
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the log holds the token: %s", logs.String())
				}
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("log %q: %v", logs.String(), err)
			}
			if want := tasktoken.Hash(testToken); !tc.noToken && line["taskTokenHash"] != want {
				t.Errorf("log taskTokenHash = %v, want %s: %s", line["taskTokenHash"], want, logs.String())
			}
		})
	}
}

// TestCallbackCalls: each outcome makes its one call with the request's token and what the route
// builds: the output without the token, the fixed error and the caller's cause, nothing else.
func TestCallbackCalls(t *testing.T) {
	f := succeeding()
	h := callbackHandler(t, f, &bytes.Buffer{})
	ctx := context.Background()
	h.Handle(ctx, request("/tasks/approve", `{"taskToken":"`+testToken+`","approver":"ada","approved":false}`))
	h.Handle(ctx, pathToken(testToken, `{"cause":{"why":"over budget"},"error":"Ignored"}`))
	h.Handle(ctx, withQuery(request("/tasks/heartbeat", ""), map[string]string{"taskToken": testToken}))
	if len(f.successCalls) != 1 || len(f.failureCalls) != 1 || len(f.heartbeatCalls) != 1 || len(f.syncCalls)+len(f.startCalls) != 0 {
		t.Fatalf("calls: %d success, %d failure, %d heartbeat, %d starts", len(f.successCalls), len(f.failureCalls), len(f.heartbeatCalls), len(f.syncCalls)+len(f.startCalls))
	}
	if s := f.successCalls[0]; aws.ToString(s.TaskToken) != testToken || aws.ToString(s.Output) != `{"approved":true,"approver":"ada"}` {
		t.Errorf("SendTaskSuccess %q %s", aws.ToString(s.TaskToken), aws.ToString(s.Output))
	}
	if fl := f.failureCalls[0]; aws.ToString(fl.TaskToken) != testToken || aws.ToString(fl.Error) != "Rejected" || aws.ToString(fl.Cause) != `{"why":"over budget"}` {
		t.Errorf("SendTaskFailure %q %q %q", aws.ToString(fl.TaskToken), aws.ToString(fl.Error), aws.ToString(fl.Cause))
	}
	if hb := f.heartbeatCalls[0]; aws.ToString(hb.TaskToken) != testToken {
		t.Errorf("SendTaskHeartbeat %q", aws.ToString(hb.TaskToken))
	}
	// Without error or cause, SendTaskFailure gets neither (nil, not "").
	h.Handle(ctx, request("/tasks/approve", `{}`)) // refused: no token, no call
	cfg, err := ConfigFromEnv(func(k string) string {
		return map[string]string{"STATE_MACHINES": testScope, "ROUTES": `{"routes": {"POST /fail": {"stateMachine": "` + testWaitingARN +
			`", "mode": "callback", "outcome": "failure", "token": {"body": "t"}}}}`}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	g := succeeding()
	resp, _ := NewHandler(cfg, g, slog.New(slog.DiscardHandler)).Handle(ctx, request("/fail", `{"t":"`+testToken+`"}`))
	if resp.StatusCode != 200 || len(g.failureCalls) != 1 || g.failureCalls[0].Error != nil || g.failureCalls[0].Cause != nil {
		t.Errorf("bare failure: %d %s, calls %+v", resp.StatusCode, resp.Body, g.failureCalls)
	}
}

// TestCallbackLogPath: the request log names the route and, for a token in the path, the path
// with the token's segment replaced by its hash.
func TestCallbackLogPath(t *testing.T) {
	var logs bytes.Buffer
	req := pathToken(testToken, `{}`)
	req.Path = "/v1" + req.Path
	callbackHandler(t, succeeding(), &logs).Handle(context.Background(), req)
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	want := "/v1/tasks/{taskToken:" + tasktoken.Hash(testToken) + "}/reject"
	if line["path"] != want || line["route"] != "POST /tasks/{taskToken}/reject" {
		t.Errorf("log path %v route %v, want %s and the route's key", line["path"], line["route"], want)
	}
}
