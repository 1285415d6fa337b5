package offline

import (
	"testing"

	"github.com/stepgate/stepgate/internal/tasktoken"
)

// TestRedactPath: the console names a callback route's path token by its hash, as the start
// function's log does; other paths are shown as sent.
func TestRedactPath(t *testing.T) {
	redact := redactPath([]DeclaredRoute{
		{Method: "POST", Path: "/tasks/{t}/reject", Mode: "callback", Outcome: "failure", Token: &RouteToken{From: "path", Name: "t"}},
		{Method: "POST", Path: "/tasks/approve", Mode: "callback", Outcome: "success", Token: &RouteToken{From: "body", Name: "t"}},
		{Method: "GET", Path: "/instances/{instance_id}", Mode: "sync"},
	})
	for path, want := range map[string]string{
		"/v1/tasks/AQ%2Bx/reject":     "/v1/tasks/{t:" + tasktoken.Hash("AQ+x") + "}/reject",
		"/tasks/approve":              "/tasks/approve",
		"/instances/i-0123456789abcd": "/instances/i-0123456789abcd",
		"/tasks/AQx/approve":          "/tasks/AQx/approve",
	} {
		if got := redact(path); got != want {
			t.Errorf("redact(%q) = %q, want %q", path, got, want)
		}
	}
}
