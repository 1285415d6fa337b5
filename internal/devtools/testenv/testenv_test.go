package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a test would have ended instead of ending it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestInCI(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"", false},
		{"true", true},
		{"1", true},
		{"false", true}, // set is set: no service sets CI to say it is not CI
	}
	for _, tt := range tests {
		t.Run("CI="+tt.value, func(t *testing.T) {
			t.Setenv("CI", tt.value)
			if got := InCI(); got != tt.want {
				t.Fatalf("InCI() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMustHaveExecPath(t *testing.T) {
	missing := Program{Names: []string{"stepgate-no-such-program", "stepgate-nor-this"}, Install: "`apt-get install nothing`"}
	tests := []struct {
		name, ci          string
		program           Program
		wantPath          bool
		wantSkip, wantErr string // substrings; "" means it must not happen
	}{
		{name: "found", program: Program{Names: []string{"stepgate-no-such-program", "go"}}, wantPath: true},
		{name: "found in CI", ci: "true", program: Program{Names: []string{"go"}}, wantPath: true},
		{name: "missing skips", program: missing, wantSkip: "stepgate-no-such-program or stepgate-nor-this is not on PATH; install it to run this test: `apt-get install nothing`"},
		{name: "missing fails with CI=true", ci: "true", program: missing, wantErr: `CI="true": CI installs it (` + "`apt-get install nothing`" + `)`},
		{name: "missing fails with CI=1", ci: "1", program: missing, wantErr: `CI="1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{}
			path := MustHaveExecPath(r, tt.program)
			if (path != "") != tt.wantPath {
				t.Errorf("path %q, want one: %v", path, tt.wantPath)
			}
			check(t, "skip", r.skipped, tt.wantSkip)
			check(t, "failure", r.failed, tt.wantErr)
		})
	}
}

func TestMustHavePythonModules(t *testing.T) {
	MustHaveExecPath(t, Program{Names: []string{"python3"}, Install: "`apt-get install python3`"})
	t.Setenv("CI", "")
	r := &recorder{}
	MustHavePythonModules(r, "json", "samtranslator_not_a_module", "cfnlint")
	check(t, "skip", r.skipped, "install it to run this test: `pip install json samtranslator_not_a_module cfn-lint`")
	r = &recorder{}
	MustHavePythonModules(r, "json")
	check(t, "skip", r.skipped, "")
}

func TestNodeTools(t *testing.T) {
	dir := NodeTools(t)
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Fatalf("NodeTools = %s: %v", dir, err)
	}
	t.Setenv("CI", "")
	r := &recorder{}
	MustHaveNodeModule(r, "stepgate-no-such-module")
	if r.failed != "" || (r.skipped == "") {
		t.Fatalf("a missing npm package: skip %q, failure %q; want a skip", r.skipped, r.failed)
	}
}

func check(t *testing.T, what, got, want string) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Errorf("unexpected %s: %s", what, got)
	case want != "" && !strings.Contains(got, want):
		t.Errorf("%s %q, want it to contain %q", what, got, want)
	}
}
