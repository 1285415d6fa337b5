// Package allowlist is a set of permitted values read from one comma-separated environment
// variable, such as the instances a stack may act on. The start function checks a request's field
// against it (403) and the task function checks again, so both read it the same way.
package allowlist

import (
	"fmt"
	"sort"
	"strings"
)

// Set is the permitted values. The zero value allows nothing.
type Set struct {
	values map[string]struct{}
}

// Parse reads a comma-separated list from the environment variable named env (name is used in
// errors only); white space around an entry and empty entries are ignored. An entry that valid
// refuses is an error rather than silently dropped, because a typo in the template would
// otherwise lock every caller out with a misleading 403. An empty list is an error too.
func Parse(env, s string, valid func(string) bool) (Set, error) {
	a := Set{values: map[string]struct{}{}}
	for _, part := range strings.Split(s, ",") {
		v := strings.TrimSpace(part)
		if v == "" {
			continue
		}
		if valid != nil && !valid(v) {
			return Set{}, fmt.Errorf("parse %s: %q is not a valid entry", env, v)
		}
		a.values[v] = struct{}{}
	}
	if len(a.values) == 0 {
		return Set{}, fmt.Errorf("parse %s: no entries in %q", env, s)
	}
	return a, nil
}

// Allows reports whether v is in the set.
func (a Set) Allows(v string) bool {
	_, ok := a.values[v]
	return ok
}

// IDs returns the values, sorted (for logs).
func (a Set) IDs() []string {
	ids := make([]string, 0, len(a.values))
	for v := range a.values {
		ids = append(ids, v)
	}
	sort.Strings(ids)
	return ids
}
