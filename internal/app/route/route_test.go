package route

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepgate/stepgate/internal/app/httpapi"
)

const (
	expressARN  = "arn:aws:states:us-east-1:123456789012:stateMachine:ExpressStateMachine"
	standardARN = "arn:aws:states:us-east-1:123456789012:stateMachine:StandardStateMachine"
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

var testEnv = env(map[string]string{"ALLOWED_INSTANCE_IDS": "i-0123456789abcdef0, i-01234567"})

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
	r, ok := cfg.Match("POST", "/standard-instance")
	if !ok || r.Mode != Async || r.StateMachine.String() != standardARN {
		t.Fatalf("Match = %+v, %v", r, ok)
	}
	if _, ok := cfg.Match("GET", "/standard-instance"); ok {
		t.Error("matched a method the route does not declare")
	}
	g, _ := cfg.Match("POST", "/greet/{name}")
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
		{name: "bad key", doc: `{"routes": {"post x": {` + good + `, "input": {"body": true}}}}`, want: "METHOD /resource"},
		{name: "bad state machine", doc: route(`{"stateMachine": "ExpressStateMachine", "mode": "sync", "input": {"body": true}}`), want: "state machine ARN"},
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
			_, err := Parse(tc.doc, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func request(method, resource, body string) *events.APIGatewayProxyRequest {
	return &events.APIGatewayProxyRequest{HTTPMethod: method, Resource: resource, Body: body}
}

func TestBuild(t *testing.T) {
	cfg := parse(t)
	express, _ := cfg.Match("POST", "/express-instance")
	instances, _ := cfg.Match("GET", "/instances/{instance_id}")
	greet, _ := cfg.Match("POST", "/greet/{name}")
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
			in, err := tc.route.Build(tc.req)
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
