package workflow

import "github.com/stepgate/stepgate/internal/app/allowlist"

// AllowlistEnv is the environment variable the template sets to the managed instance IDs.
const AllowlistEnv = "ALLOWED_INSTANCE_IDS"

// Allowlist is the set of instance IDs this stack may act on. The zero value allows nothing.
type Allowlist = allowlist.Set

// ParseAllowlist reads ALLOWED_INSTANCE_IDS: comma-separated EC2 instance IDs, at least one, each
// well formed.
func ParseAllowlist(s string) (Allowlist, error) {
	return allowlist.Parse(AllowlistEnv, s, ValidInstanceID)
}
