package offline

import (
	"fmt"
	"log/slog"
	"maps"
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
	instance := "i-…"
	if len(ids) > 0 {
		instance = ids[0]
	}
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
	// The sample's routes, when the template declares them.
	if s.declares("POST", "/express-instance") {
		fmt.Fprintf(&b, "  curl -s -X POST %s/express-instance -d '{\"instance_id\":\"%s\"}'\n", api, instance)
	}
	if s.declares("POST", "/standard-instance") {
		fmt.Fprintf(&b, "  curl -si -X POST %s/standard-instance -H 'Idempotency-Key: demo-1' -d '{\"instance_id\":\"%s\",\"action\":\"start\"}'\n", api, instance)
		fmt.Fprintf(&b, "  curl -s \"<the Location header of the previous answer>?wait=20\"\n")
	}
	if s.declares("GET", "/instances/{instance_id}") {
		fmt.Fprintf(&b, "  curl -s %s/instances/%s\n", api, instance)
	}
	fmt.Fprintf(&b, "  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=%s\n", Region)
	fmt.Fprintf(&b, "  aws --endpoint-url %s stepfunctions list-state-machines\n", s.AWSURL)
	if arn, ok := s.StateMachineARNs["ExpressStateMachine"]; ok {
		fmt.Fprintf(&b, "  HTTP_PROXY=%s aws --endpoint-url %s stepfunctions start-sync-execution --state-machine-arn %s --input '{\"instance_id\":\"%s\"}'\n",
			s.AWSURL, s.AWSURL, arn, instance)
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

// declares reports whether the template declares the route.
func (s *Stack) declares(method, path string) bool {
	return slices.ContainsFunc(s.Routes, func(r DeclaredRoute) bool { return r.Method == method && r.Path == path })
}
