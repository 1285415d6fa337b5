package samtemplate

// Tests of the start function's ROUTES document in template.yaml: it parses as the function parses
// it, it serves exactly the API's routes integrated with the function, each route has its Lambda
// permission and its state machine, and the function's environment stays within Lambda's limit.

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

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

func TestStartRoutesMatchAPI(t *testing.T) {
	tmpl := loadStack(t, nil)
	cfg := startRoutes(t, tmpl)
	routes, err := tmpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	var api []string
	for _, r := range routes {
		if r.FunctionLogicalID == "StartFunction" {
			api = append(api, r.Method+" "+r.Path)
		}
	}
	sort.Strings(api)
	if !reflect.DeepEqual(cfg.Keys(), api) {
		t.Errorf("ROUTES serves %v; the API sends %v to StartFunction", cfg.Keys(), api)
	}

	sms := stateMachinesByID(t, tmpl)
	perms := map[string]bool{}
	for _, r := range tmpl.Resources {
		if r.Type == "AWS::Lambda::Permission" && strings.HasSuffix(str(r.Properties["FunctionName"]), ":function:StartFunction") {
			perms[str(r.Properties["SourceArn"])] = true
		}
	}
	for _, key := range cfg.Keys() {
		method, resource, _ := strings.Cut(key, " ")
		rt, _ := cfg.Match(method, resource)
		name := rt.StateMachine.Name
		sm, ok := sms[name]
		if !ok {
			t.Errorf("%s: state machine %s is not one of the template's", key, rt.StateMachine)
			continue
		}
		if rt.Mode == route.Sync && sm.Type != "EXPRESS" {
			t.Errorf("%s: sync mode needs an EXPRESS machine (StartSyncExecution); %s is %s", key, name, sm.Type)
		}
		// A permission whose SourceArn covers the route: /*/METHOD/resource with {parameters} as *.
		want := "arn:aws:execute-api:us-east-1:123456789012:${StepgateApi}/*/" + method + resourceParamsAsStar(resource)
		if !perms[want] {
			t.Errorf("%s: no Lambda permission with SourceArn %s (have %v)", key, want, sortedKeys(perms))
		}
	}
}

// resourceParamsAsStar turns /instances/{instance_id} into /instances/*.
func resourceParamsAsStar(resource string) string {
	segs := strings.Split(resource, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/")
}

// TestStartEnvironmentSize: Lambda refuses a function whose environment variables total more than
// 4 KB. ROUTES is the large one, so measure it resolved with the longest names AWS could give: an
// 80-character state machine name (SAM names machines <LogicalId>-<random>), the longest partition
// and region names, a 17-digit instance ID. Both ways of counting are checked: the keys and values
// themselves, and their JSON encoding (ROUTES is JSON, so its quotes double when escaped).
func TestStartEnvironmentSize(t *testing.T) {
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
	tmpl, err := Load(templatePath, Options{Resolve: long, Parameters: map[string]string{"LogLevel": "DEBUG"}})
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

// TestStatusServesEveryAsyncMachine: the status function follows exactly the machines the start
// function's async routes start, so every statusUrl it hands out is one the status route serves.
func TestStatusServesEveryAsyncMachine(t *testing.T) {
	tmpl := loadStack(t, nil)
	cfg := startRoutes(t, tmpl)
	async := map[string]bool{}
	for _, key := range cfg.Keys() {
		method, resource, _ := strings.Cut(key, " ")
		if rt, _ := cfg.Match(method, resource); rt.Mode == route.Async {
			async[rt.StateMachine.String()] = true
		}
	}
	if len(async) == 0 {
		t.Fatal("no async route in ROUTES")
	}
	status := functionsByID(t, tmpl)["StatusFunction"]
	served := map[string]bool{}
	for _, arn := range strings.Split(status.Environment["STANDARD_STATE_MACHINE_ARNS"], ",") {
		served[arn] = true
	}
	if !reflect.DeepEqual(async, served) {
		t.Errorf("async routes start %v; StatusFunction's STANDARD_STATE_MACHINE_ARNS lists %v", sortedKeys(async), sortedKeys(served))
	}
}
