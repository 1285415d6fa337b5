package offline_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/addworkflow"
	"github.com/stepgate/stepgate/internal/devtools/routereader"
	"github.com/stepgate/stepgate/internal/offline"
)

// templateCopy writes template.yaml, changed by edit, into a directory of its own, and returns its
// path.
func templateCopy(t *testing.T, edit func(t *testing.T, template []byte) []byte) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path, err := addworkflow.Copy(t.TempDir(), repoRoot, edit(t, data))
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// withREADMEWorkflows is template.yaml with the README's "Add your workflow" lines added.
func withREADMEWorkflows(t *testing.T, _ []byte) []byte {
	t.Helper()
	out, err := addworkflow.FromRepo(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAddYourWorkflow is README "Add your workflow" end to end: the two workflows, added to a copy
// of template.yaml with the README's own lines and nothing else, are served by the offline stack
// (the unchanged bootstraps), listed by the banner, and followed by the status function, which
// keeps no list of machines.
func TestAddYourWorkflow(t *testing.T) {
	path := templateCopy(t, withREADMEWorkflows)
	banner := &syncBuffer{}
	s := startStack(t, func(c *offline.Config) { c.Template = path; c.Log = banner })
	s.Announce("")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\n {16}POST /quotes +sync  → stepgate_Quote\n`),
		regexp.MustCompile(`\n {16}POST /reports +async → stepgate_Report\n`),
		regexp.MustCompile(`\n {16}QuoteStateMachine +arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Quote\n`),
	} {
		if !want.MatchString(banner.String()) {
			t.Errorf("the banner lacks %s:\n%s", want, banner.String())
		}
	}

	t.Run("sync JSONata EXPRESS route", func(t *testing.T) {
		r := call(t, s, "POST", "/quotes", `{"item":"ABC-123","quantity":3}`)
		if r.status != 200 || r.raw != `{"item":"ABC-123","quantity":3,"total":7.5}` {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if arn := r.header.Get("X-Execution-Arn"); !strings.Contains(arn, ":express:stepgate_Quote:") {
			t.Errorf("X-Execution-Arn = %q", arn)
		}
		e := call(t, s, "POST", "/quotes", `{"item":"ABC-123","quantity":500}`)
		expectError(t, e, 422, "QuantityTooLarge")
		if e.body["message"] != "At most 100 of ABC-123 per order." || e.header.Get("X-Execution-Arn") == "" {
			t.Errorf("the route's error table: %v %s", e.header, e.raw)
		}
		expectError(t, call(t, s, "POST", "/quotes", `{"item":"abc","quantity":1}`), 400, "InvalidRequest")
		expectError(t, call(t, s, "GET", "/quotes", ""), 405, "MethodNotAllowed")
	})

	t.Run("async STANDARD route, followed by the status function", func(t *testing.T) {
		r := call(t, s, "POST", "/reports", `{"customer":"ada"}`, "Idempotency-Key", "r-1")
		arn, _ := r.body["executionArn"].(string)
		if r.status != 202 || !strings.Contains(arn, ":execution:stepgate_Report:") || r.header.Get("X-Execution-Arn") != arn {
			t.Fatalf("got %d %v %s", r.status, r.header, r.raw)
		}
		statusURL, _ := r.body["statusUrl"].(string)
		u, err := url.Parse(statusURL)
		if err != nil {
			t.Fatal(err)
		}
		// The statusUrl as handed out: under the stage, as on AWS.
		done := call(t, s, "GET", u.RequestURI()+"?wait=20", "")
		if done.status != 200 || done.body["status"] != "SUCCEEDED" {
			t.Fatalf("long poll: %d %s", done.status, done.raw)
		}
		if out, _ := done.body["output"].(map[string]any); out["report"] != "Report for ada" {
			t.Errorf("output = %v", done.body["output"])
		}
		list := call(t, s, "GET", "/executions", "")
		executions, _ := list.body["executions"].([]any)
		found := false
		for _, e := range executions {
			found = found || e.(map[string]any)["executionArn"] == arn
		}
		if !found {
			t.Errorf("GET /executions does not list %s: %s", arn, list.raw)
		}
		events := call(t, s, "GET", "/executions/"+url.PathEscape(arn)+"/events", "")
		if events.status != 200 || events.body["status"] != "SUCCEEDED" {
			t.Errorf("events: %d %s", events.status, events.raw)
		}
	})

	t.Run("the sample's routes still answer", func(t *testing.T) {
		if r := call(t, s, "GET", "/instances/"+instanceID, ""); r.status != 200 {
			t.Errorf("GET /instances: %d %s", r.status, r.raw)
		}
	})
}

// TestDeclarationRefused: the offline stack refuses at start-up what would fail on AWS, naming the
// route, before it starts anything.
func TestDeclarationRefused(t *testing.T) {
	replace := func(old, new string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, template []byte) []byte {
			t.Helper()
			if !bytes.Contains(template, []byte(old)) {
				t.Fatalf("template.yaml has no %q", old)
			}
			return bytes.Replace(template, []byte(old), []byte(new), 1)
		}
	}
	const routesOpen = `{"routes": {` + "\n"
	tests := []struct {
		name string
		edit func(*testing.T, []byte) []byte
		want string
	}{
		{"unanchored pattern of a route", replace(`"input": {"path": ["instance_id"], "fixed": {"action": "check"}}, "required": ["instance_id"]`,
			`"input": {"path": ["instance_id"], "fixed": {"action": "check"}}, "required": ["instance_id"], "fields": {"instance_id": {"pattern": "i-[0-9a-f]+"}}`),
			`route "GET /instances/{instance_id}": field "instance_id": pattern i-[0-9a-f]+ is not anchored`},
		{"unanchored shared pattern", replace(`"pattern": "^(toggle|start|stop)$"`, `"pattern": "toggle|start|stop"`),
			`the shared "fields": field "action": pattern toggle|start|stop is not anchored`},
		{"required field from no input", replace(`"input": {"path": ["instance_id"], "fixed": {"action": "check"}}, "required": ["instance_id"]`,
			`"input": {"path": ["instance_id"], "fixed": {"action": "check"}}, "required": ["instance_id", "region"]`),
			`route "GET /instances/{instance_id}": required field "region" can come from none of the route's inputs`},
		{"shadowed by an explicit resource", replace(routesOpen, routesOpen+
			`              "GET /executions/latest": {"stateMachine": "${ExpressStateMachine}", "mode": "sync", "input": {"fixed": {"action": "check"}}},`+"\n"),
			`route "GET /executions/latest": shadowed by the API's DELETE /executions/{executionArn} (→ StatusFunction)`},
		{"machine outside the stack's pattern", replace("      Name: !Sub ${AWS::StackName}_Standard\n", ""),
			`route "POST /standard-instance": state machine arn:aws:states:us-east-1:123456789012:stateMachine:StandardStateMachine is not one of this stack's`},
		{"no greedy operation", replace("          /{proxy+}:\n            x-amazon-apigateway-any-method:", "          /{proxy+}:\n            post:"),
			`route "GET /instances/{instance_id}": no API operation reaches StartFunction`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := offline.Start(context.Background(), offline.Config{
				Template: templateCopy(t, tc.edit), BuildDir: buildDir, APIAddr: "127.0.0.1:0", AWSAddr: "127.0.0.1:0",
				Routes: routereader.Read,
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
