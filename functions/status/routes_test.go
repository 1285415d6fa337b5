package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// ---- GET /executions ----

func listRequest(q map[string]string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource: "/executions", Path: "/executions", HTTPMethod: http.MethodGet,
		Headers:               map[string]string{"Host": "api.example.com"},
		QueryStringParameters: q,
		RequestContext:        events.APIGatewayProxyRequestContext{RequestID: "req-1", Stage: "v1", Path: "/v1/executions", HTTPMethod: http.MethodGet},
	}
}

// fakeList serves ListExecutions from per-machine lists (newest first) in pages; the token is
// the offset, prefixed by the machine so a token sent to the wrong machine is caught.
type fakeList struct {
	byMachine map[string][]types.ExecutionListItem
	calls     []*sfn.ListExecutionsInput
}

func (f *fakeList) list(in *sfn.ListExecutionsInput) (*sfn.ListExecutionsOutput, error) {
	f.calls = append(f.calls, in)
	sm := aws.ToString(in.StateMachineArn)
	items, ok := f.byMachine[sm]
	if !ok {
		return nil, &types.StateMachineDoesNotExist{Message: aws.String(sm)}
	}
	var filtered []types.ExecutionListItem
	for _, it := range items {
		if in.StatusFilter == "" || it.Status == in.StatusFilter {
			filtered = append(filtered, it)
		}
	}
	start := 0
	if in.NextToken != nil {
		prefix, offset, ok := strings.Cut(*in.NextToken, "|")
		n, err := strconv.Atoi(offset)
		if !ok || prefix != sm || err != nil {
			return nil, &types.InvalidToken{Message: aws.String("bad token")}
		}
		start = n
	}
	size := int(in.MaxResults)
	if size == 0 {
		size = 100
	}
	end := min(start+size, len(filtered))
	out := &sfn.ListExecutionsOutput{Executions: filtered[start:end]}
	if end < len(filtered) {
		out.NextToken = aws.String(fmt.Sprintf("%s|%d", sm, end))
	}
	return out, nil
}

func items(machine string, n int, start time.Time, step time.Duration) []types.ExecutionListItem {
	name := machine[strings.LastIndex(machine, ":")+1:]
	var out []types.ExecutionListItem
	for i := range n {
		status := types.ExecutionStatusSucceeded
		if i%3 == 0 {
			status = types.ExecutionStatusRunning
		}
		it := types.ExecutionListItem{
			ExecutionArn:    aws.String(fmt.Sprintf("arn:aws:states:us-east-1:123456789012:execution:%s:run-%02d", name, i)),
			StateMachineArn: aws.String(machine), Name: aws.String(fmt.Sprintf("run-%02d", i)), Status: status,
			StartDate: aws.Time(start.Add(-time.Duration(i) * step)),
		}
		if status != types.ExecutionStatusRunning {
			it.StopDate = aws.Time(start.Add(-time.Duration(i)*step + time.Second))
		}
		out = append(out, it)
	}
	return out
}

