package offline

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Announce puts on the console what a newcomer needs once the stack serves, in the console's
// format. For people (text): the banner, with where things listen, what is not enforced, the
// instance IDs and commands to paste. For machines (json): one "stack ready" record holding every
// URL. dashboardURL is "" when no dashboard runs. Both show whatever the console's level.
func (s *Stack) Announce(dashboardURL string) {
	if s.console.json {
		attrs := []slog.Attr{
			slog.String("service", "stepgate"),
			slog.String("apiUrl", s.APIURL),
			slog.String("awsUrl", s.AWSURL),
			slog.String("stage", s.StageName),
			slog.Any("instances", s.InstanceIDs),
			slog.Any("stateMachines", s.StateMachineARNs),
			slog.Any("routes", s.Routes),
			slog.Bool("authEnforced", false),
			slog.Float64("timeScale", s.timeScale),
		}
		if dashboardURL != "" {
			attrs = append(attrs, slog.String("dashboardUrl", dashboardURL))
		}
		if s.mockFile != "" {
			attrs = append(attrs, slog.String("mockConfig", s.mockFile), slog.Any("mockTestCases", s.mockDefaults))
		}
		s.console.always("stack ready", attrs...)
		return
	}
	ids := slices.Sorted(maps.Values(s.InstanceIDs))
	api := strings.TrimPrefix(s.APIURL, "http://")
	var b strings.Builder
	fmt.Fprintf(&b, "\nstepgate offline stack is up (no AWS account, no Docker)\n\n")
	fmt.Fprintf(&b, "  API           %s   (stage %q; auth NOT enforced locally: loopback only)\n", s.APIURL, s.StageName)
	fmt.Fprintf(&b, "  AWS endpoint  %s   (Step Functions + EC2)\n", s.AWSURL)
	if dashboardURL != "" {
		fmt.Fprintf(&b, "  dashboard     %s\n", dashboardURL)
	}
	if len(ids) > 0 {
		fmt.Fprintf(&b, "  instances     %s\n", strings.Join(ids, ", "))
	}
	// The state machines by logical ID, then one line per declared route: method, path, mode and
	// the machine it starts (by name).
	machines := slices.Sorted(maps.Keys(s.StateMachineARNs))
	idWidth := 0
	for _, id := range machines {
		idWidth = max(idWidth, len(id))
	}
	for i, id := range machines {
		fmt.Fprintf(&b, "  %-13s %-*s  %s\n", label(i, "machines"), idWidth, id, s.StateMachineARNs[id])
	}
	// A callback route's mode names its outcome too: "callback success".
	mode := func(r DeclaredRoute) string { return strings.TrimSpace(r.Mode + " " + r.Outcome) }
	methodWidth, pathWidth, modeWidth := 0, 0, 5
	for _, r := range s.Routes {
		methodWidth, pathWidth, modeWidth = max(methodWidth, len(r.Method)), max(pathWidth, len(r.Path)), max(modeWidth, len(mode(r)))
	}
	for i, r := range s.Routes {
		machine := r.StateMachineARN[strings.LastIndexByte(r.StateMachineARN, ':')+1:]
		fmt.Fprintf(&b, "  %-13s %-*s %-*s  %-*s → %s\n", label(i, "routes"), methodWidth, r.Method, pathWidth, r.Path, modeWidth, mode(r), machine)
	}
	if s.mockFile != "" {
		var defaults []string
		for _, m := range slices.Sorted(maps.Keys(s.mockDefaults)) {
			defaults = append(defaults, m+"="+s.mockDefaults[m])
		}
		how := "StartExecution on <stateMachineArn>#<TestCaseName> runs a test case"
		if len(defaults) > 0 {
			how += "; executions that name none run " + strings.Join(defaults, ", ")
		}
		fmt.Fprintf(&b, "  mocks         %s (%s)\n", s.mockFile, how)
	}
	if s.timeScale != 1 {
		fmt.Fprintf(&b, "  time          workflows run %gx faster than real time (-time-scale)\n", s.timeScale)
	}
	fmt.Fprintf(&b, "\nTry:\n")
	var syncExample *routeExample
	for _, r := range s.Routes {
		ex, ok := exampleOf(r)
		if !ok {
			continue
		}
		switch r.Mode {
		case "sync":
			fmt.Fprintf(&b, "  curl -s%s %s%s\n", ex.methodFlag(), ex.url(api), ex.bodyFlag())
			if syncExample == nil {
				syncExample = &ex
			}
		case "async":
			fmt.Fprintf(&b, "  curl -si%s %s -H 'Idempotency-Key: demo-1'%s\n", ex.methodFlag(), ex.url(api), ex.bodyFlag())
		}
	}
	if slices.ContainsFunc(s.Routes, func(r DeclaredRoute) bool { return r.Mode == "async" }) {
		fmt.Fprintf(&b, "  curl -s \"<the Location header of an async answer>?wait=20\"\n")
	}
	fmt.Fprintf(&b, "  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=%s\n", Region)
	fmt.Fprintf(&b, "  aws --endpoint-url %s stepfunctions list-state-machines\n", s.AWSURL)
	if syncExample != nil && syncExample.body != "" {
		fmt.Fprintf(&b, "  HTTP_PROXY=%s aws --endpoint-url %s stepfunctions start-sync-execution --state-machine-arn %s --input '%s'\n",
			s.AWSURL, s.AWSURL, syncExample.route.StateMachineARN, syncExample.body)
	}
	fmt.Fprintf(&b, "\nState lives in this process: a restart begins afresh (instances stopped, no executions).\n")
	fmt.Fprintf(&b, "Ctrl-C stops everything (requests in flight get %s to finish). -v shows every AWS call and function log line.\n\n", s.drain)
	_, _ = fmt.Fprint(s.console.out, b.String())
}

