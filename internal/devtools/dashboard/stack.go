package dashboard

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/internal/app/route"
	"github.com/stepgate/stepgate/internal/devtools/routereader"
	"github.com/stepgate/stepgate/internal/devtools/samenv"
	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
	"github.com/stepgate/stepgate/internal/offline"
)

// Stack is the stack as the page sees it (GET /dashboard/stack): where its API is and how the
// dashboard authenticates there, its state machines, and the routes its routes documents declare,
// as the start function describes them. Everything workflow-specific on the page is built from
// it; the proxy forwards its routes and the generic status routes, nothing else. FromOffline
// builds it for make local, FromDeployed for a deployed stack.
type Stack struct {
	// Name is the CloudFormation stack's name; empty for make local's.
	Name string `json:"name,omitempty"`
	// APIURL is the API's base URL, stage included (a deployed stack's ApiUrl).
	APIURL string `json:"api"`
	// Auth is how the dashboard authenticates its calls: AuthNone, AuthIAM or AuthAPIKey.
	Auth string `json:"auth"`
	// StateMachines are the stack's machines, by logical ID.
	StateMachines []StateMachine `json:"stateMachines"`
	// Routes are the declared routes (every mode: the page offers a form for the start routes).
	Routes []route.Description `json:"routes"`
}

// StateMachine is one state machine of the stack.
type StateMachine struct {
	LogicalID string `json:"logicalId"`
	ARN       string `json:"arn"`
}

// FromOffline describes a running offline stack: its routes as it read them (with
// routereader.Read, which keeps each route's description), its machines' local ARNs, its API
// (which enforces no auth).
func FromOffline(s *offline.Stack) (Stack, error) {
	return newStack("", s.APIURL, AuthNone, s.Routes, s.StateMachineARNs)
}

// FromDeployed describes deployed stack s from the template at path, resolved with the stack's
// physical IDs as `make env-deployed` resolves it: the routes as the stack's start function reads
// them, the machines' ARNs, the API's URL (its RestApi ID, Region and stage) and its auth mode
// (the security scheme of the operation that serves the routes).
func FromDeployed(path string, s *samenv.Stack) (Stack, error) {
	tmpl, err := samenv.LoadDeployed(path, s)
	if err != nil {
		return Stack{}, err
	}
	sms, err := tmpl.StateMachines()
	if err != nil {
		return Stack{}, err
	}
	machines := map[string]string{}
	for _, sm := range sms {
		arn, ok := s.Resolve(sm.LogicalID, "")
		if !ok {
			return Stack{}, fmt.Errorf("stack %s has no state machine %s, which %s declares: deploy the template first (sam deploy)", s.Name, sm.LogicalID, path)
		}
		machines[sm.LogicalID] = arn
	}
	routes, err := offline.DeclaredRoutes(tmpl, routereader.Read)
	if err != nil {
		return Stack{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(routes) == 0 {
		return Stack{}, fmt.Errorf("%s declares no routes (no function has a ROUTES document)", path)
	}
	apiURL, auth, err := deployedAPI(tmpl, s, routes[0].Function)
	if err != nil {
		return Stack{}, err
	}
	return newStack(s.Name, apiURL, auth, routes, machines)
}

func newStack(name, apiURL, auth string, routes []offline.DeclaredRoute, machines map[string]string) (Stack, error) {
	st := Stack{Name: name, APIURL: apiURL, Auth: auth, StateMachines: []StateMachine{}, Routes: []route.Description{}}
	for _, id := range slices.Sorted(maps.Keys(machines)) {
		st.StateMachines = append(st.StateMachines, StateMachine{LogicalID: id, ARN: machines[id]})
	}
	for _, r := range routes {
		var d route.Description
		if err := json.Unmarshal(r.Description, &d); err != nil {
			return Stack{}, fmt.Errorf("route %s %s: no description (the offline stack reads routes with routereader.Read): %w", r.Method, r.Path, err)
		}
		st.Routes = append(st.Routes, d)
	}
	return st, nil
}

// deployedAPI is the URL and auth mode of the API operation that sends requests to function fn
// (the function holding the routes documents): the RestApi's physical ID, the stack's Region and
// the API's StageName; the operation's security scheme.
func deployedAPI(tmpl *samtemplate.Template, s *samenv.Stack, fn string) (string, string, error) {
	ops, err := tmpl.Routes()
	if err != nil {
		return "", "", err
	}
	i := slices.IndexFunc(ops, func(op samtemplate.Route) bool { return op.FunctionLogicalID == fn })
	if i < 0 {
		return "", "", fmt.Errorf("no API operation reaches %s", fn)
	}
	op := ops[i]
	apiID, ok := s.Resolve(op.APILogicalID, "")
	if !ok {
		return "", "", fmt.Errorf("stack %s has no API %s: deploy the template first (sam deploy)", s.Name, op.APILogicalID)
	}
	stage, _ := tmpl.Resources[op.APILogicalID].Properties["StageName"].(string)
	if stage == "" {
		return "", "", fmt.Errorf("API %s has no StageName", op.APILogicalID)
	}
	opts := s.Options(tmpl.Parameters)
	suffix := "amazonaws.com" // AWS::URLSuffix
	if strings.HasPrefix(opts.Partition, "aws-cn") {
		suffix = "amazonaws.com.cn"
	}
	auth, err := authOf(tmpl, op)
	if err != nil {
		return "", "", err
	}
	return fmt.Sprintf("https://%s.execute-api.%s.%s/%s", apiID, opts.Region, suffix, stage), auth, nil
}

// authOf reads how op is secured from its API's OpenAPI securitySchemes: API Gateway's SigV4
// scheme is AuthIAM, an API key in the x-api-key header AuthAPIKey, no security AuthNone. The
// first alternative the dashboard can satisfy wins.
func authOf(tmpl *samtemplate.Template, op samtemplate.Route) (string, error) {
	if len(op.Security) == 0 {
		return AuthNone, nil
	}
	body, _ := tmpl.Resources[op.APILogicalID].Properties["DefinitionBody"].(map[string]any)
	components, _ := body["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)
	for _, name := range op.Security {
		scheme, _ := schemes[name].(map[string]any)
		switch {
		case scheme["x-amazon-apigateway-authtype"] == "awsSigv4":
			return AuthIAM, nil
		case scheme["type"] == "apiKey" && scheme["in"] == "header" && strings.EqualFold(fmt.Sprint(scheme["name"]), "x-api-key"):
			return AuthAPIKey, nil
		}
	}
	return "", fmt.Errorf("the API's %s %s requires %s: the dashboard signs with SigV4 (AWS_IAM) or sends x-api-key (API_KEY), nothing else",
		op.Method, op.Path, strings.Join(op.Security, " or "))
}
