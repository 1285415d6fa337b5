package samtemplate

// Tests of the start function's ROUTES document in template.yaml, the one place a route is
// declared: it parses as the function parses it, every route's machine is one of the template's
// and inside the stack's state machine pattern (so the functions' IAM statements and the status
// function cover it), the API sends every route to the function through its greedy operation and
// no explicit operation shadows one, and the function's environment stays within Lambda's limit.

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/app/execution"
	"github.com/stepgate/stepgate/internal/app/route"
)

// startRoutes parses the resolved ROUTES of StartFunction with the function's own parser.
func startRoutes(t *testing.T, tmpl *Template) *route.Config {
	t.Helper()
	fn := functionsByID(t, tmpl)["StartFunction"]
	cfg, err := route.Parse(fn.Environment[route.Env], func(k string) string { return fn.Environment[k] })
	if err != nil {
		t.Fatalf("StartFunction's ROUTES: %v", err)
	}
	return cfg
}

// TestRoutesDeclaredOnce: each route of ROUTES starts one of the template's state machines (sync
// ones an EXPRESS machine), reaches StartFunction through the API's one greedy operation, and is
// shadowed by no explicit operation (API Gateway would send its requests elsewhere).
func TestRoutesDeclaredOnce(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { routesDeclaredOnce(t, loadStackAt(t, filepath.Join(repoRoot, path), nil)) })
	}
}

func routesDeclaredOnce(t *testing.T, tmpl *Template) {
	cfg := startRoutes(t, tmpl)
	machines := map[string]StateMachine{} // by resolved ARN
	for _, sm := range stateMachinesByID(t, tmpl) {
		machines["arn:aws:states:us-east-1:123456789012:stateMachine:"+sm.Name] = sm
	}
	routes, err := tmpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	greedy := 0
	var explicit []Route
	for _, r := range routes {
		if strings.Contains(r.Path, "+}") {
			greedy++
			if r.Method != "ANY" || r.Path != "/{proxy+}" || r.FunctionLogicalID != "StartFunction" {
				t.Errorf("greedy operation %s %s → %s, want ANY /{proxy+} → StartFunction", r.Method, r.Path, r.FunctionLogicalID)
			}
			continue
		}
		if r.FunctionLogicalID == "StartFunction" {
			t.Errorf("%s %s is an operation of its own for StartFunction: its routes are ROUTES' only", r.Method, r.Path)
		}
		explicit = append(explicit, r)
	}
	if greedy != 1 {
		t.Errorf("%d greedy operations, want one /{proxy+}", greedy)
	}
	for _, d := range cfg.Describe() {
		key := d.Method + " " + d.Path
		sm, ok := machines[d.StateMachineARN]
		if !ok {
			t.Errorf("%s: state machine %s is not one of the template's", key, d.StateMachineARN)
			continue
		}
		if d.Mode == route.Sync && sm.Type != "EXPRESS" {
			t.Errorf("%s: sync mode needs an EXPRESS machine (StartSyncExecution); %s is %s", key, sm.LogicalID, sm.Type)
		}
		for _, r := range explicit {
			if Overlaps(r.Path, d.Path) {
				t.Errorf("%s is shadowed by the API's %s %s (→ %s)", key, r.Method, r.Path, r.FunctionLogicalID)
			}
		}
	}
}

// TestFunctionsServeEveryRoutesMachine: the start and status functions share one
// STATE_MACHINES pattern, every machine of the template is in it (so the IAM statements written
// with the same pattern cover it), and so is every route's machine: each statusUrl the start
// function hands out is one the status function serves, with no list to keep.
func TestFunctionsServeEveryRoutesMachine(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) {
			functionsServeEveryRoutesMachine(t, loadStackAt(t, filepath.Join(repoRoot, path), nil))
		})
	}
}

