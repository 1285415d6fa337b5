package route

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepgate/stepgate/internal/app/httpapi"
)

const (
	expressARN  = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express"
	standardARN = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard"
	scope       = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_*"
)

// testDoc has the shape of template.yaml's ROUTES, plus a route with query parameters and its own
// field and error.
const testDoc = `{
  "routes": {
    "POST /express-instance": {"stateMachine": "` + expressARN + `", "mode": "sync", "input": {"body": true}, "required": ["instance_id"]},
    "POST /standard-instance": {"stateMachine": "` + standardARN + `", "mode": "async", "input": {"body": true}, "required": ["instance_id"]},
    "GET /instances/{instance_id}": {"stateMachine": "` + expressARN + `", "mode": "sync",
      "input": {"path": ["instance_id"], "fixed": {"action": "check"}}},
    "POST /greet/{name}": {"stateMachine": "` + expressARN + `", "mode": "sync",
      "input": {"body": true, "query": ["lang"], "path": ["name"], "fixed": {"n": 12345678901234567890, "kind": "greeting"}},
      "required": ["lang"],
      "fields": {"name": {"pattern": "^[a-z]+$"}, "lang": {"pattern": "^(en|fr)$"}},
      "errors": {"NameTaken": {"status": 409, "message": "The name {name} is taken."}}}
  },
  "fields": {
    "instance_id": {"pattern": "^i-[0-9a-f]{8}([0-9a-f]{9})?$", "hint": "an EC2 instance ID such as i-0123456789abcdef0",
      "allowlist": {"env": "ALLOWED_INSTANCE_IDS", "error": "InstanceNotAllowed"}},
    "action": {"pattern": "^(toggle|start|stop)$", "hint": "one of toggle, start or stop"}
  },
  "errors": {
    "InstanceNotFound": {"status": 404, "message": "Instance {instance_id} does not exist."},
    "InstanceNotAllowed": {"status": 403, "message": "Instance {instance_id} is not managed by this stack."}
  }
}`

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

var testEnv = env(map[string]string{"ALLOWED_INSTANCE_IDS": "i-0123456789abcdef0, i-01234567", "STATE_MACHINES": scope})

