package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stepgate/stepgate/internal/app/httpapi/httpapitest"
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
		httpapitest.CheckClientContract(t, resp, "req-1", fmt.Sprintf("arn %q wait %q", arn, wait))
	})
}
