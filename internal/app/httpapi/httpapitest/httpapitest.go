// Package httpapitest holds the checks that every API response must pass, for the functions'
// tests and fuzz targets.
package httpapitest

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// CheckClientContract fails t unless resp is what docs/openapi.yaml promises for any client input: a 2xx, or a
// 4xx whose body is the error shape {"error","message","requestId"} carrying requestID. A 5xx or a
// body that is not JSON fails. what describes the input in the failure message.
func CheckClientContract(t testing.TB, resp events.APIGatewayProxyResponse, requestID, what string) {
	t.Helper()
	if resp.StatusCode >= 500 || resp.StatusCode < 200 {
		t.Fatalf("status %d for %s: %s", resp.StatusCode, what, resp.Body)
	}
	if !json.Valid([]byte(resp.Body)) {
		t.Fatalf("body is not JSON for %s: %s", what, resp.Body)
	}
	if resp.StatusCode >= 400 {
		var e struct{ Error, Message, RequestID string }
		if err := json.Unmarshal([]byte(resp.Body), &e); err != nil || e.Error == "" || e.Message == "" || e.RequestID != requestID {
			t.Fatalf("error body not in the documented shape for %s: %s", what, resp.Body)
		}
	}
}
