package dashboard

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestRoutesAreDocumented: the proxy's allowlist is the API's own contract, route for route and
// query parameter for query parameter, so the dashboard can neither reach something the API does
// not document nor drift from it when a route changes.
func TestRoutesAreDocumented(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{} // "GET executions/{}" → its query parameters
	for path, item := range doc.Paths.Map() {
		segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = "{}"
			}
		}
		for method, op := range item.Operations() {
			var query []string
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
					query = append(query, p.Value.Name)
				}
			}
			slices.Sort(query)
			documented[method+" "+strings.Join(segs, "/")] = query
		}
	}
	for _, rt := range routes {
		key := rt.method + " " + strings.Join(rt.segments, "/")
		query, ok := documented[key]
		if !ok {
			t.Errorf("the dashboard forwards %s, which docs/openapi.yaml does not document", key)
			continue
		}
		got := slices.Sorted(slices.Values(rt.query))
		if !slices.Equal(got, query) {
			t.Errorf("%s: the dashboard forwards query parameters %v; docs/openapi.yaml documents %v", key, got, query)
		}
	}
}