// AnnounceStop says on the console that the stack is stopping and how long requests in flight
// get, before Close.
func (s *Stack) AnnounceStop() {
	if s.console.json {
		s.console.always("stopping", slog.String("service", "stepgate"), slog.Duration("drain", s.drain))
		return
	}
	// A line of its own: the terminal has just echoed ^C.
	_, _ = fmt.Fprintf(s.console.out, "\nstopping: requests in flight get %s to finish…\n", s.drain)
}

// label is a banner section's label on its first line only.
func label(i int, name string) string {
	if i == 0 {
		return name
	}
	return ""
}

// routeExample is a request a declared route accepts, for the banner's "Try" lines: its path
// parameters, required query parameters and required body fields filled with a value the route's
// field rules accept.
type routeExample struct {
	route DeclaredRoute
	path  string // the path, parameters filled, query string included
	body  string // the JSON body, "" when the route takes none
}

// exampleOf builds a request for a sync or async route from its description (the route reader's
// JSON: input sources, required fields, field rules); false for other routes.
func exampleOf(r DeclaredRoute) (routeExample, bool) {
	if r.Mode != "sync" && r.Mode != "async" {
		return routeExample{}, false
	}
	var d struct {
		Input struct {
			Body  bool                       `json:"body"`
			Path  []string                   `json:"path"`
			Query []string                   `json:"query"`
			Fixed map[string]json.RawMessage `json:"fixed"`
		} `json:"input"`
		Required []string `json:"required"`
		Fields   []struct {
			Name    string   `json:"name"`
			Pattern string   `json:"pattern"`
			Allowed []string `json:"allowed"`
		} `json:"fields"`
	}
	if len(r.Description) > 0 {
		if err := json.Unmarshal(r.Description, &d); err != nil {
			return routeExample{}, false
		}
	}
	value := func(name string) string {
		for _, f := range d.Fields {
			if f.Name != name {
				continue
			}
			if len(f.Allowed) > 0 {
				return f.Allowed[0]
			}
			if v, ok := firstAlternative(f.Pattern); ok {
				return v
			}
		}
		// A placeholder to edit, safe in a shell word and in JSON.
		return strings.ToUpper(name)
	}
	ex := routeExample{route: r, path: r.Path}
	for _, p := range d.Input.Path {
		ex.path = strings.ReplaceAll(ex.path, "{"+p+"}", url.PathEscape(value(p)))
		ex.path = strings.ReplaceAll(ex.path, "{"+p+"+}", value(p))
	}
	q := url.Values{}
	given := map[string]bool{}
	for _, name := range slices.Concat(d.Input.Path, slices.Collect(maps.Keys(d.Input.Fixed))) {
		given[name] = true
	}
	for _, name := range d.Input.Query {
		if slices.Contains(d.Required, name) {
			q.Set(name, value(name))
			given[name] = true
		}
	}
	if len(q) > 0 {
		ex.path += "?" + q.Encode()
	}
	if d.Input.Body {
		body := map[string]string{}
		for _, name := range d.Required {
			if !given[name] {
				body[name] = value(name)
			}
		}
		text, err := json.Marshal(body)
		if err != nil {
			return routeExample{}, false
		}
		ex.body = string(text)
	}
	return ex, true
}

// methodFlag is curl's method flag for the example: none for a GET without a body.
func (ex routeExample) methodFlag() string {
	if ex.route.Method == "GET" && ex.body == "" {
		return ""
	}
	return " -X " + ex.route.Method
}

// url is the example's URL on the API at api (host and port), quoted when a shell would read its
// query string as a pattern.
func (ex routeExample) url(api string) string {
	u := api + ex.path
	if strings.ContainsAny(u, "?&") {
		return "'" + u + "'"
	}
	return u
}

// bodyFlag is curl's body flag for the example, if it has a body.
func (ex routeExample) bodyFlag() string {
	if ex.body == "" {
		return ""
	}
	return " -d '" + ex.body + "'"
}

// firstAlternative reads a value from a pattern that spells its values out, "^literal$" or
// "^(a|b|c)$" (the first); false for any other pattern.
func firstAlternative(pattern string) (string, bool) {
	inner, ok := strings.CutPrefix(pattern, "^")
	if !ok {
		return "", false
	}
	if inner, ok = strings.CutSuffix(inner, "$"); !ok {
		return "", false
	}
	if group, ok := strings.CutPrefix(inner, "("); ok {
		if group, ok = strings.CutSuffix(group, ")"); ok {
			inner, _, _ = strings.Cut(group, "|")
		}
	}
	if inner == "" || strings.ContainsAny(inner, `\.[]{}()*+?|^$`) {
		return "", false
	}
	return inner, true
}
