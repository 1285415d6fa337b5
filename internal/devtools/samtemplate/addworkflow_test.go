package samtemplate

import (
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/app/execution"
	"github.com/stepgate/stepgate/internal/devtools/addworkflow"
)

// readmeWorkflowsTemplate writes template.yaml with README "Add your workflow" applied (its own
// lines) into a directory of its own, and returns its path.
func readmeWorkflowsTemplate(t *testing.T) string {
	t.Helper()
	path, err := addworkflow.CopyFromRepo(t.TempDir(), repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAddYourWorkflowDeploys: the README's two workflows, added with its own lines and nothing
// else, pass cfn-lint and the SAM translator in every AuthMode; in the CloudFormation, the API is
// still one greedy start operation closed like the others, one permission per function, and the
// roles' statements unchanged, while the new machines are named inside the stack's pattern and
// their routes parse with the start function's parser and name them.
func TestAddYourWorkflowDeploys(t *testing.T) {
	path := readmeWorkflowsTemplate(t)
	tmpl := loadStackAt(t, path, nil)
	routes := startRoutes(t, tmpl)
	for _, key := range []string{"POST /quotes", "POST /reports"} {
		if _, ok := routes.Route(key); !ok {
			t.Errorf("ROUTES lacks %s: %v", key, routes.Keys())
		}
	}
	pattern, err := execution.ParsePattern(functionsByID(t, tmpl)["StatusFunction"].Environment[execution.EnvStateMachines])
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range routes.Describe() {
		if m, err := execution.ParseStateMachine(d.StateMachineARN); err != nil || !pattern.Contains(m) {
			t.Errorf("%s %s starts %s, outside %s", d.Method, d.Path, d.StateMachineARN, pattern)
		}
	}

	cfnLint(t, path)
	var runs []translation
	for _, m := range authModes {
		runs = append(runs, translation{params: map[string]string{"AuthMode": m}, time: 1_800_000_000})
	}
	for i, cfn := range translateAt(t, path, runs...) {
		mode := authModes[i]
		apis := resourcesOfType(cfn, "AWS::ApiGateway::RestApi")
		body, _ := cfn.Resources[apis[0]].Properties["Body"].(map[string]any)
		proxy, _ := dig(body, "paths", "/{proxy+}", "x-amazon-apigateway-any-method").(map[string]any)
		if proxy == nil || methodAuthorization(t, body, proxy) != mode {
			t.Errorf("AuthMode %s: /{proxy+} = %v", mode, proxy)
		}
		if got := len(resourcesOfType(cfn, "AWS::Lambda::Permission")); got != 2 {
			t.Errorf("AuthMode %s: %d permissions, want the two of template.yaml", mode, got)
		}
		if got := len(resourcesOfType(cfn, "AWS::ApiGateway::Stage")); got != 1 {
			t.Errorf("AuthMode %s: %d stages", mode, got)
		}
		names := map[string]bool{}
		for _, id := range resourcesOfType(cfn, "AWS::StepFunctions::StateMachine") {
			name := str(cfn.Resources[id].Properties["StateMachineName"])
			names[name] = true
			if !strings.HasPrefix(name, "stepgate_") {
				t.Errorf("%s is named %q, outside the pattern", id, name)
			}
		}
		if !names["stepgate_Quote"] || !names["stepgate_Report"] {
			t.Errorf("machines %v, want the README's two among them", names)
		}
	}
}
