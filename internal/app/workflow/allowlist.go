package workflow

import (
	"fmt"
	"sort"
	"strings"
)

// AllowlistEnv is the environment variable the template sets to the managed instance IDs.
const AllowlistEnv = "ALLOWED_INSTANCE_IDS"

// Allowlist is the set of instance IDs this stack may act on. The zero value allows nothing.
type Allowlist struct {
	ids map[string]struct{}
}

// ParseAllowlist reads a comma-separated list of instance IDs; white space around an entry and
// empty entries are ignored. A malformed entry is an error rather than silently dropped, because a
// typo in the template would otherwise lock every caller out with a misleading 403.
func ParseAllowlist(s string) (Allowlist, error) {
	a := Allowlist{ids: map[string]struct{}{}}
	for _, part := range strings.Split(s, ",") {
		id := strings.TrimSpace(part)
		if id == "" {
			continue
		}
		if !ValidInstanceID(id) {
			return Allowlist{}, fmt.Errorf("parse %s: %q is not an EC2 instance ID", AllowlistEnv, id)
		}
		a.ids[id] = struct{}{}
	}
	if len(a.ids) == 0 {
		return Allowlist{}, fmt.Errorf("parse %s: no instance IDs in %q", AllowlistEnv, s)
	}
	return a, nil
}

// Allows reports whether the instance is one this stack manages.
func (a Allowlist) Allows(instanceID string) bool {
	_, ok := a.ids[instanceID]
	return ok
}

// IDs returns the allowed IDs, sorted (for logs).
func (a Allowlist) IDs() []string {
	ids := make([]string, 0, len(a.ids))
	for id := range a.ids {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