func functionsServeEveryRoutesMachine(t *testing.T, tmpl *Template) {
	fns := functionsByID(t, tmpl)
	patterns := map[string]bool{}
	for _, id := range []string{"StartFunction", "StatusFunction"} {
		patterns[fns[id].Environment[execution.EnvStateMachines]] = true
	}
	if len(patterns) != 1 {
		t.Fatalf("the functions' STATE_MACHINES differ: %v", slices.Sorted(maps.Keys(patterns)))
	}
	pattern, err := execution.ParsePattern(slices.Collect(maps.Keys(patterns))[0])
	if err != nil {
		t.Fatal(err)
	}
	for id, sm := range stateMachinesByID(t, tmpl) {
		m, err := execution.ParseStateMachine("arn:aws:states:us-east-1:123456789012:stateMachine:" + sm.Name)
		if err != nil || !pattern.Contains(m) {
			t.Errorf("%s is named %q, outside %s: give it Name: !Sub ${AWS::StackName}_<Short>", id, sm.Name, pattern)
		}
	}
	for _, d := range startRoutes(t, tmpl).Describe() {
		if m, err := execution.ParseStateMachine(d.StateMachineARN); err != nil || !pattern.Contains(m) {
			t.Errorf("%s %s starts %s, outside %s", d.Method, d.Path, d.StateMachineARN, pattern)
		}
	}
}

func TestOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"/executions/{executionArn}", "/executions/{id}", true},
		{"/executions/{executionArn}", "/executions/latest", true},
		{"/executions", "/executions", true},
		{"/executions/{executionArn}/events", "/executions/{id}", false},
		{"/executions/{executionArn}/events", "/executions/{id}/cancel", false},
		{"/executions", "/orders", false},
		{"/orders/{id}", "/orders", false},
		{"/files/{path+}", "/files/a/b", true},
		{"/{proxy+}", "/anything", true},
	}
	for _, tc := range tests {
		if got := Overlaps(tc.a, tc.b); got != tc.want {
			t.Errorf("Overlaps(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestStartEnvironmentSize: Lambda refuses a function whose environment variables total more than
// 4 KB. ROUTES is the large one, so measure it resolved with the longest names AWS could give: an
// 80-character state machine name (Step Functions' limit), the longest stack name that leaves room
// for the "_Standard" suffix, the longest partition and region names, a 17-digit instance ID. Both
// ways of counting are checked: the keys and values themselves, and their JSON encoding (ROUTES is
// JSON, so its quotes double when escaped).
func TestStartEnvironmentSize(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { startEnvironmentSize(t, filepath.Join(repoRoot, path)) })
	}
}

func startEnvironmentSize(t *testing.T, path string) {
	const limit = 4096
	long := func(id, attr string) (string, bool) {
		name := id + "-" + strings.Repeat("X", 80-len(id)-1)
		switch {
		case strings.HasSuffix(id, "StateMachine") && attr == "":
			return "arn:aws-iso-b:states:ap-southeast-5:123456789012:stateMachine:" + name, true
		case strings.HasSuffix(id, "StateMachine") && attr == "Name":
			return name, true
		case strings.HasSuffix(id, "Function") && attr == "Arn":
			return "arn:aws-iso-b:lambda:ap-southeast-5:123456789012:function:" + name, true
		case id == "ManagedInstance" && attr == "":
			return "i-0123456789abcdef0", true
		}
		return "", false
	}
	tmpl, err := Load(path, Options{Resolve: long, Parameters: map[string]string{"LogLevel": "DEBUG"},
		Partition: "aws-iso-b", Region: "ap-southeast-5", StackName: strings.Repeat("s", 80-len("_Standard"))})
	if err != nil {
		t.Fatal(err)
	}
	env := functionsByID(t, tmpl)["StartFunction"].Environment
	if !strings.Contains(env[route.Env], strings.Repeat("X", 50)) {
		t.Fatalf("ROUTES was not resolved with the long names: %.200s", env[route.Env])
	}
	raw := 0
	for k, v := range env {
		raw += len(k) + len(v)
	}
	encoded, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("StartFunction environment: %d bytes of keys and values, %d bytes as JSON (limit %d)", raw, len(encoded), limit)
	if raw > limit || len(encoded) > limit {
		t.Errorf("StartFunction's environment is %d bytes (%d as JSON); Lambda allows %d", raw, len(encoded), limit)
	}
}