func parse(t *testing.T) *Config {
	t.Helper()
	cfg, err := Parse(testDoc, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestParse(t *testing.T) {
	cfg := parse(t)
	want := "GET /instances/{instance_id},POST /express-instance,POST /greet/{name},POST /standard-instance"
	if got := strings.Join(cfg.Keys(), ","); got != want {
		t.Errorf("Keys = %s, want %s", got, want)
	}
	r, ok := cfg.Route("POST /standard-instance")
	if !ok || r.Mode != Async || r.StateMachine.String() != standardARN || r.Method != "POST" || r.Path != "/standard-instance" {
		t.Fatalf("Route = %+v, %v", r, ok)
	}
	g, _ := cfg.Route("POST /greet/{name}")
	if e, ok := g.Error("NameTaken"); !ok || e.Status != 409 {
		t.Errorf("route's own error = %+v, %v", e, ok)
	}
	if e, ok := g.Error("InstanceNotFound"); !ok || e.Status != 404 {
		t.Errorf("shared error = %+v, %v", e, ok)
	}
	if _, ok := g.Error("States.TaskFailed"); ok {
		t.Error("an error the table does not name was found")
	}
}

// proxy is a request as the API's greedy /{proxy+} resource sends it: the path it matched in the
// proxy parameter, still percent-encoded; the event's path holds a custom domain's base path.
func proxy(method, path string) *events.APIGatewayProxyRequest {
	return &events.APIGatewayProxyRequest{HTTPMethod: method, Resource: "/{proxy+}", Path: "/base" + path,
		PathParameters: map[string]string{"proxy": strings.TrimPrefix(path, "/")}}
}

func TestMatch(t *testing.T) {
	doc := `{"routes": {
	  "GET /orders/{order_id}": {"stateMachine": "` + expressARN + `", "mode": "sync", "input": {"path": ["order_id"]}},
	  "DELETE /orders/{order_id}": {"stateMachine": "` + standardARN + `", "mode": "async", "input": {"path": ["order_id"]}},
	  "GET /orders/latest": {"stateMachine": "` + expressARN + `", "mode": "sync", "input": {"fixed": {"latest": true}}},
	  "POST /orders": {"stateMachine": "` + standardARN + `", "mode": "async", "input": {"body": true}},
	  "GET /orders/{order_id}/lines/{line}": {"stateMachine": "` + expressARN + `", "mode": "sync", "input": {"path": ["order_id", "line"]}}
	}}`
	cfg, err := Parse(doc, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		req        *events.APIGatewayProxyRequest
		wantKey    string
		wantParams map[string]string
		wantStatus int
		wantAllow  string
	}{
		{name: "literal", req: proxy("POST", "/orders"), wantKey: "POST /orders"},
		{name: "trailing slash", req: proxy("POST", "/orders/"), wantKey: "POST /orders"},
		{name: "parameter", req: proxy("GET", "/orders/o%2D1"), wantKey: "GET /orders/{order_id}", wantParams: map[string]string{"order_id": "o%2D1"}},
		{name: "literal before parameter", req: proxy("GET", "/orders/latest"), wantKey: "GET /orders/latest"},
		// As API Gateway picks a resource before a method: the literal path takes the request.
		{name: "the literal path lacks the method", req: proxy("DELETE", "/orders/latest"), wantStatus: 405, wantAllow: "GET"},
		{name: "two parameters", req: proxy("GET", "/orders/o-1/lines/3"), wantKey: "GET /orders/{order_id}/lines/{line}",
			wantParams: map[string]string{"order_id": "o-1", "line": "3"}},
		{name: "unknown path", req: proxy("GET", "/invoices"), wantStatus: 404},
		{name: "too deep", req: proxy("GET", "/orders/o-1/lines"), wantStatus: 404},
		{name: "empty segment", req: proxy("GET", "/orders//lines/3"), wantStatus: 404},
		{name: "root", req: proxy("GET", "/"), wantStatus: 404},
		{name: "known path, other method", req: proxy("PUT", "/orders/o-1"), wantStatus: 405, wantAllow: "DELETE, GET"},
		{name: "case matters", req: proxy("post", "/orders"), wantStatus: 405, wantAllow: "POST"},
		{name: "a resource of its own", req: &events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/orders/{order_id}",
			PathParameters: map[string]string{"order_id": "o-2"}}, wantKey: "GET /orders/{order_id}", wantParams: map[string]string{"order_id": "o-2"}},
		{name: "a resource of its own, other method", req: &events.APIGatewayProxyRequest{HTTPMethod: "PUT", Resource: "/orders/{order_id}"},
			wantStatus: 405, wantAllow: "DELETE, GET"},
		{name: "a resource no route declares", req: &events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/orders/{id}"}, wantStatus: 404},
		{name: "greedy resource under a prefix", req: &events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/orders/{rest+}",
			PathParameters: map[string]string{"rest": "o-3"}}, wantKey: "GET /orders/{order_id}", wantParams: map[string]string{"order_id": "o-3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, params, err := cfg.Match(tc.req)
			if tc.wantStatus != 0 {
				var e *httpapi.Error
				if !errors.As(err, &e) || e.Status != tc.wantStatus || e.Headers["Allow"] != tc.wantAllow {
					t.Fatalf("err = %v (%+v), want %d with Allow %q", err, e, tc.wantStatus, tc.wantAllow)
				}
				return
			}
			if err != nil || r.Key != tc.wantKey || fmt.Sprint(params) != fmt.Sprint(tc.wantParams) {
				t.Fatalf("Match = %v %v %v, want %s %v", r, params, err, tc.wantKey, tc.wantParams)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	route := func(body string) string {
		return `{"routes": {"POST /x": ` + body + `}, "errors": {"Nope": {"status": 403, "message": "No."}}}`
	}
	good := `"stateMachine": "` + expressARN + `", "mode": "sync"`
	tests := []struct {
		name, doc, want string
		env             map[string]string
	}{
		{name: "empty", doc: "", want: "empty"},
		{name: "not JSON", doc: "{routes", want: "parse ROUTES"},
		{name: "trailing data", doc: `{"routes": {}} {}`, want: "after"},
		{name: "no routes", doc: `{"routes": {}}`, want: "no routes"},
		{name: "unknown key", doc: route(`{` + good + `, "input": {"body": true}, "requierd": ["a"]}`), want: "requierd"},
		{name: "bad key", doc: `{"routes": {"post x": {` + good + `, "input": {"body": true}}}}`, want: "METHOD /path"},
		{name: "unknown method", doc: `{"routes": {"FETCH /x": {` + good + `, "input": {"body": true}}}}`, want: "METHOD /path"},
		{name: "root path", doc: `{"routes": {"GET /": {` + good + `, "input": {"body": true}}}}`, want: "empty segment"},
		{name: "empty segment", doc: `{"routes": {"GET /a//b": {` + good + `, "input": {"body": true}}}}`, want: "empty segment"},
		{name: "greedy parameter", doc: `{"routes": {"GET /a/{rest+}": {` + good + `, "input": {"body": true}}}}`, want: "greedy"},
		{name: "parameter twice", doc: `{"routes": {"GET /a/{id}/{id}": {` + good + `, "input": {"body": true}}}}`, want: "twice"},
		{name: "half a parameter", doc: `{"routes": {"GET /a/x{id}": {` + good + `, "input": {"body": true}}}}`, want: "neither literal"},
		{name: "one path, two parameter names", doc: `{"routes": {"GET /a/{id}": {` + good + `, "input": {"body": true}},
			"POST /a/{name}": {` + good + `, "input": {"body": true}}}}`, want: "differently"},
		{name: "bad state machine", doc: route(`{"stateMachine": "ExpressStateMachine", "mode": "sync", "input": {"body": true}}`), want: "state machine ARN"},
		{name: "state machine of another stack", doc: route(`{"stateMachine": "arn:aws:states:us-east-1:123456789012:stateMachine:Orders", "mode": "sync", "input": {"body": true}}`),
			want: `route "POST /x": state machine arn:aws:states:us-east-1:123456789012:stateMachine:Orders is not one of this stack's`},
		{name: "no scope", env: map[string]string{"STATE_MACHINES": ""}, doc: route(`{` + good + `, "input": {"body": true}}`), want: "STATE_MACHINES"},
		{name: "unanchored pattern", doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"pattern": "[a-z]+"}}}`), want: "not anchored"},
		{name: "pattern anchored at one end", doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"pattern": "^[a-z]+"}}}`), want: "not anchored"},
		{name: "alternation anchored at its ends only", doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"pattern": "^a|b$"}}}`), want: "not anchored"},
		{name: "shared pattern unanchored", doc: `{"routes": {"POST /x": {` + good + `, "input": {"body": true}}}, "fields": {"a": {"pattern": "x"}}}`, want: "not anchored"},
		{name: "required from no source", doc: route(`{` + good + `, "input": {"query": ["q"]}, "required": ["name"]}`), want: `required field "name"`},
		{name: "bad mode", doc: route(`{"stateMachine": "` + expressARN + `", "mode": "fast", "input": {"body": true}}`), want: "mode"},
		{name: "no input", doc: route(`{` + good + `}`), want: "input takes nothing"},
		{name: "path parameter not in resource", doc: route(`{` + good + `, "input": {"path": ["id"]}}`), want: `"id"`},
		{name: "bad pattern", doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"pattern": "("}}}`), want: "pattern"},
		{name: "bad fixed value", doc: route(`{` + good + `, "input": {"fixed": {"a": tru}}}`), want: "parse ROUTES"},
		{name: "bad status", doc: route(`{` + good + `, "input": {"body": true}, "errors": {"E": {"status": 200, "message": "m"}}}`), want: "status 200"},
		{name: "no message", doc: route(`{` + good + `, "input": {"body": true}, "errors": {"E": {"status": 404}}}`), want: "message"},
		{name: "allowlist env unset", doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"allowlist": {"env": "A", "error": "Nope"}}}}`), want: "no entries"},
		{name: "allowlist entry malformed", env: map[string]string{"A": "ab,x1"},
			doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"pattern": "^[a-z]+$", "allowlist": {"env": "A", "error": "Nope"}}}}`), want: `"x1"`},
		{name: "allowlist error unknown", env: map[string]string{"A": "ab"},
			doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"allowlist": {"env": "A", "error": "Other"}}}}`), want: "4xx"},
		{name: "allowlist without error", env: map[string]string{"A": "ab"},
			doc: route(`{` + good + `, "input": {"body": true}, "fields": {"a": {"allowlist": {"env": "A"}}}}`), want: "env and error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kv := map[string]string{"STATE_MACHINES": scope}
			for k, v := range tc.env {
				kv[k] = v
			}
			_, err := Parse(tc.doc, env(kv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func request(method, resource, body string) *events.APIGatewayProxyRequest {
	return &events.APIGatewayProxyRequest{HTTPMethod: method, Resource: resource, Body: body}
}

func TestAnchored(t *testing.T) {
	for pattern, want := range map[string]bool{
		"^i-[0-9a-f]{8}([0-9a-f]{9})?$": true,
		"^(toggle|start|stop)$":         true,
		"^a$|^b$":                       true,
		`\Aa\z`:                         true,
		"^$":                            true,
		"a":                             false,
		"^a":                            false,
		"a$":                            false,
		"^a|b$":                         false,
		"(?m)^a$":                       false, // line anchors: "x\na" would pass
		"^a$|b":                         false,
	} {
		if got := anchored(pattern); got != want {
			t.Errorf("anchored(%q) = %v, want %v", pattern, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	got, err := json.Marshal(parse(t).Describe())
	if err != nil {
		t.Fatal(err)
	}
	var routes []map[string]any
	if err := json.Unmarshal(got, &routes); err != nil || len(routes) != 4 {
		t.Fatalf("Describe = %s (%v)", got, err)
	}
	want := `{"method":"GET","path":"/instances/{instance_id}","mode":"sync","stateMachineArn":"` + expressARN + `",` +
		`"input":{"body":false,"path":["instance_id"],"query":[],"fixed":{"action":"check"}},"required":[],` +
		`"fields":[{"name":"action","pattern":"^(toggle|start|stop)$","hint":"one of toggle, start or stop"},` +
		`{"name":"instance_id","pattern":"^i-[0-9a-f]{8}([0-9a-f]{9})?$","hint":"an EC2 instance ID such as i-0123456789abcdef0","allowed":["i-01234567","i-0123456789abcdef0"]}]}`
	first, _ := json.Marshal(routes[0])
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(w)
	if string(first) != string(wantJSON) {
		t.Errorf("first route\n%s\nwant\n%s", first, wantJSON)
	}
	greet := routes[2]
	if fixed := greet["input"].(map[string]any)["fixed"]; fmt.Sprint(fixed) != "map[kind:greeting n:1.2345678901234567e+19]" {
		t.Errorf("fixed = %v", fixed)
	}
	if !strings.Contains(string(got), `"n":12345678901234567890`) {
		t.Errorf("a fixed integer lost its digits: %s", got)
	}
	// A copy: changing it changes no route.
	d := parse(t)
	desc := d.Describe()
	desc[0].Fields[0].Name, desc[0].Input.Path[0] = "x", "y"
	if again := d.Describe(); again[0].Fields[0].Name != "action" || again[0].Input.Path[0] != "instance_id" {
		t.Errorf("Describe shares state: %+v", again[0])
	}
}

func TestBuild(t *testing.T) {
	cfg := parse(t)
	express, _ := cfg.Route("POST /express-instance")
	instances, _ := cfg.Route("GET /instances/{instance_id}")
	greet, _ := cfg.Route("POST /greet/{name}")
	withPath := func(req *events.APIGatewayProxyRequest, kv ...string) *events.APIGatewayProxyRequest {
		req.PathParameters = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			req.PathParameters[kv[i]] = kv[i+1]
		}
		return req
	}
	withQuery := func(req *events.APIGatewayProxyRequest, q map[string][]string) *events.APIGatewayProxyRequest {
		req.MultiValueQueryStringParameters = q
		req.QueryStringParameters = map[string]string{}
		for k, v := range q {
			req.QueryStringParameters[k] = v[len(v)-1]
		}
		return req
	}
	tests := []struct {
		name       string
		route      *Route
		req        *events.APIGatewayProxyRequest
		want       string // canonical input
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{name: "minimal", route: express, req: request("POST", "", `{"instance_id":"i-0123456789abcdef0"}`),
			want: `{"instance_id":"i-0123456789abcdef0"}`},
		{name: "short id", route: express, req: request("POST", "", `{"instance_id":"i-01234567","action":"stop"}`),
			want: `{"action":"stop","instance_id":"i-01234567"}`},
		{name: "extra fields kept and sorted", route: express,
			req:  request("POST", "", "{ \"z\": [1, 2.50, 1e3], \"instance_id\": \"i-01234567\",\n \"a\": {\"y\": null, \"b\": \"<&>\"} }"),
			want: `{"a":{"b":"<&>","y":null},"instance_id":"i-01234567","z":[1,2.50,1e3]}`},
		{name: "big integer preserved", route: express, req: request("POST", "", `{"instance_id":"i-01234567","n":123456789012345678901234567890}`),
			want: `{"instance_id":"i-01234567","n":123456789012345678901234567890}`},
		{name: "missing id", route: express, req: request("POST", "", `{"action":"start"}`), wantStatus: 400, wantCode: "InvalidRequest", wantMsg: `"instance_id" is required`},
		{name: "null id", route: express, req: request("POST", "", `{"instance_id":null}`), wantStatus: 400, wantCode: "InvalidRequest", wantMsg: "EC2 instance ID"},
		{name: "uppercase id", route: express, req: request("POST", "", `{"instance_id":"i-0123456789ABCDEF0"}`), wantStatus: 400, wantMsg: "EC2 instance ID"},
		{name: "9 digits", route: express, req: request("POST", "", `{"instance_id":"i-012345678"}`), wantStatus: 400, wantMsg: "EC2 instance ID"},
		{name: "id with newline", route: express, req: request("POST", "", `{"instance_id":"i-01234567\n"}`), wantStatus: 400, wantMsg: "EC2 instance ID"},
		{name: "unknown action", route: express, req: request("POST", "", `{"instance_id":"i-01234567","action":"check"}`), wantStatus: 400, wantMsg: "toggle, start or stop"},
		{name: "action not a string", route: express, req: request("POST", "", `{"instance_id":"i-01234567","action":1}`), wantStatus: 400, wantMsg: "action"},
		{name: "array", route: express, req: request("POST", "", `["i-01234567"]`), wantStatus: 400, wantMsg: "object"},
		{name: "null", route: express, req: request("POST", "", `null`), wantStatus: 400, wantMsg: "object"},
		{name: "not allowed", route: express, req: request("POST", "", `{"instance_id":"i-0fedcba9876543210"}`),
			wantStatus: 403, wantCode: "InstanceNotAllowed", wantMsg: "Instance i-0fedcba9876543210 is not managed by this stack."},
		{name: "path parameter and fixed value", route: instances, req: withPath(request("GET", "", ""), "instance_id", "i-01234567"),
			want: `{"action":"check","instance_id":"i-01234567"}`},
		{name: "path parameter percent-encoded", route: instances, req: withPath(request("GET", "", ""), "instance_id", "i-0123456%37"),
			want: `{"action":"check","instance_id":"i-01234567"}`},
		{name: "path parameter badly encoded", route: instances, req: withPath(request("GET", "", ""), "instance_id", "i-%zz"), wantStatus: 400, wantMsg: "percent-encoded"},
		{name: "path parameter malformed", route: instances, req: withPath(request("GET", "", ""), "instance_id", "i-XYZ"), wantStatus: 400, wantMsg: "EC2 instance ID"},
		{name: "path parameter not allowed", route: instances, req: withPath(request("GET", "", ""), "instance_id", "i-0fedcba9876543210"), wantStatus: 403, wantCode: "InstanceNotAllowed"},
		{name: "body ignored without input.body", route: instances, req: withPath(request("GET", "", `not json`), "instance_id", "i-01234567"),
			want: `{"action":"check","instance_id":"i-01234567"}`},
		{name: "every source", route: greet,
			req:  withQuery(withPath(request("POST", "", `{"name":"body","kind":"caller","x":1}`), "name", "ada"), map[string][]string{"lang": {"fr"}, "other": {"1"}}),
			want: `{"kind":"greeting","lang":"fr","n":12345678901234567890,"name":"ada","x":1}`},
		{name: "single-value query only", route: greet,
			req:  &events.APIGatewayProxyRequest{Body: `{}`, PathParameters: map[string]string{"name": "ada"}, QueryStringParameters: map[string]string{"lang": "en"}},
			want: `{"kind":"greeting","lang":"en","n":12345678901234567890,"name":"ada"}`},
		{name: "query given twice", route: greet, req: withQuery(withPath(request("POST", "", `{}`), "name", "ada"), map[string][]string{"lang": {"en", "fr"}}),
			wantStatus: 400, wantMsg: "at most once"},
		{name: "required query missing", route: greet, req: withPath(request("POST", "", `{}`), "name", "ada"), wantStatus: 400, wantMsg: `"lang" is required`},
		{name: "pattern without hint", route: greet, req: withQuery(withPath(request("POST", "", `{}`), "name", "Ada"), map[string][]string{"lang": {"en"}}),
			wantStatus: 400, wantMsg: `The field "name" must be a string matching ^[a-z]+$.`},
		{name: "body too large", route: express, req: request("POST", "", `{"instance_id":"i-01234567","pad":"`+strings.Repeat("x", httpapi.MaxBodyBytes)+`"}`),
			wantStatus: 413, wantCode: "PayloadTooLarge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := tc.route.Build(tc.req, tc.req.PathParameters)
			if tc.wantStatus != 0 {
				var e *httpapi.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want an *httpapi.Error", err)
				}
				if e.Status != tc.wantStatus || (tc.wantCode != "" && e.Code != tc.wantCode) || !strings.Contains(e.Message, tc.wantMsg) {
					t.Fatalf("got %d %s %q, want %d %s with %q", e.Status, e.Code, e.Message, tc.wantStatus, tc.wantCode, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(in.Canonical) != tc.want {
				t.Errorf("input = %s, want %s", in.Canonical, tc.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	in := Input{values: map[string]any{"instance_id": "i-01234567", "n": 1}}
	tests := map[string]string{
		"Instance {instance_id} does not exist.": "Instance i-01234567 does not exist.",
		"{instance_id}{instance_id}":             "i-01234567i-01234567",
		"no fields":                              "no fields",
		"not a string: {n}, unknown {x}":         "not a string: {n}, unknown {x}",
		"unclosed {instance_id":                  "unclosed {instance_id",
	}
	for msg, want := range tests {
		if got := in.Render(msg); got != want {
			t.Errorf("Render(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestCanonicalizeStable(t *testing.T) {
	a, err := Canonicalize([]byte(`{"b":1,"a":{"d":2,"c":[3,{"f":4,"e":5}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Canonicalize(a)
	if err != nil || string(a) != string(b) || string(a) != `{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}` {
		t.Errorf("Canonicalize = %s then %s (%v)", a, b, err)
	}
	if _, err := Canonicalize([]byte(`{} x`)); err == nil {
		t.Error("trailing data accepted")
	}
}
