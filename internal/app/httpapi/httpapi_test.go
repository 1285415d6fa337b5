package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"
)

func TestJSONObjectBody(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name       string
		body       string
		base64     bool
		wantStatus int // 0: accepted
		want       string
	}{
		{name: "object", body: `{"a":1}`, want: `{"a":1}`},
		{name: "object with white space", body: " \n{\"a\":1}\t", want: " \n{\"a\":1}\t"},
		{name: "base64 object", body: b64(`{"a":1}`), base64: true, want: `{"a":1}`},
		{name: "array", body: `[1]`, wantStatus: 400},
		{name: "string", body: `"x"`, wantStatus: 400},
		{name: "null", body: `null`, wantStatus: 400},
		{name: "empty", body: ``, wantStatus: 400},
		{name: "form encoded", body: `instance_id=i-0123456789abcdef0`, wantStatus: 400},
		{name: "trailing data", body: `{} {}`, wantStatus: 400},
		{name: "bad base64", body: `%%%`, base64: true, wantStatus: 400},
		{name: "at the limit", body: `{"p":"` + strings.Repeat("x", MaxBodyBytes-8) + `"}`, want: `{"p":"` + strings.Repeat("x", MaxBodyBytes-8) + `"}`},
		{name: "over the limit", body: `{"p":"` + strings.Repeat("x", MaxBodyBytes-7) + `"}`, wantStatus: 413},
		{name: "over the limit, base64", body: b64(`{"p":"` + strings.Repeat("x", MaxBodyBytes-7) + `"}`), base64: true, wantStatus: 413},
		{name: "huge base64", body: strings.Repeat("A", 2*MaxBodyBytes), base64: true, wantStatus: 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JSONObjectBody(&events.APIGatewayProxyRequest{Body: tc.body, IsBase64Encoded: tc.base64})
			if tc.wantStatus != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Status != tc.wantStatus {
					t.Fatalf("err = %v, want status %d", err, tc.wantStatus)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %.40q, %v", got, err)
			}
		})
	}
}

func TestErrorResponse(t *testing.T) {
	sdk := func(code string) error {
		return fmt.Errorf("start execution: %w", &smithy.OperationError{ServiceID: "SFN", OperationName: "StartExecution",
			Err: &smithy.GenericAPIError{Code: code, Message: "secret detail"}})
	}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantRetry  string
	}{
		{"own error", InvalidRequest("fix it"), 400, "InvalidRequest", ""},
		{"own error wrapped", fmt.Errorf("ctx: %w", NewError(404, "ExecutionNotFound", "none")), 404, "ExecutionNotFound", ""},
		{"throttling", sdk("ThrottlingException"), 429, "Throttled", "1"},
		{"execution limit", sdk("ExecutionLimitExceeded"), 503, "ExecutionLimitExceeded", "5"},
		{"state machine missing", sdk("StateMachineDoesNotExist"), 500, "InternalError", ""},
		{"access denied", sdk("AccessDeniedException"), 500, "InternalError", ""},
		{"unknown code", sdk("SomethingNew"), 500, "InternalError", ""},
		{"plain error", errors.New("secret detail"), 500, "InternalError", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := ErrorResponse("rid-1", tc.err)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatal(err)
			}
			if body["error"] != tc.wantCode || body["requestId"] != "rid-1" || body["message"] == "" {
				t.Errorf("body = %s", resp.Body)
			}
			if strings.Contains(resp.Body, "secret") {
				t.Errorf("cause leaked: %s", resp.Body)
			}
			if resp.Headers["Retry-After"] != tc.wantRetry || resp.Headers["X-Request-Id"] != "rid-1" ||
				resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("headers = %v", resp.Headers)
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	base := NewError(http.StatusBadGateway, "ExecutionFailed", "failed")
	e := base.With("executionArn", "arn:x").With("error", "cannot override")
	resp := ErrorResponse("rid", e)
	want := `{"error":"ExecutionFailed","executionArn":"arn:x","message":"failed","requestId":"rid"}`
	if resp.Body != want {
		t.Errorf("body = %s, want %s", resp.Body, want)
	}
	if base.Fields != nil {
		t.Error("With modified its receiver")
	}
}

func TestMaybeJSON(t *testing.T) {
	for in, want := range map[string]string{`{"a":1}`: `{"a":1}`, `plain`: `"plain"`, ``: `""`, `[1,`: `"[1,"`, `3`: `3`} {
		if got := string(MaybeJSON(in)); got != want {
			t.Errorf("MaybeJSON(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestHeader(t *testing.T) {
	req := &events.APIGatewayProxyRequest{
		Headers:           map[string]string{"idempotency-key": "b"},
		MultiValueHeaders: map[string][]string{"Idempotency-Key": {"a", "b"}, "X-Only-Multi": {"m"}},
	}
	if v, ok := Header(req, "IDEMPOTENCY-KEY"); !ok || v != "b" {
		t.Errorf("Header = %q, %v", v, ok)
	}
	if v, ok := Header(req, "x-only-multi"); !ok || v != "m" {
		t.Errorf("Header from multi = %q, %v", v, ok)
	}
	if vs := HeaderValues(req, "idempotency-key"); len(vs) != 2 {
		t.Errorf("HeaderValues = %v", vs)
	}
	if _, ok := Header(req, "Missing"); ok {
		t.Error("missing header found")
	}
}
