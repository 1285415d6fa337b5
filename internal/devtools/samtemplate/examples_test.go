package samtemplate

// Tests of the examples' templates (examples/<name>/template.yaml): stepgate's own parts stay what
// template.yaml has, so an example cannot drift from the product it shows; and each workflow's
// role grants what its Task states call, on their resources only.

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	yaml "go.yaml.in/yaml/v3"
)

// stepgateParts names what a stack takes from template.yaml unchanged: its parameters and
// conditions of the API and functions, Globals, the two functions (but their routes), their log
// groups, the API with its DefinitionBody and gateway responses, the permissions, the API_KEY
// resources, and the outputs about the API.
var stepgateParts = struct {
	parameters, conditions, resources, outputs []string
	functions                                  []string
}{
	parameters: []string{"AuthMode", "StageName", "LogLevel", "ApiKeyRateLimit", "ApiKeyBurstLimit", "ApiKeyQuotaLimit",
		"ApiKeyQuotaPeriod", "LogRetentionInDays"},
	conditions: []string{"UseIamAuth", "UseApiKey"},
	resources: []string{"StepgateApi", "StartFunctionLogGroup", "StatusFunctionLogGroup", "StartApiPermission", "StatusApiPermission",
		"StepgateApiKey", "StepgateUsagePlan", "StepgateUsagePlanKey"},
	functions: []string{"StartFunction", "StatusFunction"},
	outputs:   []string{"AuthMode", "ApiKeyId"},
}

// rawTemplate is a template file as written (short tags in their long form), nothing resolved.
func rawTemplate(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tree, err := fromNode(&doc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, _ := tree.(map[string]any)
	return m
}

// examples lists the examples' templates.
func examples(t *testing.T) []string {
	t.Helper()
	return repoTemplates(t)[1:]
}

// envOfRoutes is what a function's environment holds for its routes: ROUTES, and the variables its
// allowlists read (named in ROUTES as "env": "NAME").
var allowlistEnv = regexp.MustCompile(`"env":\s*"([A-Za-z0-9_]+)"`)

// stepgateFunction is a function of a raw template as stepgate ships it: CodeUri as the directory
// it names (relative to the repository's root), and the environment without what the stack's
// routes declare.
func stepgateFunction(t *testing.T, path string, raw map[string]any, id string) map[string]any {
	t.Helper()
	fn, ok := dig(raw, "Resources", id).(map[string]any)
	if !ok {
		t.Fatalf("%s has no %s", path, id)
	}
	var out map[string]any
	b, _ := json.Marshal(fn)
	_ = json.Unmarshal(b, &out) // a deep copy to edit
	props := out["Properties"].(map[string]any)
	codeURI, _ := props["CodeUri"].(string)
	props["CodeUri"] = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(path), codeURI)))
	vars, _ := dig(props, "Environment", "Variables").(map[string]any)
	if routes, ok := vars["ROUTES"]; ok {
		text, _ := json.Marshal(routes)
		for _, m := range allowlistEnv.FindAllStringSubmatch(strings.ReplaceAll(string(text), `\"`, `"`), -1) {
			delete(vars, m[1])
		}
		delete(vars, "ROUTES")
	}
	return out
}

// TestExamplesInStep: each example's stepgate parts are template.yaml's, so that what an example
// shows (and deploys) is the product: the same API and gateway responses, the same functions and
// roles (only their routes differ, and the functions are the repository's code), the same
// permissions and API_KEY resources.
func TestExamplesInStep(t *testing.T) {
	product := rawTemplate(t, "template.yaml")
	for _, path := range examples(t) {
		t.Run(path, func(t *testing.T) {
			ex := rawTemplate(t, path)
			same := func(what string, keys ...string) {
				t.Helper()
				a, b := dig(product, keys...), dig(ex, keys...)
				if a == nil || !reflect.DeepEqual(a, b) {
					ja, _ := json.MarshalIndent(a, "", " ")
					jb, _ := json.MarshalIndent(b, "", " ")
					t.Errorf("%s differs from template.yaml's (copy it from there):\ntemplate.yaml: %s\n%s: %s", what, ja, path, jb)
				}
			}
			same("Globals", "Globals")
			for _, p := range stepgateParts.parameters {
				same("parameter "+p, "Parameters", p)
			}
			for _, c := range stepgateParts.conditions {
				same("condition "+c, "Conditions", c)
			}
			for _, r := range stepgateParts.resources {
				same("resource "+r, "Resources", r)
			}
			for _, o := range stepgateParts.outputs {
				same("output "+o, "Outputs", o)
			}
			same("output ApiUrl's value", "Outputs", "ApiUrl", "Value")
			for _, id := range stepgateParts.functions {
				a, b := stepgateFunction(t, "template.yaml", product, id), stepgateFunction(t, path, ex, id)
				if !reflect.DeepEqual(a, b) {
					ja, _ := json.MarshalIndent(a, "", " ")
					jb, _ := json.MarshalIndent(b, "", " ")
					t.Errorf("%s differs from template.yaml's beyond its routes (copy it from there):\ntemplate.yaml: %s\n%s: %s", id, ja, path, jb)
				}
			}
			// No other function: an example has no Go of its own.
			for id, r := range ex["Resources"].(map[string]any) {
				if typ := dig(r, "Type"); (typ == "AWS::Serverless::Function" || typ == "AWS::Lambda::Function") && !slices.Contains(stepgateParts.functions, id) {
					t.Errorf("%s declares function %s: an example uses stepgate's functions only", path, id)
				}
			}
		})
	}
}

