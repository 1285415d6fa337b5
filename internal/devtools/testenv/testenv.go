// Package testenv is the one place that knows the test environment (STYLE.md point 16, after Go's
// internal/testenv): which programs and packages outside Go a test may need, how to install each,
// and what a missing one means. On a developer's machine the test is skipped, saying what to
// install, so that `make test` still runs everything else; in CI, which installs them all
// (.ci/run), it fails, so that a check never silently stops running.
package testenv

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI: CI set to any non-empty value. .ci/run sets CI=true,
// GitHub Actions and GitLab CI set "true", other services "1"; all of them count.
func InCI() bool { return os.Getenv("CI") != "" }

// Unavailable ends the test because something it needs is not on this machine: a skip that says
// what is missing and how to install it, or, in CI, a failure.
func Unavailable(t testing.TB, missing, install string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s, and CI=%q: CI installs it (%s), so this test may not be skipped", missing, os.Getenv("CI"), install)
		return
	}
	t.Skipf("SKIPPED: %s; install it to run this test: %s", missing, install)
}

// Program is a program a test runs, under any of its names.
type Program struct {
	Names   []string // the first found on PATH is used
	Install string   // how to install it
}

// The programs the tests run.
var (
	// AWSCLI is the AWS CLI, any version: an independent client of the local endpoint.
	AWSCLI = Program{Names: []string{"aws"}, Install: "`apt-get install awscli`, `brew install awscli` or `pip install awscli`"}
	// Chromium runs the dashboard's page headless.
	Chromium = Program{Names: []string{"chromium", "chromium-browser", "google-chrome"}, Install: "`apt-get install chromium`"}
	// Make is GNU make, which runs the build recipes the tests check.
	Make = Program{Names: []string{"make"}, Install: "`apt-get install make`"}
	// PS is ps(1), the process-memory fallback where there is no /proc.
	PS = Program{Names: []string{"ps"}, Install: "`apt-get install procps`"}
	// Node is Node.js, which runs the ASL validators and the second interpreters (NodeModule).
	Node = Program{Names: []string{"node"}, Install: "Node.js 20 (`apt-get install nodejs npm`), then `make node-tools`"}
)

// MustHaveExecPath returns the path of p on PATH, or ends the test through Unavailable.
func MustHaveExecPath(t testing.TB, p Program) string {
	t.Helper()
	for _, name := range p.Names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	Unavailable(t, strings.Join(p.Names, " or ")+" is not on PATH", p.Install)
	return ""
}

// MustHaveNodeModule returns the path of node, and ends the test through Unavailable unless node
// is on PATH and `make node-tools` has installed the npm package module into tools/node.
func MustHaveNodeModule(t testing.TB, module string) string {
	t.Helper()
	node := MustHaveExecPath(t, Node)
	manifest := filepath.Join(NodeTools(t), "node_modules", module, "package.json")
	if _, err := os.Stat(manifest); err != nil {
		Unavailable(t, "tools/node/node_modules/"+module+" is not installed", "`make node-tools` (npm ci in tools/node)")
	}
	return node
}

// NodeTools returns the absolute path of the repository's tools/node, where `make node-tools`
// installs the npm packages and where the tests' Node scripts live.
func NodeTools(t testing.TB) string {
	t.Helper()
	return filepath.Join(ModuleRoot(t), "tools", "node")
}

// pipPackages names the pip package of each Python module the tests import: AWS's template tools.
var pipPackages = map[string]string{"cfnlint": "cfn-lint", "samtranslator": "aws-sam-translator"}

// MustHavePythonModules ends the test through Unavailable unless python3 imports every module.
func MustHavePythonModules(t testing.TB, modules ...string) {
	t.Helper()
	python := MustHaveExecPath(t, Program{Names: []string{"python3"}, Install: "`apt-get install python3`"})
	out, err := exec.Command(python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err != nil {
		pip := make([]string, len(modules))
		for i, m := range modules {
			pip[i] = cmp.Or(pipPackages[m], m)
		}
		Unavailable(t, fmt.Sprintf("python3 cannot import %s (%v: %s)", strings.Join(modules, ", "), err, strings.TrimSpace(string(out))),
			"`pip install "+strings.Join(pip, " ")+"`")
	}
}

// ModuleRoot returns the directory of go.mod above the test's working directory (go test runs a
// test in its package's directory): the repository's root.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
}
