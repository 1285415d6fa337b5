// Package route is the start function's configuration: the routes template.yaml declares in the
// ROUTES environment variable (one JSON document), the one place a route is declared. For each
// route it holds the state machine, the mode (sync: StartSyncExecution; async: StartExecution;
// callback: SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat with a task token the request
// carries), how the execution input (or a callback's task output) is built from the request (JSON
// body, path and query parameters, fixed values), the rules the input's fields follow (an anchored
// pattern, optional allowlist), and which workflow errors answer which HTTP status. The API sends every start route to the function
// through one greedy resource, so Match finds a request's route by its method and path itself.
// The start function knows no workflow: everything workflow-specific is data read here, once, at
// start-up, and Describe gives tools (the dashboard) the same routes read-only.
package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepgate/stepgate/internal/app/allowlist"
	"github.com/stepgate/stepgate/internal/app/execution"
	"github.com/stepgate/stepgate/internal/app/httpapi"
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
	// Callback resumes a task of the machine that waits for a task token (.waitForTaskToken): the
	// request carries the token, the route's Outcome says what it reports.
	Callback Mode = "callback"
)

// Outcome is what a callback route reports about the waiting task.
type Outcome string

// The outcomes.
const (
	// Success ends the task with an output built like an execution input (SendTaskSuccess).
	Success Outcome = "success"
	// Failure ends the task with the input's error and cause (SendTaskFailure).
	Failure Outcome = "failure"
	// Heartbeat tells Step Functions the task is still being worked on (SendTaskHeartbeat).
	Heartbeat Outcome = "heartbeat"
)

// The token sources of a callback route: where in the request the task token is.
const (
	FromPath  = "path"
	FromQuery = "query"
	FromBody  = "body"
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
	Token        *tokenDoc           `json:"token"`
	Outcome      Outcome             `json:"outcome"`
	Input        Inputs              `json:"input"`
	Required     []string            `json:"required"`
	Fields       map[string]fieldDoc `json:"fields"`
	Errors       map[string]errorDoc `json:"errors"`
}

// tokenDoc names where a callback route's task token is: exactly one of the three.
type tokenDoc struct {
	Path  string `json:"path"`
	Query string `json:"query"`
	Body  string `json:"body"`
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
	routes     map[string]*Route // by Key
	tree       *node             // the routes' paths, segment by segment
	pathTokens bool              // some callback route takes its task token from the path
}

// Route is one configured route.
type Route struct {
	// Key is "METHOD /path", the path a template with {parameters}: "GET /orders/{order_id}".
	Key          string
	Method, Path string
	StateMachine execution.StateMachine
	Mode         Mode
	// Outcome is what a callback route reports; "" for the other modes.
	Outcome Outcome

	segments    []string // Path split at "/"; a parameter's segment is "{name}"
	token       tokenSource
	body        bool
	path, query []string
	fixed       map[string]any
	required    []string
	fields      map[string]*field
	fieldOrder  []string // sorted field names, so errors come in a stable order
	errors      map[string]ErrorRule
}

// node is one segment of the routes' paths: literal segments before a parameter, as API Gateway
// matches resources.
type node struct {
	literal map[string]*node
	param   *node
	routes  map[string]*Route // by method: the routes whose path ends here
}

// ErrorRule is how a workflow error name is answered.
type ErrorRule struct {
	Status int
	// Message may name input fields in braces, such as {order_id}.
	Message string
}

type field struct {
	name       string
	pattern    *regexp.Regexp
	hint       string
	allow      *allowlist.Set
	allowError string
}

// methods are the HTTP methods a route may declare.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// paramPattern is what a path parameter's name may hold.
var paramPattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

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
		return nil, fmt.Errorf("parse %s: the shared \"fields\": %w", Env, err)
	}
	sharedErrors, err := parseErrors(d.Errors)
	if err != nil {
		return nil, fmt.Errorf("parse %s: the shared \"errors\": %w", Env, err)
	}
	scope, err := execution.ParsePattern(getenv(execution.EnvStateMachines))
	if err != nil {
		return nil, fmt.Errorf("parse %s: the stack's state machines: %w", Env, err)
	}
	cfg := &Config{routes: make(map[string]*Route, len(d.Routes)), tree: &node{}}
	for _, key := range slices.Sorted(maps.Keys(d.Routes)) {
		r, err := parseRoute(key, d.Routes[key], shared, sharedErrors, getenv)
		if err == nil && !scope.Contains(r.StateMachine) {
			err = fmt.Errorf("state machine %s is not one of this stack's (%s is %s): give it Name: !Sub ${AWS::StackName}_<Short>",
				r.StateMachine, execution.EnvStateMachines, scope)
		}
		if err == nil {
			err = cfg.add(r)
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: route %q: %w", Env, key, err)
		}
	}
	return cfg, nil
}

