package samtemplate

// The template is the only list of functions: these tests keep the folders, the Makefile and the
// fixtures in step with it, so adding a function touches the template, its folder and its fixtures.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
)

const repoRoot = "../../.."

func TestFunctionFolder(t *testing.T) {
	cases := []struct {
		id, want string
		wantErr  bool
	}{
		{id: "StartFunction", want: "functions/start"},
		{id: "Ec2ToggleFunction", want: "functions/ec2toggle"},
		{id: "Function", wantErr: true},
		{id: "StartLambda", wantErr: true},
		{id: "Start-Function", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			got, err := FunctionFolder(c.id)
			if (err != nil) != c.wantErr || got != c.want {
				t.Fatalf("FunctionFolder(%q) = %q, %v; want %q (error %v)", c.id, got, err, c.want, c.wantErr)
			}
		})
	}
}

func templateFunctions(t *testing.T) (*Template, []string) {
	t.Helper()
	tmpl, err := Load(templatePath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := tmpl.logicalIDsOfType("AWS::Serverless::Function")
	if len(ids) == 0 {
		t.Fatal("no functions in the template")
	}
	return tmpl, ids
}

// TestFunctionFoldersMatchTemplate: every template function has its folder with a main package,
// and every folder under functions/ is a template function.
func TestFunctionFoldersMatchTemplate(t *testing.T) {
	_, ids := templateFunctions(t)
	var want []string
	for _, id := range ids {
		dir, err := FunctionFolder(id)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, dir)
		main, err := os.ReadFile(filepath.Join(repoRoot, dir, "main.go"))
		if err != nil || !strings.Contains(string(main), "package main") {
			t.Errorf("%s: %s/main.go is not a main package (%v)", id, dir, err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(repoRoot, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(want, "functions/"+e.Name()) {
			t.Errorf("functions/%s is no function of template.yaml (its logical ID would be <Name>Function)", e.Name())
		}
	}
}

// TestMakefileBuildsTemplateFunctions asks make what `sam build` and `make build` would run.
func TestMakefileBuildsTemplateFunctions(t *testing.T) {
	testenv.MustHaveExecPath(t, testenv.Make)
	_, ids := templateFunctions(t)
	dryRun := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("make", append([]string{"-s", "-n", "-C", repoRoot}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("make %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	for _, id := range ids {
		dir, _ := FunctionFolder(id)
		out := dryRun("build-"+id, "ARTIFACTS_DIR=/artifacts")
		if !regexp.MustCompile(`go build .*-o /artifacts/bootstrap \./` + regexp.QuoteMeta(dir) + `\s*$`).MatchString(out) {
			t.Errorf("make build-%s does not build ./%s into $ARTIFACTS_DIR/bootstrap:\n%s", id, dir, out)
		}
	}
	// make build compiles every package in one go build and links <LogicalId>/bootstrap to its binary.
	build := dryRun("build", "BUILD_DIR=/out")
	linkedRE := regexp.MustCompile(`ln -sf \.\./bin/([a-z0-9]+) /out/[^/\s]+/([A-Za-z0-9]+)/bootstrap`)
	linked := linkedRE.FindAllStringSubmatch(build, -1)
	var got []string
	for _, m := range linked {
		got = append(got, m[2])
		if dir, _ := FunctionFolder(m[2]); dir != "functions/"+m[1] {
			t.Errorf("make build links %s's bootstrap to the binary of %s, want %s", m[2], "functions/"+m[1], dir)
		}
		if !strings.Contains(build, " ./functions/"+m[1]+" ") {
			t.Errorf("make build does not compile ./functions/%s:\n%s", m[1], build)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("make build builds %v; the template's functions are %v", got, ids)
	}
	// TEMPLATE=examples/<name>/template.yaml builds that template's functions (make local runs it).
	for _, path := range repoTemplates(t)[1:] {
		tmpl, err := Load(filepath.Join(repoRoot, path), Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := tmpl.logicalIDsOfType("AWS::Serverless::Function")
		slices.Sort(want)
		var got []string
		for _, m := range linkedRE.FindAllStringSubmatch(dryRun("build", "BUILD_DIR=/out", "TEMPLATE="+path), -1) {
			got = append(got, m[2])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("make build TEMPLATE=%s builds %v; its functions are %v", path, got, want)
		}
		if local := dryRun("local", "TEMPLATE="+path); !strings.Contains(local, "-template "+path) {
			t.Errorf("make local TEMPLATE=%s does not run that template:\n%s", path, local)
		}
	}
}

// TestEveryFixtureHasAnOwner: each fixture in events/ is served by exactly one template function,
// whose tests run it (samtemplate.RepoFixtures).
func TestEveryFixtureHasAnOwner(t *testing.T) {
	tmpl, ids := templateFunctions(t)
	files, err := filepath.Glob(filepath.Join(repoRoot, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	owned := 0
	for _, id := range ids {
		mine, err := tmpl.Fixtures(filepath.Join(repoRoot, "events"), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) == 0 {
			t.Errorf("%s has no fixture in events/", id)
		}
		owned += len(mine)
	}
	if owned != len(files) {
		t.Errorf("%d fixtures, %d owned", len(files), owned)
	}
}

func TestFixtureOwner(t *testing.T) {
	tmpl, _ := templateFunctions(t)
	cases := []struct {
		file, event, want string
	}{
		{"x.json", `{"httpMethod":"POST","resource":"/{proxy+}"}`, "StartFunction"},
		{"x.json", `{"httpMethod":"PUT","resource":"/{proxy+}"}`, "StartFunction"},
		{"x.json", `{"httpMethod":"DELETE","resource":"/executions/{executionArn}"}`, "StatusFunction"},
		{"ec2toggle-check.json", `{"operation":"check"}`, "Ec2ToggleFunction"},
		{"x.json", `{"httpMethod":"PUT","resource":"/executions/{executionArn}"}`, ""},
		{"x.json", `{"httpMethod":"POST","resource":"/express-instance"}`, ""},
		{"task-check.json", `{"operation":"check"}`, ""},
	}
	for _, c := range cases {
		got, err := tmpl.FixtureOwner(c.file, []byte(c.event))
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("FixtureOwner(%s, %s) = %q, %v; want %q", c.file, c.event, got, err, c.want)
		}
	}
}

func TestFunctionByFolder(t *testing.T) {
	tmpl, _ := templateFunctions(t)
	for in, want := range map[string]string{"start": "StartFunction", "ec2toggle": "Ec2ToggleFunction", "StatusFunction": "StatusFunction"} {
		if got, err := tmpl.FunctionByFolder(in); got != want || err != nil {
			t.Errorf("FunctionByFolder(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := tmpl.FunctionByFolder("nope"); err == nil || !strings.Contains(err.Error(), "ec2toggle, start, status") {
		t.Errorf("FunctionByFolder(nope) error = %v; want one naming the folders", err)
	}
}
