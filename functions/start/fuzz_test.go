package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stepgate/stepgate/internal/app/httpapi/httpapitest"
)

// FuzzStartRequest: whatever the body and Idempotency-Key, with Step Functions succeeding, the
// answer is 2xx or a 4xx JSON error — never a panic, never a 5xx.
func FuzzStartRequest(f *testing.F) {
	f.Add(`{"instance_id":"i-0123456789abcdef0"}`, "", false, true)
	f.Add(`{"instance_id":"i-0123456789abcdef0","action":"stop"}`, "k1", false, false)
	f.Add(`{"instance_id":"i-0123456789abcdef0"}`, `"quoted key"`, true, false)
	f.Add(`[1,2]`, "", false, true)
	f.Add(`{"instance_id":"i-0fedcba9876543210"}`, "", false, false)
	f.Fuzz(func(t *testing.T, body, key string, encode, express bool) {
		route := routeStandard
		if express {
			route = routeExpress
		}
		req := request(route, body)
		if encode {
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
		}
		if key != "" {
			req = withHeader(req, "Idempotency-Key", key)
		}
		resp, err := newTestHandler(t, succeeding()).Handle(context.Background(), req)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		httpapitest.CheckClientContract(t, resp, "req-1", fmt.Sprintf("body %q key %q", body, key))
	})
}
