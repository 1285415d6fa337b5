package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzStatusRequest: whatever the ARN and wait, with Step Functions answering, the answer is
// 2xx or a 4xx JSON error — never a panic, never a 5xx.
func FuzzStatusRequest(f *testing.F) {
	f.Add(testExec, "", false)
	f.Add(testExecEncoded, "20", false)
	f.Add(testExpressExec, "5", true)
	f.Add(testForeignExec, "x", false)
	f.Add("arn%3", "-1", true)
	f.Fuzz(func(t *testing.T, arn, wait string, del bool) {
		method := http.MethodGet
		if del {
			method = http.MethodDelete
		}
		query := map[string]string{}
		if wait != "" {
			query["wait"] = wait
		}
		answer := running()
		fake := &fakeSFN{describe: []describeAnswer{{out: answer}}, afterStop: withStatus("ABORTED", nil)}
		h, _ := newTestHandler(t, fake)
		resp, err := h.Handle(context.Background(), request(method, arn, query))
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		if resp.StatusCode >= 500 || resp.StatusCode < 200 {
			t.Fatalf("status %d for arn %q wait %q: %s", resp.StatusCode, arn, wait, resp.Body)
		}
		if !json.Valid([]byte(resp.Body)) {
			t.Fatalf("body is not JSON: %s", resp.Body)
		}
		if resp.StatusCode >= 400 {
			var e struct{ Error, Message, RequestID string }
			if err := json.Unmarshal([]byte(resp.Body), &e); err != nil || e.Error == "" || e.Message == "" || e.RequestID != "req-1" {
				t.Fatalf("error body not in the documented shape: %s", resp.Body)
			}
		}
	})
}
