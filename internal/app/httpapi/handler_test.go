package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// stepClock moves by step at every reading, so a request's logged duration is known exactly.
type stepClock struct {
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.now = c.now.Add(c.step)
	return c.now
}

func (c *stepClock) Sleep(context.Context, time.Duration) error { return nil }

func TestHandlerLogsEveryRequestOnce(t *testing.T) {
	tests := []struct {
		name       string
		serve      ServeFunc
		wantStatus int
		wantLog    map[string]any
	}{
		{
			name: "answer",
			serve: func(_ context.Context, req events.APIGatewayProxyRequest, e *LogEntry) (events.APIGatewayProxyResponse, error) {
				e.Route, e.ExecutionARN = "POST /orders/{id}", "arn:aws:states:us-east-1:123456789012:execution:m:n"
				return JSON(req.RequestContext.RequestID, http.StatusAccepted, map[string]string{}), nil
			},
			wantStatus: 202,
			wantLog: map[string]any{"level": "INFO", "msg": "request", "requestId": "req-1", "method": "POST", "path": "/orders/o-1",
				"route": "POST /orders/{id}", "status": 202.0, "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:n",
				"duration": float64(3 * time.Millisecond)},
		},
		{
			name: "error, no route noted: the resource",
			serve: func(context.Context, events.APIGatewayProxyRequest, *LogEntry) (events.APIGatewayProxyResponse, error) {
				return events.APIGatewayProxyResponse{}, errors.New("dial tcp: refused")
			},
			wantStatus: 500,
			wantLog: map[string]any{"level": "ERROR", "msg": "request", "requestId": "req-1", "method": "POST", "path": "/orders/o-1",
				"route": "/{proxy+}", "status": 500.0, "executionArn": "", "duration": float64(3 * time.Millisecond),
				"error": "dial tcp: refused"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			h := NewHandler(tc.serve, logger, &stepClock{now: time.Unix(0, 0), step: 3 * time.Millisecond})
			req := events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/{proxy+}", Path: "/orders/o-1",
				RequestContext: events.APIGatewayProxyRequestContext{RequestID: "req-1"}}
			resp, err := h.Handle(context.Background(), req)
			if err != nil || resp.StatusCode != tc.wantStatus || resp.Headers["X-Request-Id"] != "req-1" {
				t.Fatalf("Handle = %d %v %v", resp.StatusCode, resp.Headers, err)
			}
			lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want 1: %s", len(lines), logs.Bytes())
			}
			var got map[string]any
			if err := json.Unmarshal(lines[0], &got); err != nil {
				t.Fatal(err)
			}
			delete(got, "time")
			if g, w := mustJSON(t, got), mustJSON(t, tc.wantLog); g != w {
				t.Errorf("log line\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestMisconfiguredAnswers500(t *testing.T) {
	var logs bytes.Buffer
	h := Misconfigured(errors.New("ROUTES: no routes"), slog.New(slog.NewJSONHandler(&logs, nil)))
	resp, _ := h.Handle(context.Background(), events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{RequestID: "r"}})
	if resp.StatusCode != 500 || !bytes.Contains(logs.Bytes(), []byte("ROUTES: no routes")) {
		t.Fatalf("status %d, log %s", resp.StatusCode, logs.Bytes())
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body["error"] != "InternalError" || body["requestId"] != "r" {
		t.Errorf("body %s", resp.Body)
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name    string
		single  map[string]string
		multi   map[string][]string
		want    string
		wantOK  bool
		wantErr bool
	}{
		{name: "absent"},
		{name: "both maps", single: map[string]string{"q": "b"}, multi: map[string][]string{"q": {"b"}}, want: "b", wantOK: true},
		{name: "single-value map only", single: map[string]string{"q": "a"}, want: "a", wantOK: true},
		{name: "multi-value map only", multi: map[string][]string{"q": {"a"}}, want: "a", wantOK: true},
		{name: "empty value", single: map[string]string{"q": ""}, multi: map[string][]string{"q": {""}}, want: "", wantOK: true},
		// API Gateway keeps the last value in the single-value map; two values are refused.
		{name: "given twice", single: map[string]string{"q": "b"}, multi: map[string][]string{"q": {"a", "b"}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &events.APIGatewayProxyRequest{QueryStringParameters: tc.single, MultiValueQueryStringParameters: tc.multi}
			got, ok, err := Query(req, "q")
			if tc.wantErr {
				var e *Error
				if !errors.As(err, &e) || e.Status != 400 {
					t.Fatalf("err = %v, want a 400", err)
				}
				return
			}
			if err != nil || ok != tc.wantOK || got != tc.want {
				t.Errorf("Query = %q, %v, %v; want %q, %v", got, ok, err, tc.want, tc.wantOK)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
