package addworkflow

import (
	"os"
	"strings"
	"testing"
)

// TestLinesPerWorkflow counts what a user writes in template.yaml for README "Add your workflow"'s
// two workflows, after (the README's own lines) and before (testdata/before-7e6b677.diff: the same
// two workflows added to main at 7e6b677 the way its README said, checked there by its template
// tests, cfn-lint and the SAM translator). Lines are non-blank lines added or changed; a place is
// a contiguous edit (a hunk of `diff -U0`). docs/performance.md quotes its log:
//
//	go test -count=1 -run TestLinesPerWorkflow -v ./internal/devtools/addworkflow/
func TestLinesPerWorkflow(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := FromREADME(readme)
	if err != nil {
		t.Fatal(err)
	}
	diff, err := os.ReadFile("testdata/before-7e6b677.diff")
	if err != nil {
		t.Fatal(err)
	}
	machines, name := nonBlank(steps.Resources), 0
	for _, l := range strings.Split(steps.Resources, "\n") {
		if strings.Contains(l, "Name: !Sub ${AWS::StackName}_") {
			name++
		}
	}
	routes := nonBlank(steps.Routes)
	var added []string
	places := 0
	for _, l := range strings.Split(string(diff), "\n") {
		switch {
		case strings.HasPrefix(l, "@@"):
			places++
		case strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++") && strings.TrimSpace(l[1:]) != "":
			added = append(added, l[1:])
		}
	}
	// The before diff holds the same machines (without Name) and ROUTES entries in their first two
	// hunks; the rest is what a route needed besides.
	plumbing := len(added) - (machines - name) - routes
	t.Logf("before: %d lines in %d places: state machines %d, ROUTES %d, API operations, permissions and IAM %d lines in %d places",
		len(added), places, machines-name, routes, plumbing, places-2)
	t.Logf("after:  %d lines in 2 places: state machines %d (%d of them the Name lines), ROUTES %d; nothing else",
		machines+routes, machines, name, routes)
	t.Logf("route declaration alone: before %d lines in %d places, after %d lines (ROUTES and the Name lines) in 1 place and one line per machine",
		routes+plumbing, places-1, routes+name)
	if name != 2 || plumbing <= 0 || machines+routes >= len(added) {
		t.Errorf("unexpected counts: name %d, plumbing %d, after %d, before %d", name, plumbing, machines+routes, len(added))
	}
}

func nonBlank(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}
