package samtemplate

// The template checked with AWS's own tools: cfn-lint, and the SAM translator that `sam deploy`
// (and CloudFormation's AWS::Serverless transform) runs, with assertions on the CloudFormation it
// produces for each AuthMode. Both are Python packages: without them the tests skip, naming what
// to install, except in CI, where they fail (package testenv).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
)

// testImage stands in for ImageId, an SSM parameter type that CloudFormation would read.
const testImage = "ami-0123456789abcdef0"

// repoTemplates is Templates for the tests: every stepgate stack of the repository.
func repoTemplates(t *testing.T) []string {
	t.Helper()
	paths, err := Templates(repoRoot)
	if err != nil || len(paths) < 3 {
		t.Fatalf("Templates = %v, %v; want template.yaml and the examples", paths, err)
	}
	return paths
}

func TestCfnLint(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { cfnLint(t, path) })
	}
}

// cfnLint runs cfn-lint on the template at path (relative to the repository root, or absolute).
func cfnLint(t *testing.T, path string) {
	t.Helper()
	testenv.MustHavePythonModules(t, "cfnlint")
	// -c I adds the informational rules (I3011: a DeletionPolicy on stateful resources, …).
	cmd := exec.Command("python3", "-c", "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())",
		"-c", "I", "--", path)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint -c I %s: %v\n%s", path, err, out)
	}
}

// translation is one run of the SAM translator: parameter values and the clock it reads.
type translation struct {
	params map[string]string
	time   int64
}

