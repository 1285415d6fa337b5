package dashboard

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// documentedRoutes reads docs/openapi.yaml: "GET executions/{}" → its query parameters, sorted.
func documentedRoutes(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(repoRoot + "/docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{}
	for path, item := range doc.Paths.Map() {
		segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = "{}"
			}
		}
		for method, op := range item.Operations() {
			query := []string{}
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
					query = append(query, p.Value.Name)
				}
			}
			slices.Sort(query)
			documented[method+" "+strings.Join(segs, "/")] = query
		}
	}
	return documented
}

// forwarded is what the proxy forwards, in documentedRoutes' form.
func forwarded(routes []allowedRoute) map[string][]string {
	out := map[string][]string{}
	for _, rt := range routes {
		out[rt.method+" "+strings.Join(rt.segments, "/")] = slices.Sorted(slices.Values(rt.query))
	}
	return out
}

// TestRoutesAreDocumented: the proxy forwards the generic status routes as docs/openapi.yaml
// documents them, route for route and query parameter for query parameter; for the sample stack
// it forwards exactly the API's documented routes (the sample's are documented there), so the
// dashboard can neither reach something the stack does not serve nor drift from it.
func TestRoutesAreDocumented(t *testing.T) {
	documented := documentedRoutes(t)
	status := forwarded(statusRoutes)
	for key, query := range documented {
		if got, ok := status[key]; strings.Contains(key, " executions") && (!ok || !slices.Equal(got, query)) {
			t.Errorf("docs/openapi.yaml documents the status route %s with query %v; the dashboard forwards %v", key, query, got)
		}
	}
	for key := range status {
		if _, ok := documented[key]; !ok {
			t.Errorf("the dashboard forwards the status route %s, which docs/openapi.yaml does not document", key)
		}
	}
	routes, err := allowlist(sampleStack(t, "http://127.0.0.1:3000"))
	if err != nil {
		t.Fatal(err)
	}
	sample := forwarded(routes)
	if !maps.EqualFunc(sample, documented, slices.Equal) {
		t.Errorf("for the sample stack the dashboard forwards\n%v\ndocs/openapi.yaml documents\n%v", sample, documented)
	}
}
