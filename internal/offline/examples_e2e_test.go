package offline_test

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline"
	"github.com/stepgate/stepgate/internal/offline/asl"
)

// exampleStack starts examples/<name>/template.yaml as `make local TEMPLATE=… MOCK_CONFIG=…
// MOCK_TEST_CASE=…` does (the example's README says which), with its mock file.
func exampleStack(t *testing.T, name string, testCases map[string]string) (*offline.Stack, *events) {
	t.Helper()
	evs := newEvents()
	dir := filepath.Join(repoRoot, "examples", name)
	s := startStack(t, func(c *offline.Config) {
		c.Template = filepath.Join(dir, "template.yaml")
		c.MockConfig = filepath.Join(dir, "MockConfigFile.json")
		c.MockTestCases = testCases
		c.OnExecutionEvent = evs.record
		c.EnvVars = nil // the sample's allowlist override: the examples have none
	})
	return s, evs
}

// TestOrderExample: examples/order's README, run: POST /orders starts the JSONata workflow; its
// DynamoDB, SQS and SNS tasks answer from the mock file, the shipping workflow runs for real as a
// nested execution (.sync:2), and the status route follows the order to its output.
func TestOrderExample(t *testing.T) {
	s, evs := exampleStack(t, "order", map[string]string{"stepgate_Order": "Accepted"})
	const order = `{"order_id":"ord-1001","customer":"ada","items":[{"sku":"pen","quantity":3,"price":1.5},{"sku":"pad","quantity":1,"price":4}]}`
	r := call(t, s, "POST", "/orders", order, "Idempotency-Key", "ord-1001")
	arn, _ := r.body["executionArn"].(string)
	if r.status != 202 || arn == "" {
		t.Fatalf("POST /orders: %d %s", r.status, r.raw)
	}
	evs.await(t, arn, func(ev asl.HistoryEvent) bool {
		return strings.HasPrefix(ev.Type, "Execution") && ev.Type != "ExecutionStarted"
	})
	status := call(t, s, "GET", "/executions/"+arn, "")
	if status.body["status"] != "SUCCEEDED" {
		t.Fatalf("the order execution: %s", status.raw)
	}
	got, _ := json.Marshal(status.body["output"])
	sameJSON(t, "output", string(got),
		`{"order_id":"ord-1001","status":"ACCEPTED","total":8.5,"carrier":"post","tracking":"PO-ord-1001","message_id":"95df01b4-ee98-5cb9-9903-4c221d41eb5e"}`)
	// The shipping workflow ran, as an execution of its own that the order started.
	list, err := sfnClient(s).ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.StateMachineARNs["ShippingStateMachine"])})
	if err != nil || len(list.Executions) != 1 || list.Executions[0].Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("shipping executions %+v, %v; want one SUCCEEDED", list, err)
	}
	// The same order again (same key, same body): the same execution.
	again := call(t, s, "POST", "/orders", order, "Idempotency-Key", "ord-1001")
	if again.status != 202 || again.body["executionArn"] != arn {
		t.Errorf("replay: %d %s", again.status, again.raw)
	}
	expectError(t, call(t, s, "POST", "/orders", `{"order_id":"1001","customer":"ada","items":[]}`), 400, "InvalidRequest")

	// The mock file's other test cases, started as Step Functions Local starts them: a second
	// recording of the same order is caught (OrderExists), DynamoDB throttling is retried.
	machine := s.StateMachineARNs["OrderStateMachine"]
	twice := runToEnd(t, s, machine+"#RecordedTwice", order)
	if twice.Status != sfntypes.ExecutionStatusFailed || aws.ToString(twice.Error) != "OrderExists" {
		t.Errorf("RecordedTwice: %s %s", twice.Status, aws.ToString(twice.Error))
	}
	throttled := runToEnd(t, s, machine+"#Throttled", order)
	if throttled.Status != sfntypes.ExecutionStatusSucceeded {
		t.Errorf("Throttled: %s %s %s", throttled.Status, aws.ToString(throttled.Error), aws.ToString(throttled.Cause))
	}
}

