// Package addworkflow applies README.md's "Add your workflow" steps to a template, so that tests
// add workflows with exactly the lines the README tells a user to write and the two cannot drift:
// the README's first yaml block of that section goes under Resources:, its first text block (route
// entries) at the top of StartFunction's ROUTES "routes" object.
package addworkflow

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Section is the README heading the steps live under.
const Section = "## Add your workflow"

// Steps are the lines the README tells a user to write.
type Steps struct {
	// Resources are the state machines, indented as under Resources: (two spaces).
	Resources string
	// Routes are the ROUTES entries, indented as inside the "routes" object, each ending in a comma.
	Routes string
}

// FromREADME reads the steps from the README's Section.
func FromREADME(readme []byte) (Steps, error) {
	_, section, ok := bytes.Cut(readme, []byte("\n"+Section+"\n"))
	if !ok {
		return Steps{}, fmt.Errorf("README has no %q section", Section)
	}
	if end := bytes.Index(section, []byte("\n## ")); end >= 0 {
		section = section[:end]
	}
	var s Steps
	var err error
	if s.Resources, err = block(section, "yaml"); err != nil {
		return Steps{}, err
	}
	if s.Routes, err = block(section, "text"); err != nil {
		return Steps{}, err
	}
	return s, nil
}

// block returns the first fenced block of the given info string.
func block(section []byte, info string) (string, error) {
	_, rest, ok := bytes.Cut(section, []byte("\n```"+info+"\n"))
	if !ok {
		return "", fmt.Errorf("the %q section has no ```%s block", Section, info)
	}
	body, _, ok := bytes.Cut(rest, []byte("\n```"))
	if !ok {
		return "", fmt.Errorf("the %q section's ```%s block is not closed", Section, info)
	}
	return string(body) + "\n", nil
}

// routesOpen is where ROUTES' "routes" object opens in template.yaml.
const routesOpen = "ROUTES: !Sub |\n            {\"routes\": {\n"

// Apply returns template with the steps applied.
func (s Steps) Apply(template []byte) ([]byte, error) {
	t := string(template)
	before, after, ok := strings.Cut(t, "\nResources:\n")
	if !ok {
		return nil, errors.New("the template has no Resources: section")
	}
	t = before + "\nResources:\n" + s.Resources + "\n" + after
	before, after, ok = strings.Cut(t, routesOpen)
	if !ok {
		return nil, fmt.Errorf("the template has no %q", routesOpen)
	}
	return []byte(before + routesOpen + s.Routes + after), nil
}

// FromRepo returns root's template.yaml with root's README.md steps applied.
func FromRepo(root string) ([]byte, error) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, err
	}
	steps, err := FromREADME(readme)
	if err != nil {
		return nil, err
	}
	template, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	return steps.Apply(template)
}

// Copy writes template as dir/template.yaml beside a link to root's statemachines/ (which the
// template's DefinitionUri values name), and returns its path: a changed template the offline
// stack and AWS's tools can load.
func Copy(dir, root string, template []byte) (string, error) {
	machines, err := filepath.Abs(filepath.Join(root, "statemachines"))
	if err != nil {
		return "", err
	}
	if err := os.Symlink(machines, filepath.Join(dir, "statemachines")); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "template.yaml")
	return path, os.WriteFile(path, template, 0o644)
}

// CopyFromRepo writes root's template.yaml with root's README.md steps applied into dir (as Copy
// does) and returns its path: the stack a user has once they followed the README.
func CopyFromRepo(dir, root string) (string, error) {
	template, err := FromRepo(root)
	if err != nil {
		return "", err
	}
	return Copy(dir, root, template)
}