// translateAt runs tools/sam/translate.py on the template at path (relative to the repository
// root, or absolute) once for all runs and loads each CloudFormation template with this package's
// loader, so that conditions and Fn::If are evaluated as CloudFormation would.
func translateAt(t *testing.T, path string, runs ...translation) []*Template {
	t.Helper()
	testenv.MustHavePythonModules(t, "samtranslator")
	// ImageId, where the template has it, is an SSM parameter type that CloudFormation would read.
	sam, err := Load(filepath.Join(repoRoot, path), Options{})
	if filepath.IsAbs(path) {
		sam, err = Load(path, Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	fixed := map[string]string{}
	if _, ok := sam.Parameters["ImageId"]; ok {
		fixed["ImageId"] = testImage
	}
	args := []string{"tools/sam/translate.py", path}
	for i, r := range runs {
		if i > 0 {
			args = append(args, "+")
		}
		args = append(args, "--time", strconv.FormatInt(r.time, 10))
		for k, v := range fixed {
			args = append(args, k+"="+v)
		}
		for _, k := range slices.Sorted(maps.Keys(r.params)) {
			args = append(args, k+"="+r.params[k])
		}
	}
	cmd := exec.Command("python3", args...)
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("SAM translator: %v\n%s", err, stderr.Bytes())
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(out, &docs); err != nil || len(docs) != len(runs) {
		t.Fatalf("translator output: %v (%d templates for %d runs)", err, len(docs), len(runs))
	}
	dir := t.TempDir()
	var tmpls []*Template
	for i, doc := range docs {
		path := filepath.Join(dir, fmt.Sprintf("cfn-%d.json", i))
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		params := maps.Clone(fixed)
		for k, v := range runs[i].params {
			params[k] = v
		}
		tmpl, err := Load(path, Options{Parameters: params})
		if err != nil {
			t.Fatalf("load translated template: %v", err)
		}
		tmpls = append(tmpls, tmpl)
	}
	return tmpls
}

var authModes = []string{"AWS_IAM", "API_KEY", "NONE"}

// translatedModes holds, per template, one translation per AuthMode, made once for the tests below.
var translatedModes = struct {
	sync.Mutex
	byPath map[string]map[string]*Template
}{byPath: map[string]map[string]*Template{}}

// translatedByMode translates the template at path (relative to the repository root) once per
// AuthMode.
func translatedByMode(t *testing.T, path string) map[string]*Template {
	t.Helper()
	testenv.MustHavePythonModules(t, "samtranslator")
	translatedModes.Lock()
	defer translatedModes.Unlock()
	if byMode, ok := translatedModes.byPath[path]; ok {
		return byMode
	}
	var runs []translation
	for _, m := range authModes {
		runs = append(runs, translation{params: map[string]string{"AuthMode": m}, time: 1_800_000_000})
	}
	out := translateAt(t, path, runs...)
	byMode := map[string]*Template{}
	for i, m := range authModes {
		byMode[m] = out[i]
	}
	translatedModes.byPath[path] = byMode
	return byMode
}

func resourcesOfType(tmpl *Template, typ string) []string {
	var ids []string
	for id, r := range tmpl.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// methodAuthorization tells how API Gateway authorises an operation of an imported OpenAPI body:
// AWS_IAM for a scheme with x-amazon-apigateway-authtype awsSigv4, API_KEY for the x-api-key
// header scheme, NONE for no security requirement.
func methodAuthorization(t *testing.T, body map[string]any, op map[string]any) string {
	t.Helper()
	names := securityNames(op["security"])
	if len(names) == 0 {
		return "NONE"
	}
	if len(names) != 1 {
		t.Errorf("operation requires %v, want at most one scheme", names)
	}
	scheme, _ := dig(body, "components", "securitySchemes", names[0]).(map[string]any)
	switch {
	case scheme["x-amazon-apigateway-authtype"] == "awsSigv4":
		return "AWS_IAM"
	case scheme["type"] == "apiKey" && scheme["in"] == "header" && strings.EqualFold(str(scheme["name"]), "x-api-key"):
		return "API_KEY"
	}
	t.Errorf("security scheme %s = %v is neither SigV4 nor the x-api-key header", names[0], scheme)
	return "?"
}

// TestSAMTransform: in the CloudFormation the translator makes for each template and AuthMode,
// every operation (the greedy start operation's included) has the mode's authorization, the key and
// usage plan exist only with API_KEY, there is one stage, and each of the two functions has one
// permission that covers every route it serves.
func TestSAMTransform(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { samTransform(t, path) })
	}
}

func samTransform(t *testing.T, path string) {
	sam, err := Load(filepath.Join(repoRoot, path), Options{})
	if err != nil {
		t.Fatal(err)
	}
	samRoutes, err := sam.Routes()
	if err != nil {
		t.Fatal(err)
	}
	for mode, cfn := range translatedByMode(t, path) {
		t.Run("AuthMode="+mode, func(t *testing.T) {
			apis := resourcesOfType(cfn, "AWS::ApiGateway::RestApi")
			if len(apis) != 1 {
				t.Fatalf("RestApis %v, want one", apis)
			}
			body, _ := cfn.Resources[apis[0]].Properties["Body"].(map[string]any)
			if _, ok := body["security"]; ok {
				t.Errorf("the body has a top-level security requirement %v: it would apply to every operation", body["security"])
			}
			paths, _ := body["paths"].(map[string]any)
			ops := 0
			for path, item := range paths {
				m, _ := item.(map[string]any)
				for method, op := range m {
					if !isHTTPMethod(method) {
						continue
					}
					ops++
					if got := methodAuthorization(t, body, op.(map[string]any)); got != mode {
						t.Errorf("%s %s authorization %s, want %s", strings.ToUpper(method), path, got, mode)
					}
				}
			}
			if ops != len(samRoutes) || ops == 0 {
				t.Errorf("%d operations in the RestApi body, %d routes in %s", ops, len(samRoutes), path)
			}
			// Every start route goes through one greedy any-method operation, closed like the others.
			proxy, _ := dig(paths, "/{proxy+}", "x-amazon-apigateway-any-method").(map[string]any)
			if proxy == nil {
				t.Fatalf("no x-amazon-apigateway-any-method on /{proxy+}: %v", paths["/{proxy+}"])
			}
			if got := methodAuthorization(t, body, proxy); got != mode {
				t.Errorf("/{proxy+} authorization %s, want %s", got, mode)
			}
			if uri := dig(proxy, "x-amazon-apigateway-integration", "uri"); !strings.Contains(str(uri), "${StartFunction.Arn}") ||
				dig(proxy, "x-amazon-apigateway-integration", "type") != "aws_proxy" {
				t.Errorf("/{proxy+} integration %v, want StartFunction's aws_proxy", proxy["x-amazon-apigateway-integration"])
			}

			for _, typ := range []string{"AWS::ApiGateway::ApiKey", "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey"} {
				if got := len(resourcesOfType(cfn, typ)); (got == 1) != (mode == "API_KEY") || got > 1 {
					t.Errorf("%d %s, want one only in API_KEY mode", got, typ)
				}
			}

			stages := resourcesOfType(cfn, "AWS::ApiGateway::Stage")
			deployments := resourcesOfType(cfn, "AWS::ApiGateway::Deployment")
			if len(stages) != 1 || len(deployments) != 1 {
				t.Fatalf("stages %v, deployments %v: want exactly one of each", stages, deployments)
			}
			stage := cfn.Resources[stages[0]].Properties
			if stage["StageName"] != "v1" || stage["DeploymentId"] != "${"+deployments[0]+"}" {
				t.Errorf("stage %v: want StageName v1 on deployment %s", stage, deployments[0])
			}
			if stage["TracingEnabled"] != true {
				t.Errorf("stage TracingEnabled = %v, want true", stage["TracingEnabled"])
			}
			if mode == "API_KEY" {
				plan := cfn.Resources[resourcesOfType(cfn, "AWS::ApiGateway::UsagePlan")[0]].Properties
				want := []any{map[string]any{"ApiId": "${" + apis[0] + "}", "Stage": "${" + stages[0] + "}"}}
				if !jsonEqual(plan["ApiStages"], want) {
					t.Errorf("usage plan ApiStages %v, want %v", plan["ApiStages"], want)
				}
			}

			perms := resourcesOfType(cfn, "AWS::Lambda::Permission")
			prefix := "arn:aws:execute-api:us-east-1:123456789012:${" + apis[0] + "}/*/"
			granted := map[string]string{} // "METHOD /path/*" → function
			perFunction := map[string]int{}
			for _, id := range perms {
				p := cfn.Resources[id].Properties
				src := str(p["SourceArn"])
				perFunction[str(p["FunctionName"])]++
				if p["Principal"] != "apigateway.amazonaws.com" || p["Action"] != "lambda:InvokeFunction" || !strings.HasPrefix(src, prefix) {
					t.Errorf("%s: principal %v action %v source %q; want API Gateway invoking from this API only", id, p["Principal"], p["Action"], src)
					continue
				}
				method, path, _ := strings.Cut(strings.TrimPrefix(src, prefix), "/")
				granted[method+" /"+path] = str(p["FunctionName"])
			}
			if want := map[string]int{"${StartFunction.Arn}": 1, "${StatusFunction.Arn}": 1}; !jsonEqual(perFunction, want) {
				t.Errorf("permissions per function %v, want exactly one for each API function", perFunction)
			}
			// Each operation's function may be invoked for that operation's method and path. In a
			// SourceArn, * matches any characters, "/" included, as Lambda evaluates it.
			param := regexp.MustCompile(`\{[^}]+\}`)
			calls := slices.Clone(samRoutes)
			for _, key := range startRoutes(t, loadStackAt(t, filepath.Join(repoRoot, path), map[string]string{"AuthMode": mode})).Keys() {
				method, path, _ := strings.Cut(key, " ")
				calls = append(calls, Route{Method: method, Path: path, FunctionLogicalID: "StartFunction"})
			}
			for _, r := range calls {
				call := r.Method + " " + param.ReplaceAllString(r.Path, "x")
				covered := false
				for key, fn := range granted {
					glob := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(key), `\*`, ".*") + "$")
					if glob.MatchString(call) && fn == "${"+r.FunctionLogicalID+".Arn}" {
						covered = true
					}
				}
				if !covered {
					t.Errorf("%s %s: no permission lets API Gateway invoke %s for it (granted %v)", r.Method, r.Path, r.FunctionLogicalID, granted)
				}
			}
		})
	}
}

