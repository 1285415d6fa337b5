package dashboard

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/app/route"
	"github.com/stepgate/stepgate/internal/devtools/addworkflow"
	"github.com/stepgate/stepgate/internal/devtools/routereader"
	"github.com/stepgate/stepgate/internal/devtools/samenv"
	"github.com/stepgate/stepgate/internal/offline"
)

const repoRoot = "../../.."

// localStack describes the template at path as make local's stack does once it runs (the routes
// read by routereader.Read, the machines' local ARNs), without starting it.
func localStack(t *testing.T, path, apiURL string) Stack {
	t.Helper()
	tmpl, _, err := offline.LoadTemplate(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes, err := offline.DeclaredRoutes(tmpl, routereader.Read)
	if err != nil {
		t.Fatal(err)
	}
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]string{}
	for _, sm := range sms {
		machines[sm.LogicalID] = "arn:aws:states:" + offline.Region + ":" + offline.AccountID + ":stateMachine:" + sm.Name
	}
	st, err := FromOffline(&offline.Stack{APIURL: apiURL, Routes: routes, StateMachineARNs: machines})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sampleStack is the sample stack (template.yaml) as make local describes it, its API at apiURL.
func sampleStack(t *testing.T, apiURL string) Stack {
	t.Helper()
	return localStack(t, filepath.Join(repoRoot, "template.yaml"), apiURL)
}

// readmeTemplate is template.yaml with README "Add your workflow" applied (the Quote and Report
// workflows), written to a temporary directory.
func readmeTemplate(t *testing.T) string {
	t.Helper()
	path, err := addworkflow.CopyFromRepo(t.TempDir(), repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// The sample's document, whole: what the page builds its forms and its live read from.
const sampleDocument = `{
  "api": "http://127.0.0.1:3000",
  "auth": "NONE",
  "stateMachines": [
    {"logicalId": "ExpressStateMachine", "arn": "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express"},
    {"logicalId": "StandardStateMachine", "arn": "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard"}
  ],
  "routes": [
    {"method": "POST", "path": "/express-instance", "mode": "sync",
     "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express",
     "input": {"body": true, "path": [], "query": [], "fixed": {}}, "required": ["instance_id"],
     "fields": [
       {"name": "action", "pattern": "^(toggle|start|stop)$", "hint": "one of toggle, start or stop"},
       {"name": "instance_id", "pattern": "^i-[0-9a-f]{8}([0-9a-f]{9})?$", "hint": "an EC2 instance ID such as i-0123456789abcdef0", "allowed": ["i-0123456789abcdef0"]}
     ]},
    {"method": "GET", "path": "/instances/{instance_id}", "mode": "sync",
     "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express",
     "input": {"body": false, "path": ["instance_id"], "query": [], "fixed": {"action": "check"}}, "required": ["instance_id"],
     "fields": [
       {"name": "action", "pattern": "^(toggle|start|stop)$", "hint": "one of toggle, start or stop"},
       {"name": "instance_id", "pattern": "^i-[0-9a-f]{8}([0-9a-f]{9})?$", "hint": "an EC2 instance ID such as i-0123456789abcdef0", "allowed": ["i-0123456789abcdef0"]}
     ]},
    {"method": "POST", "path": "/standard-instance", "mode": "async",
     "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard",
     "input": {"body": true, "path": [], "query": [], "fixed": {}}, "required": ["instance_id"],
     "fields": [
       {"name": "action", "pattern": "^(toggle|start|stop)$", "hint": "one of toggle, start or stop"},
       {"name": "instance_id", "pattern": "^i-[0-9a-f]{8}([0-9a-f]{9})?$", "hint": "an EC2 instance ID such as i-0123456789abcdef0", "allowed": ["i-0123456789abcdef0"]}
     ]}
  ]
}`

func compact(t *testing.T, doc []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLocalStackDocument: make local's document is the template's routes as the start function
// describes them and the machines' local ARNs, for the sample and for a stack with workflows of
// its own.
func TestLocalStackDocument(t *testing.T) {
	got, err := json.Marshal(sampleStack(t, "http://127.0.0.1:3000"))
	if err != nil {
		t.Fatal(err)
	}
	if want := compact(t, []byte(sampleDocument)); string(got) != want {
		t.Errorf("the sample's document\n got %s\nwant %s", got, want)
	}

	st := localStack(t, readmeTemplate(t), "http://127.0.0.1:3000")
	var keys []string
	for _, r := range st.Routes {
		keys = append(keys, r.Method+" "+r.Path+" "+string(r.Mode))
	}
	want := []string{"POST /express-instance sync", "GET /instances/{instance_id} sync", "POST /quotes sync", "POST /reports async", "POST /standard-instance async"}
	if !slices.Equal(keys, want) {
		t.Errorf("routes %v, want %v", keys, want)
	}
	i := slices.IndexFunc(st.Routes, func(r route.Description) bool { return r.Path == "/quotes" })
	quotes := st.Routes[i]
	if !slices.Equal(quotes.Required, []string{"item", "quantity"}) || !quotes.Input.Body ||
		!slices.ContainsFunc(quotes.Fields, func(f route.Field) bool {
			return f.Name == "item" && f.Pattern == "^[A-Z]{3}-[0-9]{3}$" && f.Hint == "an item number such as ABC-123"
		}) {
		t.Errorf("POST /quotes is described as %+v", quotes)
	}
	var machines []string
	for _, m := range st.StateMachines {
		machines = append(machines, m.LogicalID+"="+m.ARN[strings.LastIndexByte(m.ARN, ':')+1:])
	}
	if want := []string{"ExpressStateMachine=stepgate_Express", "QuoteStateMachine=stepgate_Quote", "ReportStateMachine=stepgate_Report", "StandardStateMachine=stepgate_Standard"}; !slices.Equal(machines, want) {
		t.Errorf("machines %v, want %v", machines, want)
	}

	// The offline stack's routes carry their descriptions only when read by routereader.Read.
	if _, err := FromOffline(&offline.Stack{APIURL: "http://127.0.0.1:3000", Routes: []offline.DeclaredRoute{{Method: "GET", Path: "/a"}}}); err == nil {
		t.Error("a route without its description was accepted")
	}
}

// TestDeployedStackDocument builds the document of a deployed stack from template.yaml and the
// AWS CLI's recorded answers (samenv's fixtures: stack stepgate-prod in eu-west-1): the routes
// as its start function reads them (physical ARNs, the stack's instance in the allowlist), the
// API's URL from its RestApi ID and stage, the auth mode from the operation's security scheme.
func TestDeployedStackDocument(t *testing.T) {
	stacks, err := os.ReadFile("../samenv/testdata/describe-stacks.json")
	if err != nil {
		t.Fatal(err)
	}
	resources, err := os.ReadFile("../samenv/testdata/describe-stack-resources.json")
	if err != nil {
		t.Fatal(err)
	}
	const (
		express  = "arn:aws:states:eu-west-1:210987654321:stateMachine:stepgate-prod_Express"
		standard = "arn:aws:states:eu-west-1:210987654321:stateMachine:stepgate-prod_Standard"
	)
	tests := []struct {
		name      string
		stacks    string // describe-stacks with these replacements
		resources string
		api, auth string
		err       string
	}{
		{name: "AWS_IAM", api: "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1", auth: AuthIAM},
		{name: "API_KEY on stage prod", api: "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", auth: AuthAPIKey,
			stacks: `{"ParameterKey": "AuthMode", "ParameterValue": "API_KEY"}, {"ParameterKey": "StageName", "ParameterValue": "prod"}`},
		{name: "NONE", api: "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1", auth: AuthNone,
			stacks: `{"ParameterKey": "AuthMode", "ParameterValue": "NONE"}`},
		{name: "a machine the stack lacks", resources: "StandardStateMachine", err: "stack stepgate-prod has no state machine StandardStateMachine"},
		{name: "an API the stack lacks", resources: "StepgateApi", err: "stack stepgate-prod has no API StepgateApi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sj := string(stacks)
			if tt.stacks != "" {
				sj = strings.Replace(sj, `{"ParameterKey": "AuthMode", "ParameterValue": "AWS_IAM"}`, tt.stacks, 1)
			}
			rj := string(resources)
			if tt.resources != "" {
				rj = strings.Replace(rj, `"LogicalResourceId": "`+tt.resources+`"`, `"LogicalResourceId": "Gone"`, 1)
			}
			s, err := samenv.ParseStack([]byte(sj), []byte(rj))
			if err != nil {
				t.Fatal(err)
			}
			st, err := FromDeployed(filepath.Join(repoRoot, "template.yaml"), s)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to say %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Name != "stepgate-prod" || st.APIURL != tt.api || st.Auth != tt.auth {
				t.Errorf("name %q, API %q, auth %q; want stepgate-prod, %q, %q", st.Name, st.APIURL, st.Auth, tt.api, tt.auth)
			}
			if want := []StateMachine{{"ExpressStateMachine", express}, {"StandardStateMachine", standard}}; !slices.Equal(st.StateMachines, want) {
				t.Errorf("machines %v, want %v", st.StateMachines, want)
			}
			var routes []string
			for _, r := range st.Routes {
				allowed := ""
				for _, f := range r.Fields {
					allowed += strings.Join(f.Allowed, ",")
				}
				routes = append(routes, r.Method+" "+r.Path+" → "+r.StateMachineARN+" "+allowed)
			}
			want := []string{
				"POST /express-instance → " + express + " i-0f1e2d3c4b5a69788",
				"GET /instances/{instance_id} → " + express + " i-0f1e2d3c4b5a69788",
				"POST /standard-instance → " + standard + " i-0f1e2d3c4b5a69788",
			}
			if !slices.Equal(routes, want) {
				t.Errorf("routes\n%s\nwant\n%s", strings.Join(routes, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
