package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/httpapi/httpapitest"
)

// getInstance is GET /instances/{instance_id} as API Gateway sends it through the greedy resource:
// the ID still percent-encoded in the proxy parameter, no body.
func getInstance(id string) events.APIGatewayProxyRequest {
	req := request("/instances/"+id, "")
	req.HTTPMethod = http.MethodGet
	return req
}

func TestInstanceState(t *testing.T) {
	f := succeeding()
	f.syncOut.Output = aws.String(`{"instance_id":"i-0123456789abcdef0","state":"stopped"}`)
	resp, _ := newTestHandler(t, f).Handle(context.Background(), getInstance(testInstance))
	if resp.StatusCode != 200 || resp.Body != `{"instance_id":"i-0123456789abcdef0","state":"stopped"}` {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
	if len(f.syncCalls) != 1 {
		t.Fatalf("%d StartSyncExecution calls", len(f.syncCalls))
	}
	call := f.syncCalls[0]
	if aws.ToString(call.StateMachineArn) != testExpressARN {
		t.Errorf("state machine = %s", aws.ToString(call.StateMachineArn))
	}
	if want := `{"action":"check","instance_id":"i-0123456789abcdef0"}`; aws.ToString(call.Input) != want {
		t.Errorf("input = %s, want %s", aws.ToString(call.Input), want)
	}
}

func TestInstanceStateErrors(t *testing.T) {
	tests := []struct {
		name       string
		id         string
		out        *sfn.StartSyncExecutionOutput
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{name: "malformed", id: "i-XYZ", wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "no ID", id: "", wantStatus: 404, wantCode: "NotFound", wantMsg: "No route of this API serves /instances."},
		{name: "not managed", id: "i-0fedcba9876543210", wantStatus: 403, wantCode: "InstanceNotAllowed",
			wantMsg: "Instance i-0fedcba9876543210 is not managed by this stack."},
		{name: "not found", id: testInstance, out: failed("InstanceNotFound", "gone"), wantStatus: 404, wantCode: "InstanceNotFound",
			wantMsg: "Instance i-0123456789abcdef0 does not exist."},
		{name: "other failure", id: testInstance, out: failed("States.Runtime", "boom"), wantStatus: 502, wantCode: "ExecutionFailed"},
		{name: "timed out", id: testInstance, out: &sfn.StartSyncExecutionOutput{ExecutionArn: aws.String(testExpressExec),
			Status: types.SyncExecutionStatusTimedOut}, wantStatus: 504, wantCode: "ExecutionTimedOut"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := succeeding()
			if tc.out != nil {
				f.syncOut = tc.out
			}
			resp, _ := newTestHandler(t, f).Handle(context.Background(), getInstance(tc.id))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			body := checkErrorBody(t, resp, tc.wantCode)
			if tc.wantMsg != "" && body["message"] != tc.wantMsg {
				t.Errorf("message = %v, want %q", body["message"], tc.wantMsg)
			}
			if tc.wantStatus < 500 && tc.out == nil && len(f.syncCalls) != 0 {
				t.Errorf("a refused request reached Step Functions")
			}
		})
	}
}

// TestConfiguredAsyncRoute: an async route with path and query input, declared only as data, gets
// the Idempotency-Key rules and a status URL whose base path is found past its parameters.
func TestConfiguredAsyncRoute(t *testing.T) {
	routes := `{"routes": {"POST /orders/{id}/ship": {"stateMachine": "` + testStandardARN + `", "mode": "async",
	  "input": {"body": true, "path": ["id"], "query": ["speed"], "fixed": {"kind": "ship"}}, "required": ["id"],
	  "fields": {"id": {"pattern": "^[0-9]+$"}}}}}`
	cfg, err := ConfigFromEnv(func(k string) string { return map[string]string{"ROUTES": routes, "STATE_MACHINES": testScope}[k] })
	if err != nil {
		t.Fatal(err)
	}
	f := succeeding()
	h := NewHandler(cfg, f, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	req := withHeader(request("/orders/42/ship", `{"note":"fragile"}`), "Idempotency-Key", "k1")
	req.QueryStringParameters = map[string]string{"speed": "fast"}
	req.RequestContext.Path = "/v1/orders/42/ship"
	resp, _ := h.Handle(context.Background(), req)
	if resp.StatusCode != 202 {
		t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
	}
	if want := `{"id":"42","kind":"ship","note":"fragile","speed":"fast"}`; aws.ToString(f.startCalls[0].Input) != want {
		t.Errorf("input = %s, want %s", aws.ToString(f.startCalls[0].Input), want)
	}
	if f.startCalls[0].Name == nil {
		t.Error("no execution name for an Idempotency-Key")
	}
	if want := "https://" + testHost + "/v1/executions/"; len(resp.Headers["Location"]) <= len(want) || resp.Headers["Location"][:len(want)] != want {
		t.Errorf("Location = %s, want it under %s", resp.Headers["Location"], want)
	}
	req.PathParameters["proxy"] = "orders/forty-two/ship"
	if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != 400 {
		t.Errorf("a malformed path parameter: status %d", resp.StatusCode)
	}
}

// FuzzInstanceRoute: whatever the path parameter, GET /instances/{instance_id} answers 2xx or a 4xx
// JSON error with Step Functions succeeding — never a panic, never a 5xx.
func FuzzInstanceRoute(f *testing.F) {
	f.Add(testInstance)
	f.Add("i-0123456%37")
	f.Add("%")
	f.Add("i-0fedcba9876543210")
	f.Fuzz(func(t *testing.T, id string) {
		resp, err := newTestHandler(t, succeeding()).Handle(context.Background(), getInstance(id))
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		httpapitest.CheckClientContract(t, resp, "req-1", fmt.Sprintf("id %q", id))
	})
}