// approvalToken is the token of the approval execution's waiting task, as an approver finds it:
// in the task's scheduled parameters (the notify workflow's input).
func approvalToken(t *testing.T, evs *events, arn string) string {
	t.Helper()
	scheduled := evs.await(t, arn, ofType(asl.EventTaskScheduled))
	var params struct {
		Input struct {
			TaskToken string `json:"taskToken"`
		}
	}
	if err := json.Unmarshal([]byte(scheduled.TaskScheduledEventDetails.Parameters), &params); err != nil || params.Input.TaskToken == "" {
		t.Fatalf("no token in %s: %v", scheduled.TaskScheduledEventDetails.Parameters, err)
	}
	evs.await(t, arn, ofType(asl.EventTaskSubmitted))
	return params.Input.TaskToken
}

// TestApprovalExample: examples/approval's README, run: a purchase request waits for a person
// (the notify workflow's SNS publish mocked to send nothing), who keeps it alive, then approves
// or rejects it through the callback routes; a second answer is too late.
func TestApprovalExample(t *testing.T) {
	s, evs := exampleStack(t, "approval", map[string]string{"stepgate_Notify": "SendNothing"})
	start := func(id string) string {
		r := call(t, s, "POST", "/approvals", `{"request_id":"`+id+`","requester":"ada","amount":250}`, "Idempotency-Key", id)
		arn, _ := r.body["executionArn"].(string)
		if r.status != 202 || arn == "" {
			t.Fatalf("POST /approvals: %d %s", r.status, r.raw)
		}
		return arn
	}
	output := func(arn string) string {
		evs.await(t, arn, func(ev asl.HistoryEvent) bool {
			return strings.HasPrefix(ev.Type, "Execution") && ev.Type != "ExecutionStarted"
		})
		r := call(t, s, "GET", "/executions/"+arn, "")
		if r.body["status"] != "SUCCEEDED" {
			t.Fatalf("%s: %s", arn, r.raw)
		}
		out, _ := json.Marshal(r.body["output"])
		return string(out)
	}

	approved := start("req-42")
	token := approvalToken(t, evs, approved)
	for _, req := range []struct{ path, body string }{
		{"/approvals/heartbeat", `{"taskToken":"` + token + `"}`},
		{"/approvals/approve", `{"taskToken":"` + token + `","approver":"grace","comment":"within budget"}`},
	} {
		if r := call(t, s, "POST", req.path, req.body); r.status != 200 || r.raw != "{}" {
			t.Fatalf("POST %s: %d %s", req.path, r.status, r.raw)
		}
	}
	sameJSON(t, "approved", output(approved), `{"request_id":"req-42","status":"APPROVED","approver":"grace","comment":"within budget"}`)
	expectError(t, call(t, s, "POST", "/approvals/reject", `{"taskToken":"`+token+`","cause":"changed my mind"}`), 410, "TaskTimedOut")

	rejected := start("req-43")
	token = approvalToken(t, evs, rejected)
	expectError(t, call(t, s, "POST", "/approvals/reject", `{"taskToken":"`+token+`"}`), 400, "InvalidRequest") // a cause is required
	if r := call(t, s, "POST", "/approvals/reject", `{"taskToken":"`+token+`","cause":"over budget"}`); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.raw)
	}
	sameJSON(t, "rejected", output(rejected), `{"request_id":"req-43","status":"REJECTED","reason":"over budget"}`)
	// The notify workflow (EXPRESS: its executions are not listed, nor described by the status
	// routes, which keeps the token in its input away from them) ran for each request, its publish
	// mocked.
	evs.mu.Lock()
	var notified []string
	for arn, h := range evs.byExec {
		if strings.Contains(arn, ":express:stepgate_Notify:") && len(h) > 0 && h[len(h)-1].Type == "ExecutionSucceeded" {
			notified = append(notified, arn)
		}
	}
	evs.mu.Unlock()
	if len(notified) != 2 {
		t.Errorf("notify executions %v, want two that succeeded", notified)
	}
	for _, arn := range notified {
		expectError(t, call(t, s, "GET", "/executions/"+url.PathEscape(arn), ""), 400, "ExpressExecutionNotDescribable")
	}
}
