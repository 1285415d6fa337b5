// Package route is the start function's configuration: the routes template.yaml declares in the
// ROUTES environment variable (one JSON document). For each route it holds the state machine, the
// mode (sync: StartSyncExecution; async: StartExecution), how the execution input is built from the
// request (JSON body, path and query parameters, fixed values), the rules the input's fields follow
// (pattern, optional allowlist), and which workflow errors answer which HTTP status. The start
// function knows no workflow: everything workflow-specific is data read here, once, at start-up.
package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/internal/app/allowlist"
	"github.com/stepgate/stepgate/internal/app/execution"
)

// Env is the environment variable that holds the routes document.
const Env = "ROUTES"

// Mode is how a route starts its state machine.
type Mode string

// The modes.
const (
	// Sync runs an EXPRESS machine with StartSyncExecution and answers with its result.
	Sync Mode = "sync"
	// Async starts a machine with StartExecution and answers 202 with where to follow it.
	Async Mode = "async"
)

// document is the JSON the template writes. Unknown keys are refused so a typo fails at start-up
// instead of being ignored.
type document struct {
	Routes map[string]routeDoc `json:"routes"`
	// Fields and Errors are shared by every route; a route's own entries win.
	Fields map[string]fieldDoc `json:"fields"`
	Errors map[string]errorDoc `json:"errors"`
}

type routeDoc struct {
	StateMachine string              `json:"stateMachine"`
	Mode         Mode                `json:"mode"`
	Input        inputDoc            `json:"input"`
	Required     []string            `json:"required"`
	Fields       map[string]fieldDoc `json:"fields"`
	Errors       map[string]errorDoc `json:"errors"`
}

type inputDoc struct {
	Body  bool                       `json:"body"`
	Path  []string                   `json:"path"`
	Query []string                   `json:"query"`
	Fixed map[string]json.RawMessage `json:"fixed"`
}

type fieldDoc struct {
	Pattern   string        `json:"pattern"`
	Hint      string        `json:"hint"`
	Allowlist *allowlistDoc `json:"allowlist"`
}

type allowlistDoc struct {
	Env   string `json:"env"`
	Error string `json:"error"`
}

type errorDoc struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// Config is the parsed routes document.
type Config struct {
	routes map[string]*Route // by Key
}

// Route is one configured route.
type Route struct {
	// Key is "METHOD /resource", as API Gateway reports them in httpMethod and resource.
	Key          string
	StateMachine execution.StateMachine
	Mode         Mode

	body        bool
	path, query []string
	fixed       map[string]any
	required    []string
	fields      map[string]*field
	fieldOrder  []string // sorted field names, so errors come in a stable order
	errors      map[string]ErrorRule
}

// ErrorRule is how a workflow error name is answered.
type ErrorRule struct {
	Status int
	// Message may name input fields in braces, such as {instance_id}.
	Message string
}

type field struct {
	name       string
	pattern    *regexp.Regexp
	hint       string
	allow      *allowlist.Set
	allowError string
}

var resourceParam = regexp.MustCompile(`\{([^{}/]+)\}`)

// Parse reads the routes document; getenv reads the allowlists it names. Every error says what
// is wrong where, for the start-up log.
func Parse(doc string, getenv func(string) string) (*Config, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, fmt.Errorf("%s is empty: the template declares no routes", Env)
	}
	var d document
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("parse %s: %w", Env, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parse %s: data after the JSON document", Env)
	}
	if len(d.Routes) == 0 {
		return nil, fmt.Errorf("parse %s: no routes", Env)
	}
	shared, err := parseFields(d.Fields, getenv)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", Env, err)
	}
	sharedErrors, err := parseErrors(d.Errors)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", Env, err)
	}
	cfg := &Config{routes: make(map[string]*Route, len(d.Routes))}
	for key, rd := range d.Routes {
		r, err := parseRoute(key, rd, shared, sharedErrors, getenv)
		if err != nil {
			return nil, fmt.Errorf("parse %s: route %q: %w", Env, key, err)
		}
		cfg.routes[r.Key] = r
	}
	return cfg, nil
}