// add puts r in the tree. Routes of one path template share its node; two templates that differ
// only in a parameter's name would be one resource with two spellings, so they are refused.
func (c *Config) add(r *Route) error {
	n := c.tree
	for _, seg := range r.segments {
		if _, isParam := paramName(seg); !isParam {
			if n.literal == nil {
				n.literal = map[string]*node{}
			}
			if n.literal[seg] == nil {
				n.literal[seg] = &node{}
			}
			n = n.literal[seg]
			continue
		}
		if n.param == nil {
			n.param = &node{}
		}
		n = n.param
	}
	if n.routes == nil {
		n.routes = map[string]*Route{}
	}
	for _, other := range n.routes {
		if other.Path != r.Path {
			return fmt.Errorf("its path %s and %s of route %q name a parameter differently at the same place; use one name", r.Path, other.Path, other.Key)
		}
	}
	n.routes[r.Method] = r
	c.routes[r.Key] = r
	c.pathTokens = c.pathTokens || r.tokenInPath()
	return nil
}

// paramName returns the name of a "{name}" segment.
func paramName(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

func parseRoute(key string, rd routeDoc, sharedFields map[string]*field, sharedErrors map[string]ErrorRule, getenv func(string) string) (*Route, error) {
	method, path, ok := strings.Cut(key, " ")
	if !ok || !slices.Contains(methods, method) || !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf(`the key must be "METHOD /path" with METHOD one of %s, such as "POST /orders"`, strings.Join(methods, ", "))
	}
	segments := strings.Split(path[1:], "/")
	var params []string
	for _, seg := range segments {
		name, isParam := paramName(seg)
		switch {
		case seg == "":
			return nil, fmt.Errorf("path %s has an empty segment (the API's greedy resource serves no bare / either)", path)
		case isParam && !paramPattern.MatchString(name):
			return nil, fmt.Errorf("path %s: parameter {%s}: a name of letters, digits and _ (a greedy {name+} is not served)", path, name)
		case isParam && slices.Contains(params, name):
			return nil, fmt.Errorf("path %s names {%s} twice", path, name)
		case isParam:
			params = append(params, name)
		case strings.ContainsAny(seg, "{}"):
			return nil, fmt.Errorf("path %s: segment %q is neither literal nor one {parameter}", path, seg)
		}
	}
	r := &Route{Key: key, Method: method, Path: path, Mode: rd.Mode, segments: segments, body: rd.Input.Body,
		path: rd.Input.Path, query: rd.Input.Query, required: rd.Required}
	var err error
	if r.StateMachine, err = execution.ParseStateMachine(rd.StateMachine); err != nil {
		return nil, err
	}
	switch {
	case r.Mode == Callback:
		if err := r.parseCallback(rd, params); err != nil {
			return nil, err
		}
	case r.Mode != Sync && r.Mode != Async:
		return nil, fmt.Errorf("mode %q: want %q, %q or %q", rd.Mode, Sync, Async, Callback)
	case rd.Token != nil || rd.Outcome != "":
		return nil, fmt.Errorf("token and outcome belong to %q routes; this one is %q", Callback, r.Mode)
	}
	takesNothing := !r.body && len(r.path) == 0 && len(r.query) == 0 && len(rd.Input.Fixed) == 0
	if takesNothing && (r.Mode != Callback || r.Outcome == Success) {
		return nil, errors.New("input takes nothing: set body, path, query or fixed")
	}
	for _, p := range r.path {
		if !slices.Contains(params, p) {
			return nil, fmt.Errorf("input.path names %q, which is not a parameter of %s", p, path)
		}
	}
	for _, name := range r.required {
		_, fixed := rd.Input.Fixed[name]
		if !r.body && !fixed && !slices.Contains(r.path, name) && !slices.Contains(r.query, name) {
			return nil, fmt.Errorf("required field %q can come from none of the route's inputs: add it to input.path, input.query or input.fixed, or set input.body", name)
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
	r.fieldOrder = slices.Sorted(maps.Keys(r.fields))
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
			if !anchored(fd.Pattern) {
				return nil, fmt.Errorf("field %q: pattern %s is not anchored: write ^…$ around the whole of it (^(a|b)$, not ^a|b$), or a value that merely contains a match passes", name, fd.Pattern)
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

// Match finds the route of a request. Through the API's greedy resource (/{proxy+}, the way every
// start route reaches the function) it matches the method and the path the resource matched
// against the routes' templates, literal segments before parameters as API Gateway does, and
// returns the path parameters (still percent-encoded, as a REST API passes them). A request through
// a resource of its own (an operation declared for one route) is matched by method and resource.
// An unknown path is answered 404 NotFound, a known path with another method 405
// MethodNotAllowed with Allow.
func (c *Config) Match(req *events.APIGatewayProxyRequest) (*Route, map[string]string, error) {
	path, greedy := matchedPath(req)
	if !greedy {
		if r, ok := c.routes[req.HTTPMethod+" "+req.Resource]; ok {
			return r, req.PathParameters, nil
		}
		path = req.Resource
	}
	path = strings.Trim(path, "/")
	n := c.tree.find(path)
	r, ok := (*Route)(nil), false
	if n != nil {
		r, ok = n.routes[req.HTTPMethod]
	}
	switch {
	case n == nil || (ok && !greedy): // a resource of its own that no route declares
		return nil, nil, httpapi.NewError(http.StatusNotFound, "NotFound",
			fmt.Sprintf("No route of this API serves /%s.", path))
	case !ok:
		allow := slices.Sorted(maps.Keys(n.routes))
		shown := "/" + path
		for _, other := range n.routes {
			if other.tokenInPath() {
				shown = other.Path // the path holds a task token, a secret: name the template
			}
		}
		return nil, nil, httpapi.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("%s does not serve %s; use %s.", shown, req.HTTPMethod, strings.Join(allow, " or "))).
			WithHeader("Allow", strings.Join(allow, ", "))
	}
	var params map[string]string
	for _, seg := range r.segments {
		var value string
		value, path, _ = strings.Cut(path, "/")
		if name, ok := paramName(seg); ok {
			if params == nil {
				params = make(map[string]string, 2)
			}
			params[name] = value
		}
	}
	return r, params, nil
}

// LogPath is the request's path fit for its log line: when the path is one whose routes take a
// task token from it, the token's segment is replaced by its hash (Route.RedactPath), whatever the
// method; any other path is returned as it is.
func (c *Config) LogPath(req *events.APIGatewayProxyRequest) string {
	if !c.pathTokens {
		return req.Path
	}
	path, greedy := matchedPath(req)
	if !greedy {
		path = req.Resource
	}
	if n := c.tree.find(strings.Trim(path, "/")); n != nil {
		for _, r := range n.routes {
			if r.tokenInPath() {
				return r.RedactPath(req.Path)
			}
		}
	}
	return req.Path
}

// matchedPath is the path a greedy resource ({name+}, last) matched: the resource's literal
// prefix and the parameter's value. It is the same whatever stage or custom-domain base path the
// caller used, unlike the event's path, which holds a custom domain's base path.
func matchedPath(req *events.APIGatewayProxyRequest) (string, bool) {
	prefix, last, _ := strings.Cut(req.Resource, "{")
	name, greedy := strings.CutSuffix(last, "+}")
	if !greedy || strings.ContainsAny(name, "{}/") {
		return "", false
	}
	if prefix == "/" {
		return req.PathParameters[name], true // /{proxy+}: the value is the path
	}
	return prefix + req.PathParameters[name], true
}

// find returns the node whose routes serve path (its segments joined by "/", no leading or
// trailing "/"): a literal child first, then the parameter child, backtracking as API Gateway's
// resource tree does.
func (n *node) find(path string) *node {
	seg, rest, more := strings.Cut(path, "/")
	if seg == "" {
		return nil // the root, or an empty segment ("//"): no route has either
	}
	if child := n.literal[seg]; child != nil {
		if found := child.next(rest, more); found != nil {
			return found
		}
	}
	if n.param != nil {
		return n.param.next(rest, more)
	}
	return nil
}

// next is find on the rest of a path after one segment.
func (n *node) next(rest string, more bool) *node {
	if !more {
		if len(n.routes) > 0 {
			return n
		}
		return nil
	}
	return n.find(rest)
}

// Route returns the route declared with key ("METHOD /path").
func (c *Config) Route(key string) (*Route, bool) {
	r, ok := c.routes[key]
	return r, ok
}

// Keys lists the configured routes, sorted.
func (c *Config) Keys() []string { return slices.Sorted(maps.Keys(c.routes)) }

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

// anchored reports whether a pattern can match only a whole value: every way through it starts
// at ^ (the beginning of the text) and ends at $ (its end).
func anchored(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	return anchoredAt(re, true) && anchoredAt(re, false)
}

// anchoredAt reports whether every match of re begins at the text's beginning (start) or ends at
// its end (!start).
func anchoredAt(re *syntax.Regexp, start bool) bool {
	switch re.Op {
	case syntax.OpBeginText:
		return start
	case syntax.OpEndText:
		return !start
	case syntax.OpCapture:
		return anchoredAt(re.Sub[0], start)
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return false
		}
		if start {
			return anchoredAt(re.Sub[0], start)
		}
		return anchoredAt(re.Sub[len(re.Sub)-1], start)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !anchoredAt(sub, start) {
				return false
			}
		}
		return true
	}
	return false
}