func TestList(t *testing.T) {
	f := &fakeList{byMachine: map[string][]types.ExecutionListItem{testStandardARN: items(testStandardARN, 45, testStart, time.Minute)}}
	tests := []struct {
		name       string
		query      map[string]string
		wantStatus int
		wantCode   string
		wantItems  int
		wantNext   bool
		wantMax    int32
		wantFilter types.ExecutionStatus
	}{
		{name: "default page", wantStatus: 200, wantItems: 20, wantNext: true, wantMax: 20},
		{name: "limit 100", query: map[string]string{"limit": "100"}, wantStatus: 200, wantItems: 45, wantMax: 100},
		{name: "limit 1", query: map[string]string{"limit": "1"}, wantStatus: 200, wantItems: 1, wantNext: true, wantMax: 1},
		{name: "status filter", query: map[string]string{"status": "RUNNING"}, wantStatus: 200, wantItems: 15, wantMax: 20, wantFilter: types.ExecutionStatusRunning},
		{name: "limit 0", query: map[string]string{"limit": "0"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "limit 101", query: map[string]string{"limit": "101"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "limit not a number", query: map[string]string{"limit": "ten"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "limit negative", query: map[string]string{"limit": "-5"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "unknown status", query: map[string]string{"status": "DONE"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "lower-case status", query: map[string]string{"status": "running"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "next not base64", query: map[string]string{"next": "%%%"}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "next not a token", query: map[string]string{"next": "eyJ4IjoxfQ"}, wantStatus: 400, wantCode: "InvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.calls = nil
			h, _ := newTestHandler(t, &fakeSFN{list: f.list})
			resp, _ := h.Handle(context.Background(), listRequest(tc.query))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if tc.wantCode != "" {
				checkError(t, resp, tc.wantCode)
				if len(f.calls) != 0 {
					t.Errorf("bad query reached Step Functions")
				}
				return
			}
			var body listBody
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatal(err)
			}
			if len(body.Executions) != tc.wantItems || (body.Next != "") != tc.wantNext {
				t.Errorf("%d items, next %q; want %d, next %v", len(body.Executions), body.Next, tc.wantItems, tc.wantNext)
			}
			if len(f.calls) != 1 || f.calls[0].MaxResults != tc.wantMax || f.calls[0].StatusFilter != tc.wantFilter ||
				aws.ToString(f.calls[0].StateMachineArn) != testStandardARN {
				t.Errorf("ListExecutions calls = %+v", f.calls)
			}
			for _, e := range body.Executions {
				if tc.wantFilter != "" && e.Status != string(tc.wantFilter) {
					t.Errorf("status %s in a %s listing", e.Status, tc.wantFilter)
				}
			}
		})
	}
}

func TestListBody(t *testing.T) {
	f := &fakeList{byMachine: map[string][]types.ExecutionListItem{testStandardARN: items(testStandardARN, 2, testStart, time.Minute)}}
	h, _ := newTestHandler(t, &fakeSFN{list: f.list})
	resp, _ := h.Handle(context.Background(), listRequest(nil))
	want := `{"executions":[` +
		`{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:run-00","name":"run-00","status":"RUNNING","startDate":"2025-11-25T09:30:00.123Z","statusUrl":"https://api.example.com/v1/executions/arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Astepgate_Standard%3Arun-00"},` +
		`{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:run-01","name":"run-01","status":"SUCCEEDED","startDate":"2025-11-25T09:29:00.123Z","stopDate":"2025-11-25T09:29:01.123Z","statusUrl":"https://api.example.com/v1/executions/arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Astepgate_Standard%3Arun-01"}]}`
	if resp.Body != want {
		t.Errorf("body =\n%s\nwant\n%s", resp.Body, want)
	}
}

// TestListPagesAcrossMachines: with two standard machines whose executions interleave in time,
// following `next` yields every execution once, newest first, whatever the page size.
func TestListPagesAcrossMachines(t *testing.T) {
	const second = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Nightly"
	f := &fakeList{byMachine: map[string][]types.ExecutionListItem{
		testStandardARN: items(testStandardARN, 23, testStart, 2*time.Minute),
		second:          items(second, 7, testStart.Add(-30*time.Second), 5*time.Minute),
	}}
	// ListStateMachines lists the stack's two STANDARD machines among others: no list to keep.
	machines := []types.StateMachineListItem{
		machine(testExpressARN, types.StateMachineTypeExpress),
		machine("arn:aws:states:us-east-1:123456789012:stateMachine:other_Standard", types.StateMachineTypeStandard),
		machine(second, types.StateMachineTypeStandard),
		machine("arn:aws:states:us-east-1:123456789012:stateMachine:stepgateX_Standard", types.StateMachineTypeStandard),
		machine(testStandardARN, types.StateMachineTypeStandard),
	}
	for _, limit := range []int{1, 3, 7, 20, 100} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			h, _ := newTestHandler(t, &fakeSFN{list: f.list, machines: machines})
			var got []listed
			q := map[string]string{"limit": strconv.Itoa(limit)}
			for page := 0; ; page++ {
				if page > 40 {
					t.Fatal("paging does not end")
				}
				resp, _ := h.Handle(context.Background(), listRequest(q))
				if resp.StatusCode != 200 {
					t.Fatalf("page %d: %d %s", page, resp.StatusCode, resp.Body)
				}
				var body listBody
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
					t.Fatal(err)
				}
				if len(body.Executions) > limit {
					t.Fatalf("page of %d over limit %d", len(body.Executions), limit)
				}
				got = append(got, body.Executions...)
				if body.Next == "" {
					break
				}
				q = map[string]string{"next": body.Next}
			}
			if len(got) != 30 {
				t.Fatalf("%d executions, want 30", len(got))
			}
			seen := map[string]bool{}
			for i, e := range got {
				if seen[e.ExecutionARN] {
					t.Errorf("%s listed twice", e.ExecutionARN)
				}
				seen[e.ExecutionARN] = true
				if i > 0 && e.StartDate > got[i-1].StartDate {
					t.Errorf("item %d (%s) is newer than item %d (%s)", i, e.StartDate, i-1, got[i-1].StartDate)
				}
			}
		})
	}
}

