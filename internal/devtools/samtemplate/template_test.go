package samtemplate

// Tests of stepgate's own template.yaml, state machines and docs/openapi.yaml against the product
// contract (README, docs/openapi.yaml, docs/architecture.md).

import (
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

const templatePath = "../../../template.yaml"

// loadStack loads template.yaml resolved to the offline stack's names (docs/architecture.md), so
// resolved values can be told apart from placeholders: a state machine's ARN ends in its resolved
// Name (stepgate_Express), as CloudFormation names it.
func loadStack(t *testing.T, params map[string]string) *Template {
	t.Helper()
	return loadStackAt(t, templatePath, params)
}

// loadStackAt is loadStack for the template at path.
func loadStackAt(t *testing.T, path string, params map[string]string) *Template {
	t.Helper()
	first, err := Load(path, Options{Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, sm := range stateMachinesByID(t, first) {
		names[sm.LogicalID] = sm.Name
	}
	resolve := func(id, attr string) (string, bool) {
		switch {
		case strings.HasSuffix(id, "Function") && attr == "Arn":
			return "arn:aws:lambda:us-east-1:123456789012:function:" + id, true
		case names[id] != "" && attr == "":
			return "arn:aws:states:us-east-1:123456789012:stateMachine:" + names[id], true
		case names[id] != "" && attr == "Name":
			return names[id], true
		case id == "ManagedInstance" && attr == "":
			return "i-0123456789abcdef0", true
		}
		return "", false
	}
	tmpl, err := Load(path, Options{Parameters: params, Resolve: resolve})
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func functionsByID(t *testing.T, tmpl *Template) map[string]Function {
	t.Helper()
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Function{}
	for _, f := range fns {
		out[f.LogicalID] = f
	}
	return out
}

func stateMachinesByID(t *testing.T, tmpl *Template) map[string]StateMachine {
	t.Helper()
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]StateMachine{}
	for _, sm := range sms {
		out[sm.LogicalID] = sm
	}
	return out
}

func TestFunctions(t *testing.T) {
	tmpl := loadStack(t, nil)
	fns := functionsByID(t, tmpl)
	want := []struct {
		id      string
		timeout int
		env     []string
	}{
		{"StartFunction", 25, []string{"ALLOWED_INSTANCE_IDS", "AWS_ENDPOINT_URL", "LOG_LEVEL", "ROUTES", "STATE_MACHINES"}},
		{"StatusFunction", 25, []string{"AWS_ENDPOINT_URL", "HISTORY_POLL_MAX", "LOG_LEVEL", "STATE_MACHINES"}},
		{"Ec2ToggleFunction", 10, []string{"ALLOWED_INSTANCE_IDS", "AWS_ENDPOINT_URL", "LOG_LEVEL"}},
	}
	if len(fns) != len(want) {
		t.Errorf("template has %d functions, want %d", len(fns), len(want))
	}
	for _, w := range want {
		t.Run(w.id, func(t *testing.T) {
			f, ok := fns[w.id]
			if !ok {
				t.Fatalf("no function %s", w.id)
			}
			if f.Runtime != "provided.al2023" || f.Handler != "bootstrap" || f.CodeURI != "." || f.BuildMethod != "makefile" {
				t.Errorf("Runtime %q Handler %q CodeUri %q BuildMethod %q; want provided.al2023, bootstrap, ., makefile",
					f.Runtime, f.Handler, f.CodeURI, f.BuildMethod)
			}
			if !reflect.DeepEqual(f.Architectures, []string{"arm64"}) {
				t.Errorf("Architectures = %v, want [arm64]", f.Architectures)
			}
			if f.Timeout != w.timeout {
				t.Errorf("Timeout = %d, want %d", f.Timeout, w.timeout)
			}
			keys := slices.Sorted(maps.Keys(f.Environment))
			if !reflect.DeepEqual(keys, w.env) {
				t.Errorf("environment variables = %v, want %v", keys, w.env)
			}
			// AWS_ENDPOINT_URL is declared empty, for `sam local invoke --env-vars` (see template.yaml).
			if v, ok := f.Environment["AWS_ENDPOINT_URL"]; !ok || v != "" {
				t.Errorf("AWS_ENDPOINT_URL = %q (declared %v), want declared and empty", v, ok)
			}
			for k, v := range f.Environment {
				if k == "AWS_ENDPOINT_URL" {
					continue
				}
				if strings.Contains(v, "${") || v == "" {
					t.Errorf("%s = %q is not resolved", k, v)
				}
			}
			if v, ok := f.Environment["ALLOWED_INSTANCE_IDS"]; ok && v != "i-0123456789abcdef0" {
				t.Errorf("ALLOWED_INSTANCE_IDS = %q, want the managed instance", v)
			}
			// The functions that call Step Functions learn the stack's machines from one pattern (the
			// variable list above says which functions have it): the stack's name, then "_".
			if v, ok := f.Environment["STATE_MACHINES"]; ok && v != "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_*" {
				t.Errorf("STATE_MACHINES = %q, want the stack's pattern", v)
			}
		})
	}
	if got := fns["StartFunction"].Environment["LOG_LEVEL"]; got != "INFO" {
		t.Errorf("LOG_LEVEL default = %q, want INFO", got)
	}
}

var (
	stackMachines   = regexp.MustCompile(`^arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_\*$`)
	stackExecutions = regexp.MustCompile(`^arn:aws:states:us-east-1:123456789012:execution:stepgate_\*:\*$`)
)

// allowed holds, per role, each action a role may hold (least privilege: only what the function calls) and the resource it may apply to.
var allowed = map[string]map[string]*regexp.Regexp{
	// The start and status functions reach this stack's machines only: one ARN pattern, the stack's
	// name then "_" (a character no stack name holds), for every route's machine.
	"StartFunction": {
		"states:StartSyncExecution": stackMachines,
		"states:StartExecution":     stackMachines,
		"states:DescribeExecution":  stackExecutions,
		// Callback routes: these actions have no resource-level permission (template.yaml says why).
		"states:SendTaskSuccess":   regexp.MustCompile(`^\*$`),
		"states:SendTaskFailure":   regexp.MustCompile(`^\*$`),
		"states:SendTaskHeartbeat": regexp.MustCompile(`^\*$`),
	},
	"StatusFunction": {
		"states:DescribeExecution":   stackExecutions,
		"states:StopExecution":       stackExecutions,
		"states:GetExecutionHistory": stackExecutions,
		// ListExecutions is authorized on the machine; ListStateMachines has no resource-level
		// permission (the function keeps the machines in STATE_MACHINES).
		"states:ListExecutions":    stackMachines,
		"states:ListStateMachines": regexp.MustCompile(`^\*$`),
	},
	"Ec2ToggleFunction": {
		"ec2:DescribeInstances": regexp.MustCompile(`^\*$`),
		"ec2:StartInstances":    regexp.MustCompile(`^arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0$`),
		"ec2:StopInstances":     regexp.MustCompile(`^arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0$`),
	},
	"ExpressStateMachine": {
		"lambda:InvokeFunction":         regexp.MustCompile(`:function:Ec2ToggleFunction$`),
		"logs:CreateLogDelivery":        regexp.MustCompile(`^\*$`),
		"logs:GetLogDelivery":           regexp.MustCompile(`^\*$`),
		"logs:UpdateLogDelivery":        regexp.MustCompile(`^\*$`),
		"logs:DeleteLogDelivery":        regexp.MustCompile(`^\*$`),
		"logs:ListLogDeliveries":        regexp.MustCompile(`^\*$`),
		"logs:PutResourcePolicy":        regexp.MustCompile(`^\*$`),
		"logs:DescribeResourcePolicies": regexp.MustCompile(`^\*$`),
		"logs:DescribeLogGroups":        regexp.MustCompile(`^\*$`),
	},
	"StandardStateMachine": {
		"lambda:InvokeFunction": regexp.MustCompile(`:function:Ec2ToggleFunction$`),
	},
}

func TestLeastPrivilege(t *testing.T) {
	tmpl := loadStack(t, nil)
	roles := map[string]Policies{}
	for id, f := range functionsByID(t, tmpl) {
		roles[id] = f.Policies
	}
	for id, sm := range stateMachinesByID(t, tmpl) {
		roles[id] = sm.Policies
	}
	for id, p := range roles {
		if _, ok := allowed[id]; ok {
			continue
		}
		// A role of a workflow added after the sample's (README "Add your workflow"): whatever its
		// tasks need, as plain Allow statements of named actions.
		if len(p.Other) > 0 {
			t.Errorf("%s: policies other than explicit statements: %v", id, p.Other)
		}
		for _, st := range p.Statements {
			if st.Effect != "Allow" || len(st.NotActions) > 0 || slices.ContainsFunc(st.Actions, func(a string) bool { return a == "*" || strings.HasSuffix(a, ":*") }) {
				t.Errorf("%s statement %q: Effect %q NotAction %v Action %v; want plain Allow statements of named actions", id, st.Sid, st.Effect, st.NotActions, st.Actions)
			}
		}
	}
	for id, want := range allowed {
		t.Run(id, func(t *testing.T) {
			p, ok := roles[id]
			if !ok {
				t.Fatalf("no resource %s", id)
			}
			if len(p.Other) > 0 {
				t.Errorf("policies other than explicit statements: %v", p.Other)
			}
			granted := map[string]bool{}
			for _, s := range p.Statements {
				if s.Effect != "Allow" || len(s.NotActions) > 0 {
					t.Errorf("statement %q: Effect %q NotAction %v; want plain Allow statements", s.Sid, s.Effect, s.NotActions)
				}
				for _, a := range s.Actions {
					if a == "*" || strings.HasSuffix(a, ":*") {
						t.Errorf("statement %q grants wildcard action %q", s.Sid, a)
					}
					re, ok := want[a]
					if !ok {
						t.Errorf("statement %q grants %s, which is not on the least-privilege list for %s", s.Sid, a, id)
						continue
					}
					granted[a] = true
					for _, r := range s.Resources {
						if !re.MatchString(r) {
							t.Errorf("%s on %q, want a resource matching %s", a, r, re)
						}
					}
				}
			}
			for a := range want {
				if !granted[a] {
					t.Errorf("%s lacks %s, which it needs", id, a)
				}
			}
		})
	}
}

func TestStateMachines(t *testing.T) {
	tmpl := loadStack(t, nil)
	sms := stateMachinesByID(t, tmpl)
	start := functionsByID(t, tmpl)["StartFunction"]
	const apiGatewayLimit = 29

	express, standard := sms["ExpressStateMachine"], sms["StandardStateMachine"]
	if express.Type != "EXPRESS" || standard.Type != "STANDARD" {
		t.Fatalf("types: express %q, standard %q", express.Type, standard.Type)
	}
	// Named ${AWS::StackName}_<Short>, as every machine of a stepgate stack (STATE_MACHINES).
	if express.Name != "stepgate_Express" || standard.Name != "stepgate_Standard" {
		t.Errorf("names %q, %q; want stepgate_Express, stepgate_Standard", express.Name, standard.Name)
	}
	if !(express.TimeoutSeconds > 0 && express.TimeoutSeconds < start.Timeout && start.Timeout < apiGatewayLimit) {
		t.Errorf("want express TimeoutSeconds (%d) < StartFunction Timeout (%d) < %d",
			express.TimeoutSeconds, start.Timeout, apiGatewayLimit)
	}
	if standard.TimeoutSeconds <= 29 {
		t.Errorf("standard TimeoutSeconds %d does not outlive its 29 s first wait", standard.TimeoutSeconds)
	}
	if l := express.Logging; l == nil || l.Level != "ALL" || !l.IncludeExecutionData || len(l.LogGroupARNs) != 1 {
		t.Errorf("express logging = %+v, want Level ALL with execution data to one log group", l)
	}

	for id, sm := range sms {
		t.Run(id, func(t *testing.T) {
			names, err := sm.Placeholders()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(names, slices.Sorted(maps.Keys(sm.Substitutions))) {
				t.Errorf("definition uses %v, DefinitionSubstitutions has %v: want the same set", names, slices.Sorted(maps.Keys(sm.Substitutions)))
			}
			def, err := sm.Definition()
			if err != nil {
				t.Fatal(err)
			}
			var asl struct {
				StartAt string
				States  map[string]map[string]any
			}
			if err := json.Unmarshal(def, &asl); err != nil {
				t.Fatal(err)
			}
			for name, st := range asl.States {
				if st["Type"] == "Task" && st["Resource"] != "arn:aws:lambda:us-east-1:123456789012:function:Ec2ToggleFunction" {
					t.Errorf("task %s resource = %v, want the Ec2ToggleFunction ARN", name, st["Resource"])
				}
				if st["Type"] == "Task" {
					if _, caught := st["Catch"]; caught {
						t.Errorf("task %s catches errors; the task Lambda's typed errors must fail the execution", name)
					}
				}
			}
			if id == "StandardStateMachine" {
				first := asl.States[asl.StartAt]
				if first["Type"] != "Wait" || first["Seconds"] != float64(29) {
					t.Errorf("standard first state %s = %v, want a 29 s Wait", asl.StartAt, first)
				}
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	tmpl := loadStack(t, nil)
	routes, err := tmpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	// The start routes are ROUTES'; the API has one greedy operation for all of them.
	want := map[string]string{
		"ANY /{proxy+}":                         "StartFunction",
		"GET /executions/{executionArn}":        "StatusFunction",
		"DELETE /executions/{executionArn}":     "StatusFunction",
		"GET /executions":                       "StatusFunction",
		"GET /executions/{executionArn}/events": "StatusFunction",
	}
	got := map[string]string{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		got[key] = r.FunctionLogicalID
		if r.APILogicalID != "StepgateApi" || r.IntegrationType != "aws_proxy" {
			t.Errorf("%s: api %q integration %q, want StepgateApi aws_proxy", key, r.APILogicalID, r.IntegrationType)
		}
		wantURI := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:" +
			r.FunctionLogicalID + "/invocations"
		if r.IntegrationURI != wantURI {
			t.Errorf("%s: uri %q, want %q", key, r.IntegrationURI, wantURI)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routes = %v, want %v", got, want)
	}

	// Without a Resolver the route still names its function, from the uri as written.
	bare, err := Load(templatePath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bareRoutes, err := bare.Routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range bareRoutes {
		if !strings.Contains(r.IntegrationURI, "${"+r.FunctionLogicalID+".Arn}") {
			t.Errorf("%s %s: unresolved uri %q does not name %s", r.Method, r.Path, r.IntegrationURI, r.FunctionLogicalID)
		}
	}
}

func TestAuthModes(t *testing.T) {
	tests := []struct {
		mode       string // "" = the template's default
		wantScheme []string
		wantKey    bool
	}{
		{"", []string{"sigv4"}, false},
		{"AWS_IAM", []string{"sigv4"}, false},
		{"API_KEY", []string{"api_key"}, true},
		{"NONE", nil, false},
	}
	for _, tc := range tests {
		t.Run("mode="+tc.mode, func(t *testing.T) {
			params := map[string]string{}
			if tc.mode != "" {
				params["AuthMode"] = tc.mode
			}
			tmpl := loadStack(t, params)
			routes, err := tmpl.Routes()
			if err != nil {
				t.Fatal(err)
			}
			if len(routes) != 5 {
				t.Fatalf("%d routes, want 5", len(routes))
			}
			for _, r := range routes {
				if !slices.Equal(r.Security, tc.wantScheme) {
					t.Errorf("%s %s security = %v, want %v", r.Method, r.Path, r.Security, tc.wantScheme)
				}
			}
			for _, id := range []string{"StepgateApiKey", "StepgateUsagePlan", "StepgateUsagePlanKey"} {
				if _, ok := tmpl.Resources[id]; ok != tc.wantKey {
					t.Errorf("resource %s present = %v, want %v", id, ok, tc.wantKey)
				}
			}
			if tc.wantKey {
				plan := tmpl.Resources["StepgateUsagePlan"].Properties
				throttle, _ := plan["Throttle"].(map[string]any)
				quota, _ := plan["Quota"].(map[string]any)
				if throttle["RateLimit"] == nil || throttle["BurstLimit"] == nil || quota["Limit"] == nil || quota["Period"] == nil {
					t.Errorf("usage plan throttle %v quota %v, want rate, burst, limit and period", throttle, quota)
				}
			}
		})
	}
	if _, err := Load(templatePath, Options{Parameters: map[string]string{"AuthMode": "OPEN"}}); err == nil {
		t.Error("AuthMode OPEN was accepted")
	}
	// The security schemes the operations name must exist, with the API Gateway shapes.
	tmpl := loadStack(t, nil)
	schemes := dig(tmpl.Resources["StepgateApi"].Properties, "DefinitionBody", "components", "securitySchemes")
	if got := dig(schemes, "sigv4", "x-amazon-apigateway-authtype"); got != "awsSigv4" {
		t.Errorf("sigv4 authtype = %v, want awsSigv4", got)
	}
	if got := dig(schemes, "api_key", "name"); got != "x-api-key" {
		t.Errorf("api_key header = %v, want x-api-key", got)
	}
}

func TestLambdaPermissions(t *testing.T) {
	tmpl := loadStack(t, nil)
	perFunction := map[string]int{}
	for id, r := range tmpl.Resources {
		if r.Type != "AWS::Lambda::Permission" {
			continue
		}
		p := r.Properties
		if p["Principal"] != "apigateway.amazonaws.com" || p["Action"] != "lambda:InvokeFunction" {
			t.Errorf("%s: principal %v action %v", id, p["Principal"], p["Action"])
		}
		if src := str(p["SourceArn"]); !strings.HasPrefix(src, "arn:aws:execute-api:us-east-1:123456789012:${StepgateApi}/*/") {
			t.Errorf("%s: SourceArn %q is not scoped to StepgateApi", id, src)
		}
		fn := strings.TrimPrefix(str(p["FunctionName"]), "arn:aws:lambda:us-east-1:123456789012:function:")
		perFunction[fn]++
	}
	if perFunction["StartFunction"] != 1 || perFunction["StatusFunction"] != 1 || len(perFunction) != 2 {
		t.Errorf("permissions per function = %v, want one for each of the two API functions", perFunction)
	}
}

func TestGatewayResponses(t *testing.T) {
	tmpl := loadStack(t, nil)
	responses, err := tmpl.GatewayResponses()
	if err != nil {
		t.Fatal(err)
	}
	required := []string{
		"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "ACCESS_DENIED", "INVALID_SIGNATURE",
		"EXPIRED_TOKEN", "INVALID_API_KEY", "THROTTLED", "QUOTA_EXCEEDED", "INTEGRATION_TIMEOUT",
		"INTEGRATION_FAILURE", "BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "RESOURCE_NOT_FOUND",
		"REQUEST_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
	}
	for _, typ := range required {
		t.Run(typ, func(t *testing.T) {
			gr, ok := responses[typ]
			if !ok {
				t.Fatalf("no gateway response %s", typ)
			}
			// API Gateway accepts only method.request.* values and quoted literals here; anything
			// else (context.requestId included) fails the stack at creation.
			for name, expr := range gr.Headers {
				literal := len(expr) >= 2 && strings.HasPrefix(expr, "'") && strings.HasSuffix(expr, "'")
				if !literal && !strings.HasPrefix(expr, "method.request.") {
					t.Errorf("header %s maps %q: not a request parameter or a quoted literal", name, expr)
				}
			}
			if strings.HasPrefix(typ, "DEFAULT_") != (gr.StatusCode == "") {
				t.Errorf("StatusCode %q: DEFAULT_* must keep the gateway's codes, the others state theirs", gr.StatusCode)
			}
			// Render the template as API Gateway would and check the error shape.
			body := strings.NewReplacer(
				"$context.error.messageString", `"Too Many Requests"`,
				"$context.error.responseType", typ,
				"$context.requestId", "req-1",
			).Replace(gr.ResponseTemplates["application/json"])
			var got map[string]string
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("template renders to invalid JSON %q: %v", body, err)
			}
			want := map[string]string{"error": typ, "message": "Too Many Requests", "requestId": "req-1"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rendered %v, want %v", got, want)
			}
		})
	}
}

func TestOutputsAndInstance(t *testing.T) {
	tmpl := loadStack(t, nil)
	for _, name := range []string{"ApiUrl", "InstanceId", "ExpressStateMachineArn", "StandardStateMachineArn"} {
		if v, ok := tmpl.Outputs[name]; !ok || str(v) == "" {
			t.Errorf("output %s missing or empty: %v", name, v)
		}
	}
	if got := tmpl.Outputs["InstanceId"]; got != "i-0123456789abcdef0" {
		t.Errorf("InstanceId = %v", got)
	}
	instances := tmpl.Instances()
	if len(instances) != 1 || instances[0].LogicalID != "ManagedInstance" || instances[0].InstanceType != "t4g.nano" {
		t.Fatalf("instances = %+v, want ManagedInstance t4g.nano", instances)
	}
	if got := instances[0].ImageID; got != "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64" {
		t.Errorf("ImageId = %q, want the AL2023 arm64 SSM parameter", got)
	}
}

// TestOpenAPIMatchesTemplate keeps docs/openapi.yaml and the template's DefinitionBody in step.
func TestOpenAPIMatchesTemplate(t *testing.T) {
	data, err := os.ReadFile("../../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, v := range ops {
			op, ok := v.(map[string]any)
			if !ok || !isHTTPMethod(method) {
				continue // path-level parameters
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
			responses, _ := op["responses"].(map[string]any)
			for _, code := range []string{"400", "429", "500"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s %s documents no %s response", method, path, code)
				}
			}
		}
	}
	// The document describes the API's explicit operations (the generic status routes) and the
	// sample's routes, which are ROUTES entries served through the greedy operation (plumbing, not
	// documented). A route a user adds to ROUTES needs no documentation of its own, so only the
	// sample's are required; every documented route must be served.
	tmpl := loadStack(t, nil)
	routes, err := tmpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, key := range startRoutes(t, tmpl).Keys() {
		served[key] = true
	}
	for _, r := range routes {
		if r.Path == "/{proxy+}" {
			continue
		}
		served[r.Method+" "+r.Path] = true
		if !slices.Contains(documented, r.Method+" "+r.Path) {
			t.Errorf("the API's operation %s %s is not in docs/openapi.yaml", r.Method, r.Path)
		}
	}
	for _, key := range documented {
		if !served[key] {
			t.Errorf("docs/openapi.yaml documents %s, which neither an API operation nor ROUTES serves", key)
		}
	}
	for _, sample := range []string{"POST /express-instance", "POST /standard-instance", "GET /instances/{instance_id}"} {
		if !slices.Contains(documented, sample) {
			t.Errorf("docs/openapi.yaml does not document the sample's %s", sample)
		}
	}
}
