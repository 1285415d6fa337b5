package tasktoken

import (
	"strings"
	"testing"
)

func TestHash(t *testing.T) {
	const token = "AQCEAAAAKgAAAAMAAAAAAAAAAf9Zx/+token=="
	h := Hash(token)
	if len(h) != hashLen || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("Hash = %q, want %d hex digits", h, hashLen)
	}
	if Hash(token) != h {
		t.Error("Hash is not stable")
	}
	if Hash(token+"x") == h {
		t.Error("two tokens share a hash")
	}
	// sha256("abc") starts ba7816bf8f01: the hash is the digest's start, so a person can recompute it.
	if got := Hash("abc"); got != "ba7816bf8f01" {
		t.Errorf("Hash(abc) = %s, want ba7816bf8f01", got)
	}
}

func TestRedactPath(t *testing.T) {
	const tmpl = "/tasks/{token}/approve"
	h := Hash("AQ+/=")
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"/tasks/AQ%2B%2F%3D/approve", "/tasks/{token:" + h + "}/approve", true},
		{"/v1/tasks/AQ%2B%2F%3D/approve/", "/v1/tasks/{token:" + h + "}/approve/", true},
		{"/tasks/AQ+%2F=/approve", "/tasks/{token:" + h + "}/approve", true},
		{"/tasks/AQ%2B%2F%3D/reject", "/tasks/AQ%2B%2F%3D/reject", false},
		{"/approve", "/approve", false},
		{"/tasks/approve", "/tasks/approve", false},
	}
	for _, tc := range tests {
		got, ok := RedactPath(tc.path, tmpl, "token")
		if got != tc.want || ok != tc.ok {
			t.Errorf("RedactPath(%q) = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := RedactPath("/orders/o-1", "/orders/{id}", "token"); ok || got != "/orders/o-1" {
		t.Errorf("a template without the parameter: %q, %v", got, ok)
	}
}