// TestListMachineCache: the STANDARD machines are listed once a minute (on the injected clock), and
// a token cannot name a machine of another stack.
func TestListMachineCache(t *testing.T) {
	f := &fakeList{byMachine: map[string][]types.ExecutionListItem{testStandardARN: items(testStandardARN, 3, testStart, time.Minute)}}
	sf := &fakeSFN{list: f.list}
	h, clock := newTestHandler(t, sf)
	for i, advance := range []time.Duration{0, 59 * time.Second, time.Second, 0} {
		clock.now = clock.now.Add(advance)
		if resp, _ := h.Handle(context.Background(), listRequest(nil)); resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	// Two reads (the first, and the one a minute later), each of two ListStateMachines pages.
	if sf.machineCalls != 4 {
		t.Errorf("ListStateMachines calls = %d, want 4", sf.machineCalls)
	}
	for _, name := range []string{"other_Standard", "Standard"} {
		token := listCursor{Limit: 5, Machines: map[string]machineCursor{name: {}}}.encode()
		resp, _ := h.Handle(context.Background(), listRequest(map[string]string{"next": token}))
		if resp.StatusCode != 400 {
			t.Errorf("a token naming %s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
	sf.machinesErr, clock.now = apiError("ThrottlingException"), clock.now.Add(time.Hour)
	if resp, _ := h.Handle(context.Background(), listRequest(nil)); resp.StatusCode != 429 {
		t.Errorf("ListStateMachines throttled: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestListNextMismatch(t *testing.T) {
	f := &fakeList{byMachine: map[string][]types.ExecutionListItem{testStandardARN: items(testStandardARN, 30, testStart, time.Minute)}}
	h, _ := newTestHandler(t, &fakeSFN{list: f.list})
	resp, _ := h.Handle(context.Background(), listRequest(map[string]string{"limit": "5", "status": "SUCCEEDED"}))
	var body listBody
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Next == "" {
		t.Fatalf("first page: %v %s", err, resp.Body)
	}
	for name, q := range map[string]map[string]string{
		"other limit":  {"next": body.Next, "limit": "6"},
		"other status": {"next": body.Next, "status": "FAILED"},
	} {
		resp, _ := h.Handle(context.Background(), listRequest(q))
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
		checkError(t, resp, "InvalidRequest")
	}
	for name, q := range map[string]map[string]string{
		"same limit and status": {"next": body.Next, "limit": "5", "status": "SUCCEEDED"},
		"next alone":            {"next": body.Next},
	} {
		if resp, _ := h.Handle(context.Background(), listRequest(q)); resp.StatusCode != 200 {
			t.Errorf("%s: status %d %s", name, resp.StatusCode, resp.Body)
		}
	}
}

func TestListErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"throttled", apiError("ThrottlingException"), 429, "Throttled"},
		{"access denied", apiError("AccessDeniedException"), 500, "InternalError"},
		{"machine missing", &types.StateMachineDoesNotExist{Message: aws.String("secret")}, 500, "InternalError"},
		{"expired token", &types.InvalidToken{Message: aws.String("secret")}, 400, "InvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHandler(t, &fakeSFN{list: func(*sfn.ListExecutionsInput) (*sfn.ListExecutionsOutput, error) { return nil, tc.err }})
			resp, _ := h.Handle(context.Background(), listRequest(nil))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
			}
			checkError(t, resp, tc.wantCode)
		})
	}
	h, _ := newTestHandler(t, &fakeSFN{})
	req := listRequest(nil)
	req.HTTPMethod = http.MethodPost
	if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != 405 {
		t.Errorf("POST /executions: %d", resp.StatusCode)
	}
}

// TestListEmptyPageWithToken: Step Functions may answer an empty page that still has a next
// token; the merge reads on instead of indexing the empty page.
func TestListEmptyPageWithToken(t *testing.T) {
	later := items(testStandardARN, 2, testStart, time.Minute)
	calls := 0
	list := func(in *sfn.ListExecutionsInput) (*sfn.ListExecutionsOutput, error) {
		calls++
		switch aws.ToString(in.NextToken) {
		case "":
			return &sfn.ListExecutionsOutput{NextToken: aws.String("t1")}, nil
		case "t1":
			return &sfn.ListExecutionsOutput{NextToken: aws.String("t2")}, nil
		case "t2":
			return &sfn.ListExecutionsOutput{Executions: later}, nil
		}
		return nil, &types.InvalidToken{Message: aws.String("bad")}
	}
	h, _ := newTestHandler(t, &fakeSFN{list: list})
	resp, _ := h.Handle(context.Background(), listRequest(nil))
	var body listBody
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if len(body.Executions) != 2 || body.Next != "" || calls != 3 {
		t.Errorf("%d items, next %q, %d calls", len(body.Executions), body.Next, calls)
	}
}
