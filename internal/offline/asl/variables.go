package asl

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Variable limits documented on "Passing data between states with
// variables": one variable's value and the values one Assign sets are at
// most 256 KiB; all variables of an execution at most 10 MiB.
const (
	maxVariableBytes     = 256 * 1024
	maxAssignBytes       = 256 * 1024
	maxAllVariablesBytes = 10 * 1024 * 1024
	maxVariableNameChars = 80
)

var variableName = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_]*$`)

// scope holds the workflow variables one thread can assign. A Parallel
// branch or Map iteration gets its own scope whose parent is the state's:
// it reads the outer variables but its assignments stay inside.
type scope struct {
	parent *scope
	mu     sync.RWMutex
	vars   map[string]any
	sizes  map[string]int
}

func (s *scope) lookup(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		c.mu.RLock()
		v, ok := c.vars[name]
		c.mu.RUnlock()
		if ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) child() *scope { return &scope{parent: s} }

// all returns every variable the scope sees, inner ones first.
func (s *scope) all() map[string]any {
	out := map[string]any{}
	for c := s; c != nil; c = c.parent {
		c.mu.RLock()
		for k, v := range c.vars {
			if _, shadowed := out[k]; !shadowed {
				out[k] = v
			}
		}
		c.mu.RUnlock()
	}
	return out
}

// set stores the assignments after checking the size limits; texts are
// the values' JSON, which the Exited event also shows.
func (s *scope) set(vars map[string]any, texts map[string]string) error {
	total := 0
	for _, t := range texts {
		total += len(t)
	}
	if total > maxAssignBytes {
		return failf(ErrNameRuntime, "The assigned variables exceed the maximum size of %d bytes for one Assign.", maxAssignBytes)
	}
	for k := range vars {
		if _, outer := s.parent.lookup(k); outer {
			// A Map iteration or Parallel branch reads the outer variables
			// but may not rebind them.
			return failf(ErrNameRuntime, "Cannot bind value '%s' to variable '%s' as it belongs to an outer scope.", texts[k], k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vars == nil {
		s.vars, s.sizes = map[string]any{}, map[string]int{}
	}
	all := total
	for c := s; c != nil; c = c.parent {
		for k, n := range c.sizes {
			if _, replaced := texts[k]; !replaced || c != s {
				all += n
			}
		}
	}
	if all > maxAllVariablesBytes {
		return failf(ErrNameRuntime, "The workflow variables exceed the maximum total size of %d bytes.", maxAllVariablesBytes)
	}
	for k, v := range vars {
		s.vars[k] = v
		s.sizes[k] = len(texts[k])
	}
	return nil
}

// assign compiles an Assign field in the decoder's language: a JSONPath
// template ("name.$": path or intrinsic) or a JSONata template.
func (d *decoder) assign(obj map[string]any, loc string) *field {
	v, ok := obj["Assign"]
	if !ok {
		return nil
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'Assign' must be an OBJECT", loc+"/Assign")
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		name := k
		if d.lang == QueryLanguageJSONPath {
			name = strings.TrimSuffix(k, ".$")
		}
		switch {
		case name == "states":
			d.problem(CodeSchemaValidationFailed, "The variable name 'states' is reserved", loc+"/Assign/"+k)
		case len([]rune(name)) > maxVariableNameChars || !variableName.MatchString(name):
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The variable name '%s' is not valid: it must start with a letter or '_', hold only letters, digits and '_', and be at most %d characters", name, maxVariableNameChars), loc+"/Assign/"+k)
		}
	}
	return d.template(m, loc+"/Assign", "Assign")
}

// collectVariableNames lists every name any Assign of the definition sets,
// so that JSONata expressions can be compiled knowing which $names are
// workflow variables.
func collectVariableNames(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "Assign" {
				if m, ok := e.(map[string]any); ok {
					for name := range m {
						into[strings.TrimSuffix(name, ".$")] = true
					}
				}
			}
			collectVariableNames(e, into)
		}
	case []any:
		for _, e := range v {
			collectVariableNames(e, into)
		}
	}
}
