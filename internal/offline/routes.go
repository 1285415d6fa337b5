package offline

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
	"github.com/stepgate/stepgate/internal/tasktoken"
)

// RoutesEnv is the variable that holds a function's routes document (the start function's ROUTES).
const RoutesEnv = "ROUTES"

// DeclaredRoute is one route of a function's routes document.
type DeclaredRoute struct {
	Method          string `json:"method"`
	Path            string `json:"path"` // the template: /instances/{instance_id}
	Mode            string `json:"mode"` // sync, async or callback
	StateMachineARN string `json:"stateMachineArn"`
	// Outcome is a callback route's: success, failure or heartbeat.
	Outcome string `json:"outcome,omitempty"`
	// Token says where a callback route's requests carry the task token.
	Token    *RouteToken `json:"token,omitempty"`
	Function string      `json:"function"` // the logical ID of the function that serves it
	// Description is the route as its reader describes it for tools that show the stack (JSON: the
	// start function's route.Description, with its input sources, required fields and field
	// rules). This package passes it on unread: the health route serves it, the dashboard builds
	// its forms from it.
	Description json.RawMessage `json:"description,omitempty"`
}

// RouteToken is where a callback route's requests carry the task token.
type RouteToken struct {
	From string `json:"from"` // path, query or body
	Name string `json:"name"`
}

// redactPath hides the task tokens in a request's path for the console: a path that one of the
// callback routes carries its token in has that segment replaced by the token's hash, as the start
// function's own log does.
func redactPath(routes []DeclaredRoute) func(path string) string {
	var inPath []DeclaredRoute
	for _, r := range routes {
		if r.Token != nil && r.Token.From == "path" {
			inPath = append(inPath, r)
		}
	}
	return func(path string) string {
		for _, r := range inPath {
			if redacted, ok := tasktoken.RedactPath(path, r.Path, r.Token.Name); ok {
				return redacted
			}
		}
		return path
	}
}

// RouteReader reads a routes document as the function that holds it will (getenv reads the
// function's other variables: STATE_MACHINES, the allowlists), and describes its routes. An error
// names the route that is malformed.
type RouteReader func(document string, getenv func(string) string) ([]DeclaredRoute, error)

// DeclaredRoutes reads the routes documents of tmpl's functions with read, each with the
// environment the template gives the function, and refuses what Start refuses (a malformed route,
// one an explicit API resource shadows, one no operation reaches). It is for a template outside a
// running offline stack: loaded with a deployed stack's physical IDs, it describes that stack's
// routes.
func DeclaredRoutes(tmpl *samtemplate.Template, read RouteReader) ([]DeclaredRoute, error) {
	fns, err := tmpl.Functions()
	if err != nil {
		return nil, err
	}
	api, err := tmpl.Routes()
	if err != nil {
		return nil, err
	}
	return declaredRoutes(read, fns, func(f samtemplate.Function) map[string]string { return f.Environment }, api)
}

// declaredRoutes reads the template's routes documents with Config.Routes, each with the
// environment the function runs with here.
func (st *setup) declaredRoutes() ([]DeclaredRoute, error) {
	if st.cfg.Routes == nil {
		return nil, nil
	}
	fns, err := st.tmpl.Functions()
	if err != nil {
		return nil, err
	}
	api, err := st.tmpl.Routes()
	if err != nil {
		return nil, err
	}
	return declaredRoutes(st.cfg.Routes, fns, st.functionEnv, api)
}

// declaredRoutes reads every function's routes document with read, each with the environment the
// function will get, and refuses a route that no API operation reaches or that an explicit API
// resource shadows (API Gateway matches that resource before the greedy /{proxy+}, so the route's
// requests would go elsewhere). A nil read checks nothing.
func declaredRoutes(read RouteReader, fns []samtemplate.Function, envOf func(samtemplate.Function) map[string]string,
	api []samtemplate.Route) ([]DeclaredRoute, error) {
	if read == nil {
		return nil, nil
	}
	var out []DeclaredRoute
	for _, f := range fns {
		if _, ok := f.Environment[RoutesEnv]; !ok {
			continue
		}
		env := envOf(f)
		routes, err := read(env[RoutesEnv], func(k string) string { return env[k] })
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", f.LogicalID, err)
		}
		for _, r := range routes {
			r.Function = f.LogicalID
			if err := reachable(r, api); err != nil {
				return nil, fmt.Errorf("function %s: %s: route %q: %w", f.LogicalID, RoutesEnv, r.Method+" "+r.Path, err)
			}
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b DeclaredRoute) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	return out, nil
}

// reachable says why API Gateway would not bring r's requests to its function: an explicit
// resource of another function (or of no function) overlaps its path, or no operation reaches it.
func reachable(r DeclaredRoute, api []samtemplate.Route) error {
	reached := false
	for _, op := range api {
		greedy := strings.Contains(op.Path, "+}")
		switch {
		case greedy && op.FunctionLogicalID == r.Function && (op.Method == "ANY" || op.Method == r.Method) && samtemplate.Overlaps(op.Path, r.Path):
			reached = true
		case !greedy && op.Path == r.Path && op.Method == r.Method && op.FunctionLogicalID == r.Function:
			reached = true // an operation of its own
		case !greedy && samtemplate.Overlaps(op.Path, r.Path) && !(op.FunctionLogicalID == r.Function && op.Path == r.Path):
			return fmt.Errorf("shadowed by the API's %s %s (→ %s): API Gateway matches that resource before /{proxy+}, so the route's requests would never reach %s; choose another path",
				op.Method, op.Path, op.FunctionLogicalID, r.Function)
		}
	}
	if !reached {
		return fmt.Errorf("no API operation reaches %s: the API needs its /{proxy+} operation (x-amazon-apigateway-any-method) integrated with it", r.Function)
	}
	return nil
}