func parseRoute(key string, rd routeDoc, sharedFields map[string]*field, sharedErrors map[string]ErrorRule, getenv func(string) string) (*Route, error) {
	method, resource, ok := strings.Cut(key, " ")
	if !ok || method == "" || method != strings.ToUpper(method) || !strings.HasPrefix(resource, "/") {
		return nil, errors.New(`the key must be "METHOD /resource", such as "POST /orders"`)
	}
	r := &Route{Key: key, Mode: rd.Mode, body: rd.Input.Body, path: rd.Input.Path, query: rd.Input.Query,
		required: rd.Required}
	var err error
	if r.StateMachine, err = execution.ParseStateMachine(rd.StateMachine); err != nil {
		return nil, err
	}
	if r.Mode != Sync && r.Mode != Async {
		return nil, fmt.Errorf("mode %q: want %q or %q", rd.Mode, Sync, Async)
	}
	if !r.body && len(r.path) == 0 && len(r.query) == 0 && len(rd.Input.Fixed) == 0 {
		return nil, errors.New("input takes nothing: set body, path, query or fixed")
	}
	var params []string
	for _, m := range resourceParam.FindAllStringSubmatch(resource, -1) {
		params = append(params, strings.TrimSuffix(m[1], "+"))
	}
	for _, p := range r.path {
		if !slices.Contains(params, p) {
			return nil, fmt.Errorf("input.path names %q, which is not a parameter of %s", p, resource)
		}
	}
	if len(rd.Input.Fixed) > 0 {
		r.fixed = make(map[string]any, len(rd.Input.Fixed))
		for name, raw := range rd.Input.Fixed {
			if r.fixed[name], err = decode(raw); err != nil {
				return nil, fmt.Errorf("input.fixed %q: %w", name, err)
			}
		}
	}
	own, err := parseFields(rd.Fields, getenv)
	if err != nil {
		return nil, err
	}
	r.fields = make(map[string]*field, len(sharedFields)+len(own))
	for _, fields := range []map[string]*field{sharedFields, own} {
		for name, f := range fields {
			r.fields[name] = f
		}
	}
	r.fieldOrder = sortedKeys(r.fields)
	ownErrors, err := parseErrors(rd.Errors)
	if err != nil {
		return nil, err
	}
	r.errors = make(map[string]ErrorRule, len(sharedErrors)+len(ownErrors))
	for _, errs := range []map[string]ErrorRule{sharedErrors, ownErrors} {
		for name, e := range errs {
			r.errors[name] = e
		}
	}
	for _, name := range r.fieldOrder {
		f := r.fields[name]
		if f.allow == nil {
			continue
		}
		if e, ok := r.errors[f.allowError]; !ok || e.Status < 400 || e.Status > 499 {
			return nil, fmt.Errorf("field %q: allowlist error %q must name an entry of errors with a 4xx status", name, f.allowError)
		}
	}
	return r, nil
}

func parseFields(docs map[string]fieldDoc, getenv func(string) string) (map[string]*field, error) {
	out := make(map[string]*field, len(docs))
	for name, fd := range docs {
		f := &field{name: name, hint: fd.Hint}
		if fd.Pattern != "" {
			re, err := regexp.Compile(fd.Pattern)
			if err != nil {
				return nil, fmt.Errorf("field %q: pattern: %w", name, err)
			}
			f.pattern = re
		}
		if a := fd.Allowlist; a != nil {
			if a.Env == "" || a.Error == "" {
				return nil, fmt.Errorf("field %q: allowlist needs env and error", name)
			}
			set, err := allowlist.Parse(a.Env, getenv(a.Env), f.valid)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", name, err)
			}
			f.allow, f.allowError = &set, a.Error
		}
		out[name] = f
	}
	return out, nil
}

func parseErrors(docs map[string]errorDoc) (map[string]ErrorRule, error) {
	out := make(map[string]ErrorRule, len(docs))
	for name, ed := range docs {
		if ed.Status < 400 || ed.Status > 599 {
			return nil, fmt.Errorf("error %q: status %d is not an HTTP error status", name, ed.Status)
		}
		if strings.TrimSpace(ed.Message) == "" {
			return nil, fmt.Errorf("error %q: a message is required (it is what the caller reads)", name)
		}
		out[name] = ErrorRule(ed)
	}
	return out, nil
}

// Match finds the route of a request by its method and resource (API Gateway's httpMethod and
// resource, the path as declared, with {parameters}).
func (c *Config) Match(method, resource string) (*Route, bool) {
	r, ok := c.routes[method+" "+resource]
	return r, ok
}

// Keys lists the configured routes, sorted.
func (c *Config) Keys() []string { return sortedKeys(c.routes) }

// Error returns how the workflow error name is answered on this route.
func (r *Route) Error(name string) (ErrorRule, bool) {
	e, ok := r.errors[name]
	return e, ok
}

func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	// Numbers stay digit for digit, so integers beyond 2^53 reach the workflow unchanged.
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// valid reports whether a caller-supplied value follows the field's rule: a string, matching the
// pattern when there is one.
func (f *field) valid(s string) bool {
	return f.pattern == nil || f.pattern.MatchString(s)
}

func (f *field) problem() string {
	if f.hint != "" {
		return fmt.Sprintf("The field %q must be %s.", f.name, f.hint)
	}
	if f.pattern != nil {
		return fmt.Sprintf("The field %q must be a string matching %s.", f.name, f.pattern)
	}
	return fmt.Sprintf("The field %q must be a string.", f.name)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