// TestSAMStackMachinesIAM: in the CloudFormation the translator makes, the start and status roles
// hold Step Functions actions on the stack's machine pattern only (ListStateMachines aside, which
// has no resource-level permission), and every state machine is named inside that pattern, so a
// route added with its Name and ROUTES entry needs no IAM edit.
func TestSAMStackMachinesIAM(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { samStackMachinesIAM(t, translatedByMode(t, path)["AWS_IAM"]) })
	}
}

func samStackMachinesIAM(t *testing.T, cfn *Template) {
	const machines = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_*"
	const executions = "arn:aws:states:us-east-1:123456789012:execution:stepgate_*:*"
	want := map[string]map[string]string{
		"StartFunctionRole": {"states:StartExecution": machines, "states:StartSyncExecution": machines, "states:DescribeExecution": executions,
			"states:SendTaskSuccess": "*", "states:SendTaskFailure": "*", "states:SendTaskHeartbeat": "*"},
		"StatusFunctionRole": {"states:DescribeExecution": executions, "states:StopExecution": executions, "states:GetExecutionHistory": executions,
			"states:ListExecutions": machines, "states:ListStateMachines": "*"},
	}
	for role, actions := range want {
		got := map[string]string{}
		for _, policy := range list(cfn.Resources[role].Properties["Policies"]) {
			for _, st := range list(dig(policy, "PolicyDocument", "Statement")) {
				for _, a := range strList(dig(st, "Action")) {
					for _, r := range strList(dig(st, "Resource")) {
						got[a] = r
					}
				}
			}
		}
		if !jsonEqual(got, actions) {
			t.Errorf("%s grants %v, want %v", role, got, actions)
		}
	}
	for _, id := range resourcesOfType(cfn, "AWS::StepFunctions::StateMachine") {
		name := str(cfn.Resources[id].Properties["StateMachineName"])
		if !strings.HasPrefix(name, "stepgate_") {
			t.Errorf("%s StateMachineName %q, outside %s", id, name, machines)
		}
	}
}