// taskAction is the IAM action a Task state's resource calls: arn:aws:states:::dynamodb:putItem →
// dynamodb:PutItem, arn:aws:states:::aws-sdk:sns:publish → sns:Publish, with any .sync or
// .waitForTaskToken suffix dropped.
func taskAction(resource string) (string, bool) {
	rest, ok := strings.CutPrefix(resource, "arn:aws:states:::")
	if !ok {
		return "", false
	}
	rest = strings.TrimPrefix(rest, "aws-sdk:")
	service, api, ok := strings.Cut(rest, ":")
	if !ok {
		return "", false
	}
	api, _, _ = strings.Cut(api, ".")
	r := []rune(api)
	r[0] = unicode.ToUpper(r[0])
	return service + ":" + string(r), true
}

// syncExtras are the actions a .sync task needs besides its call (Step Functions developer
// guide, "IAM policies for Step Functions": startExecution.sync).
var syncExtras = map[string][]string{
	"states:StartExecution": {"states:DescribeExecution", "states:StopExecution", "events:PutTargets", "events:PutRule", "events:DescribeRule"},
}

// TestExampleWorkflowRoles: each example workflow's role grants, in plain Allow statements of
// named actions on named resources, every action its Task states call (and what .sync needs
// besides), and nothing else but the KMS use of an encrypted topic through SNS.
func TestExampleWorkflowRoles(t *testing.T) {
	for _, path := range examples(t) {
		t.Run(path, func(t *testing.T) {
			tmpl := loadStackAt(t, filepath.Join(repoRoot, path), nil)
			for id, sm := range stateMachinesByID(t, tmpl) {
				def, err := sm.Definition()
				if err != nil {
					t.Fatal(err)
				}
				names, err := sm.Placeholders()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(names, slices.Sorted(maps.Keys(sm.Substitutions))) {
					t.Errorf("%s's definition uses %v, DefinitionSubstitutions has %v", id, names, slices.Sorted(maps.Keys(sm.Substitutions)))
				}
				need := map[string]bool{}
				for _, res := range taskResources(t, def) {
					action, ok := taskAction(res)
					if !ok {
						t.Errorf("%s: task resource %s is no service integration", id, res)
						continue
					}
					need[action] = true
					for _, a := range syncExtras[action] {
						if strings.Contains(res, ".sync") {
							need[a] = true
						}
					}
				}
				granted := map[string]bool{}
				for _, st := range sm.Policies.Statements {
					if st.Effect != "Allow" || len(st.NotActions) > 0 {
						t.Errorf("%s statement %q: want a plain Allow", id, st.Sid)
					}
					for _, a := range st.Actions {
						granted[a] = true
						if strings.Contains(a, "*") {
							t.Errorf("%s statement %q grants %s: name each action", id, st.Sid, a)
						}
						if !need[a] && !strings.HasPrefix(a, "kms:") {
							t.Errorf("%s statement %q grants %s, which no Task state calls", id, st.Sid, a)
						}
					}
					for _, r := range st.Resources {
						if r == "*" {
							t.Errorf("%s statement %q on *: scope it to the resource the task calls", id, st.Sid)
						}
					}
				}
				if len(sm.Policies.Other) > 0 {
					t.Errorf("%s: policies other than explicit statements: %v", id, sm.Policies.Other)
				}
				for a := range need {
					if !granted[a] {
						t.Errorf("%s's Task states call %s, which its role does not grant", id, a)
					}
				}
			}
		})
	}
}

// taskResources lists the Resource of every Task state of a definition, nested ones included.
func taskResources(t *testing.T, def []byte) []string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(def, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["Type"] == "Task" {
				if r, ok := x["Resource"].(string); ok {
					out = append(out, r)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	slices.Sort(out)
	return out
}

func TestTaskAction(t *testing.T) {
	for res, want := range map[string]string{
		"arn:aws:states:::dynamodb:putItem":                 "dynamodb:PutItem",
		"arn:aws:states:::aws-sdk:sns:publish":              "sns:Publish",
		"arn:aws:states:::sqs:sendMessage.waitForTaskToken": "sqs:SendMessage",
		"arn:aws:states:::states:startExecution.sync:2":     "states:StartExecution",
	} {
		if got, ok := taskAction(res); !ok || got != want {
			t.Errorf("taskAction(%s) = %s, %v; want %s", res, got, ok, want)
		}
	}
	if _, ok := taskAction("arn:aws:lambda:us-east-1:123456789012:function:F"); ok {
		t.Error("a Lambda ARN is no service integration")
	}
}
