package samtemplate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// FunctionFolder is the folder, relative to the repository root, holding the Go package of the
// function logicalID: "<Name>Function" lives in functions/<name in lower case>. The template is
// the only list of functions; this rule (also the Makefile's build-%Function rule) finds their
// code, so adding a function takes a resource, a folder and fixtures, and no list to edit.
func FunctionFolder(logicalID string) (string, error) {
	name, ok := strings.CutSuffix(logicalID, "Function")
	if !ok || name == "" || !isAlnum(name) {
		return "", fmt.Errorf("function %q: a function's logical ID is <Name>Function, its code in functions/<name>", logicalID)
	}
	return "functions/" + strings.ToLower(name), nil
}

func isAlnum(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// FunctionByFolder returns the logical ID of the template's function whose folder is
// functions/<name>, or name itself when it is already one of the template's logical IDs.
func (t *Template) FunctionByFolder(name string) (string, error) {
	functions := t.logicalIDsOfType("AWS::Serverless::Function")
	var folders []string
	for _, id := range functions {
		if id == name {
			return id, nil
		}
		dir, err := FunctionFolder(id)
		if err != nil {
			return "", err
		}
		folder := strings.TrimPrefix(dir, "functions/")
		if folder == name {
			return id, nil
		}
		folders = append(folders, folder)
	}
	sort.Strings(folders)
	return "", fmt.Errorf("no function %q in the template (try %s, or a logical ID)", name, strings.Join(folders, ", "))
}

// FixtureOwner names the function an event fixture is for. An API Gateway proxy event (it has
// httpMethod and resource) belongs to the function the template routes that method and resource
// to; any other event is a direct invocation (a task event) and belongs to the function whose
// folder name starts the file name: ec2toggle-check.json is for functions/ec2toggle.
func (t *Template) FixtureOwner(file string, event []byte) (string, error) {
	var probe struct {
		HTTPMethod *string `json:"httpMethod"`
		Resource   *string `json:"resource"`
	}
	if err := json.Unmarshal(event, &probe); err == nil && probe.HTTPMethod != nil && probe.Resource != nil {
		routes, err := t.Routes()
		if err != nil {
			return "", err
		}
		for _, r := range routes {
			if r.Path == *probe.Resource && (r.Method == *probe.HTTPMethod || r.Method == "ANY") && r.FunctionLogicalID != "" {
				return r.FunctionLogicalID, nil
			}
		}
		return "", fmt.Errorf("%s: no route of the template serves %s %s", file, *probe.HTTPMethod, *probe.Resource)
	}
	base := filepath.Base(file)
	for _, id := range t.logicalIDsOfType("AWS::Serverless::Function") {
		dir, err := FunctionFolder(id)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(base, strings.TrimPrefix(dir, "functions/")+"-") {
			return id, nil
		}
	}
	return "", fmt.Errorf("%s: not an API Gateway proxy event, and no function's folder name starts the file name", file)
}

// Fixtures returns the *.json files in dir that FixtureOwner gives to function logicalID, sorted.
// A file no function owns is an error, so no fixture goes untested.
func (t *Template) Fixtures(dir, logicalID string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		owner, err := t.FixtureOwner(file, data)
		if err != nil {
			return nil, err
		}
		if owner == logicalID {
			out = append(out, file)
		}
	}
	return out, nil
}

// RepoFixtures loads root/template.yaml and returns the fixtures in root/events that belong to
// function logicalID: what each function's tests run.
func RepoFixtures(root, logicalID string) ([]string, error) {
	t, err := Load(filepath.Join(root, "template.yaml"), Options{})
	if err != nil {
		return nil, err
	}
	return t.Fixtures(filepath.Join(root, "events"), logicalID)
}

// Templates lists the repository's SAM templates, relative to its root: template.yaml, then each
// example's examples/<name>/template.yaml, sorted. Each is a stepgate stack, and the checks that
// hold for one (cfn-lint, the SAM translator per AuthMode, the routes and roles) hold for all.
func Templates(root string) ([]string, error) {
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*", "template.yaml"))
	if err != nil {
		return nil, err
	}
	out := []string{"template.yaml"}
	for _, path := range examples {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return nil, err
		}
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out[1:])
	return out, nil
}
