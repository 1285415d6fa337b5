package offline_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/offline"
)

// TestInstanceStateRoute: GET /instances/{instance_id}, declared in template.yaml only, through the
// offline stack's gateway (a path-parameter route), the real start bootstrap and the EXPRESS
// workflow's "check" action.
func TestInstanceStateRoute(t *testing.T) {
	s := startStack(t, nil)
	state := func(t *testing.T, id string) string {
		t.Helper()
		r := call(t, s, "GET", "/instances/"+id, "")
		if r.status != 200 || len(r.body) != 2 || r.body["instance_id"] != id {
			t.Fatalf("got %d %s, want 200 {instance_id, state}", r.status, r.raw)
		}
		if arn := r.header.Get("X-Execution-Arn"); !strings.Contains(arn, ":express:stepgate_Express:") {
			t.Errorf("X-Execution-Arn = %q", arn)
		}
		st, _ := r.body["state"].(string)
		return st
	}
	if got := state(t, instanceID); got != "stopped" {
		t.Fatalf("state = %s, want stopped", got)
	}
	// The check changed nothing: the instance is still stopped, and the toggle route starts it.
	if r := call(t, s, "POST", "/express-instance", body(instanceID, "start")); r.status != 200 || r.body["previous_state"] != "stopped" {
		t.Fatalf("start after check: %d %s", r.status, r.raw)
	}
	if got := state(t, instanceID); got != "pending" && got != "running" {
		t.Errorf("state after start = %s, want pending or running", got)
	}
	// A terminated instance is reported, not refused: check acts on nothing.
	if got := state(t, terminatedID); got != "terminated" {
		t.Errorf("terminated instance: state = %s", got)
	}
	t.Run("errors", func(t *testing.T) {
		expectError(t, call(t, s, "GET", "/instances/i-XYZ", ""), 400, "InvalidRequest")
		expectError(t, call(t, s, "GET", "/instances/i-0123456789abcdef1", ""), 403, "InstanceNotAllowed")
		expectError(t, call(t, s, "GET", "/instances/"+missingID, ""), 404, "InstanceNotFound")
		// Only GET is declared on the path: the start function answers 405 with Allow.
		expectError(t, call(t, s, "DELETE", "/instances/"+instanceID, ""), 405, "MethodNotAllowed")
	})
	t.Run("a body cannot change the fixed action", func(t *testing.T) {
		r := call(t, s, "GET", "/instances/"+instanceID, `{"action":"stop"}`)
		if r.status != 200 || r.body["state"] == "stopping" || r.body["state"] == "stopped" {
			t.Fatalf("got %d %s, want the running instance's state, untouched", r.status, r.raw)
		}
		if got := state(t, instanceID); got == "stopping" || got == "stopped" {
			t.Errorf("state = %s: the body's action was obeyed", got)
		}
	})
}

// TestThirdWorkflow is the proof that a workflow goes behind HTTP without Go: testdata/
// third-workflow.yaml declares two Pass machines and their routes (a sync GET with a path and a
// query parameter, an async POST), and the unchanged start bootstrap serves them through the
// offline stack.
func TestThirdWorkflow(t *testing.T) {
	s := startStack(t, func(c *offline.Config) {
		c.Template = filepath.Join("testdata", "third-workflow.yaml")
	})
	t.Run("sync route: path, query and fixed input", func(t *testing.T) {
		r := call(t, s, "GET", "/greetings/ada?lang=fr", "")
		want := `{"greeting":"Hello, ada!","input":{"kind":"greeting","lang":"fr","name":"ada"}}`
		if got, _ := json.Marshal(r.body); r.status != 200 || string(got) != want {
			t.Fatalf("got %d %s, want 200 %s", r.status, r.raw, want)
		}
		if arn := r.header.Get("X-Execution-Arn"); !strings.Contains(arn, ":express:stepgate_Greeting:") {
			t.Errorf("X-Execution-Arn = %q", arn)
		}
	})
	t.Run("the route's error table", func(t *testing.T) {
		r := call(t, s, "GET", "/greetings/taken", "")
		expectError(t, r, 409, "NameTaken")
		if r.body["message"] != "The name taken is taken; choose another." {
			t.Errorf("message = %v", r.body["message"])
		}
		expectError(t, call(t, s, "GET", "/greetings/Ada", ""), 400, "InvalidRequest")
		expectError(t, call(t, s, "GET", "/greetings/ada?lang=de", ""), 400, "InvalidRequest")
	})
	t.Run("async route: 202, idempotent, runs to the end", func(t *testing.T) {
		first := call(t, s, "POST", "/greetings", `{"name":"grace","note":"hi"}`, "Idempotency-Key", "g-1")
		if first.status != 202 {
			t.Fatalf("got %d %s", first.status, first.raw)
		}
		arn, _ := first.body["executionArn"].(string)
		if !strings.Contains(arn, ":execution:stepgate_Guestbook:") {
			t.Fatalf("executionArn = %q", arn)
		}
		if loc := first.header.Get("Location"); !strings.HasPrefix(loc, s.APIURL+"/"+s.StageName+"/executions/") {
			t.Errorf("Location = %q", loc)
		}
		again := call(t, s, "POST", "/greetings", `{"note":"hi", "name":"grace"}`, "Idempotency-Key", "g-1")
		if again.status != 202 || again.body["executionArn"] != arn {
			t.Errorf("replay: %d %s, want 202 with %s", again.status, again.raw, arn)
		}
		expectError(t, call(t, s, "POST", "/greetings", `{"name":"other"}`, "Idempotency-Key", "g-1"), 422, "IdempotencyKeyReused")
		expectError(t, call(t, s, "POST", "/greetings", `{"note":"no name"}`), 400, "InvalidRequest")

		out := waitForExecution(t, s, arn)
		if aws.ToString(out.Output) != `{"kind":"guestbook","signed":"grace"}` {
			t.Errorf("output = %s", aws.ToString(out.Output))
		}
		if want := `{"kind":"guestbook","name":"grace","note":"hi"}`; aws.ToString(out.Input) != want {
			t.Errorf("input = %s, want %s", aws.ToString(out.Input), want)
		}
	})
}

// waitForExecution describes an execution until it leaves RUNNING, and expects it SUCCEEDED.
func waitForExecution(t *testing.T, s *offline.Stack, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	var out *sfn.DescribeExecutionOutput
	waitUntil(t, "execution "+arn+" leaves RUNNING", func() bool {
		var err error
		out, err = s.SFN.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Status != "RUNNING"
	})
	if out.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s", arn, out.Status)
	}
	return out
}
