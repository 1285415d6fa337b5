// Package internal_test holds the test that keeps the repository's three rooms apart: what the
// Lambdas ship (functions/, internal/app/), the offline stack (internal/offline/) and the tooling
// for people and tests (internal/devtools/); internal/clock and internal/tasktoken, which both the
// Lambdas and the offline stack use, stand outside all three.
package internal_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/stepgate/stepgate/"

type goPackage struct {
	ImportPath string
	Deps       []string
}

// listPackages lists every package of the module with its transitive imports.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	return pkgs
}

func under(path, room string) bool {
	return strings.HasPrefix(path, module+room+"/") || path == module+room
}

func TestBoundaries(t *testing.T) {
	rules := []struct {
		from      string
		forbidden []string
	}{
		{"functions", []string{"internal/offline", "internal/devtools"}},
		{"internal/app", []string{"internal/offline", "internal/devtools", "functions"}},
		{"internal/offline", []string{"internal/app", "functions"}},
		// internal/clock is shared by the Lambdas and the offline stack, so it reaches neither.
		{"internal/clock", []string{"internal/app", "internal/offline", "internal/devtools", "functions"}},
		// internal/tasktoken (a task token's public name) is shared alike.
		{"internal/tasktoken", []string{"internal/app", "internal/offline", "internal/devtools", "functions"}},
	}
	checked := map[string]int{}
	for _, p := range listPackages(t) {
		for _, r := range rules {
			if !under(p.ImportPath, r.from) {
				continue
			}
			checked[r.from]++
			for _, dep := range p.Deps {
				for _, f := range r.forbidden {
					if under(dep, f) {
						t.Errorf("%s reaches %s (the %s room must not depend on %s)", p.ImportPath, dep, r.from, f)
					}
				}
			}
		}
	}
	for _, r := range rules {
		if checked[r.from] == 0 {
			t.Errorf("no package under %s: the rule guards nothing", r.from)
		}
	}
}