// TestSAMDeploymentFollowsAuthMode models a stack update: a deployment made with one AuthMode,
// then an update a minute later with another. The update must bring a new AWS::ApiGateway::Deployment
// (a new logical ID), or the stage keeps serving the old method settings: an API switched from
// NONE to AWS_IAM would stay open.
func TestSAMDeploymentFollowsAuthMode(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { samDeploymentFollowsAuthMode(t, path) })
	}
}

func samDeploymentFollowsAuthMode(t *testing.T, path string) {
	const t0 = 1_800_000_000
	var runs []translation
	for _, m := range authModes {
		runs = append(runs, translation{params: map[string]string{"AuthMode": m}, time: t0})
	}
	for _, m := range authModes {
		runs = append(runs, translation{params: map[string]string{"AuthMode": m}, time: t0 + 60})
	}
	out := translateAt(t, path, runs...)
	deployment := func(tmpl *Template) string {
		ids := resourcesOfType(tmpl, "AWS::ApiGateway::Deployment")
		if len(ids) != 1 {
			t.Fatalf("deployments %v, want one", ids)
		}
		return ids[0]
	}
	for i, from := range authModes {
		for j, to := range authModes {
			if from == to {
				continue
			}
			before, after := deployment(out[i]), deployment(out[len(authModes)+j])
			if before == after {
				t.Errorf("AuthMode %s → %s keeps deployment %s: the stage would keep %s's authorization", from, to, before, from)
			}
		}
	}
}

// TestSAMTracingAndLogs checks the production defaults in the translated template: X-Ray tracing on
// the functions and state machines (with the managed policy SAM adds, and nothing broader), and
// each function logging to its declared log group.
func TestSAMTracingAndLogs(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { samTracingAndLogs(t, translatedByMode(t, path)["AWS_IAM"]) })
	}
}

func samTracingAndLogs(t *testing.T, cfn *Template) {
	const xray = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
	for _, id := range resourcesOfType(cfn, "AWS::Lambda::Function") {
		p := cfn.Resources[id].Properties
		if dig(p, "TracingConfig", "Mode") != "Active" {
			t.Errorf("%s TracingConfig = %v, want Mode Active", id, p["TracingConfig"])
		}
		if got := dig(p, "LoggingConfig", "LogGroup"); got != "${"+id+"LogGroup}" {
			t.Errorf("%s LoggingConfig.LogGroup = %v, want its own log group %sLogGroup", id, got, id)
		}
		role := cfn.Resources[id+"Role"].Properties
		if !slices.Contains(strList(role["ManagedPolicyArns"]), xray) {
			t.Errorf("%sRole managed policies %v, want %s", id, role["ManagedPolicyArns"], xray)
		}
	}
	for _, id := range resourcesOfType(cfn, "AWS::StepFunctions::StateMachine") {
		p := cfn.Resources[id].Properties
		if dig(p, "TracingConfiguration", "Enabled") != true {
			t.Errorf("%s TracingConfiguration = %v, want Enabled", id, p["TracingConfiguration"])
		}
		role := cfn.Resources[id+"Role"].Properties
		if got := strList(role["ManagedPolicyArns"]); !slices.Equal(got, []string{xray}) {
			t.Errorf("%sRole managed policies %v, want only %s", id, got, xray)
		}
	}
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
