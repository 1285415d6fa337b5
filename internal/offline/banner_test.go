package offline

import (
	"encoding/json"
	"testing"
)

// The banner's "Try" lines are built from each route's declaration: a value the route's rules
// accept for every path parameter and required field, so that the line answers 200 or 202 as
// printed, whatever the workflow.
func TestExampleOf(t *testing.T) {
	describe := func(d string) json.RawMessage { return json.RawMessage(d) }
	tests := []struct {
		name     string
		route    DeclaredRoute
		ok       bool
		path     string
		body     string
		method   string
		bodyFlag string
	}{
		{
			name: "body with an allowlisted required field",
			route: DeclaredRoute{Method: "POST", Path: "/express-instance", Mode: "sync", Description: describe(
				`{"input":{"body":true},"required":["instance_id"],"fields":[{"name":"instance_id","pattern":"^i-[0-9a-f]{8}$","allowed":["i-0123abcd"]},{"name":"action","pattern":"^(toggle|start|stop)$"}]}`)},
			ok: true, path: "/express-instance", body: `{"instance_id":"i-0123abcd"}`, method: " -X POST", bodyFlag: ` -d '{"instance_id":"i-0123abcd"}'`,
		},
		{
			name: "path parameter and fixed value: a GET with no body",
			route: DeclaredRoute{Method: "GET", Path: "/instances/{instance_id}", Mode: "sync", Description: describe(
				`{"input":{"path":["instance_id"],"fixed":{"action":"\"check\""}},"required":["instance_id"],"fields":[{"name":"instance_id","allowed":["i-0123abcd"]}]}`)},
			ok: true, path: "/instances/i-0123abcd",
		},
		{
			name: "required query parameter from a pattern's alternatives, a field with no rule",
			route: DeclaredRoute{Method: "GET", Path: "/greetings/{name}", Mode: "sync", Description: describe(
				`{"input":{"path":["name"],"query":["lang"]},"required":["name","lang"],"fields":[{"name":"lang","pattern":"^(en|fr)$"}]}`)},
			ok: true, path: "/greetings/NAME?lang=en",
		},
		{
			name:  "callback routes need a token: no example",
			route: DeclaredRoute{Method: "POST", Path: "/tasks/approve", Mode: "callback"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, ok := exampleOf(tt.route)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if ex.path != tt.path || ex.body != tt.body || ex.methodFlag() != tt.method || ex.bodyFlag() != tt.bodyFlag {
				t.Errorf("got path %q body %q flags %q %q; want %q %q %q %q", ex.path, ex.body, ex.methodFlag(), ex.bodyFlag(), tt.path, tt.body, tt.method, tt.bodyFlag)
			}
		})
	}
}

func TestFirstAlternative(t *testing.T) {
	for pattern, want := range map[string]string{
		"^(toggle|start|stop)$": "toggle",
		"^check$":               "check",
		"^[a-z]+$":              "",
		"(a|b)":                 "",
		"^(a.b|c)$":             "",
	} {
		got, ok := firstAlternative(pattern)
		if got != want || ok != (want != "") {
			t.Errorf("firstAlternative(%q) = %q, %v; want %q", pattern, got, ok, want)
		}
	}
}
