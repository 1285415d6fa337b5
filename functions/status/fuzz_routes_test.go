package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/httpapi/httpapitest"
)

// FuzzRoutesQuery: whatever the query of the list and events routes, with Step Functions
// answering, the answer is 2xx or a 4xx JSON error — never a panic, never a 5xx.
func FuzzRoutesQuery(f *testing.F) {
	f.Add(testExec, "3", "20", "RUNNING", "5", "")
	f.Add(testExpressExec, "-1", "x", "done", "0", "%%%")
	f.Add(testExecEncoded, "99999999999", "", "", "101", "eyJsIjoyMCwibSI6W3t9XX0")
	f.Fuzz(func(t *testing.T, arn, after, wait, status, limit, next string) {
		listing := &fakeList{byMachine: map[string][]types.ExecutionListItem{testStandardARN: items(testStandardARN, 5, testStart, time.Minute)}}
		h, _ := newTestHandler(t, &fakeSFN{list: listing.list, history: standardRun().history})
		q := map[string]string{}
		for k, v := range map[string]string{"after": after, "wait": wait} {
			if v != "" {
				q[k] = v
			}
		}
		resp, err := h.Handle(context.Background(), eventsRequest(arn, q))
		if err != nil {
			t.Fatal(err)
		}
		httpapitest.CheckClientContract(t, resp, "req-1", fmt.Sprintf("events arn %q after %q wait %q", arn, after, wait))
		q = map[string]string{}
		for k, v := range map[string]string{"status": status, "limit": limit, "next": next} {
			if v != "" {
				q[k] = v
			}
		}
		resp, err = h.Handle(context.Background(), listRequest(q))
		if err != nil {
			t.Fatal(err)
		}
		httpapitest.CheckClientContract(t, resp, "req-1", fmt.Sprintf("list %v", q))
	})
}
