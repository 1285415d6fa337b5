package workflow

import (
	"strings"
	"testing"
)

func TestValidInstanceID(t *testing.T) {
	for id, want := range map[string]bool{
		"i-0123456789abcdef0": true, "i-01234567": true,
		"i-0123456789ABCDEF0": false, "i-012345678": false, "i-01234567\n": false, "": false,
	} {
		if ValidInstanceID(id) != want {
			t.Errorf("ValidInstanceID(%q) = %v", id, !want)
		}
	}
}

func TestAllowlist(t *testing.T) {
	a, err := ParseAllowlist(" i-0123456789abcdef0 ,, i-01234567,")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"i-0123456789abcdef0": true, "i-01234567": true, "i-0fedcba9876543210": false, "": false} {
		if a.Allows(id) != want {
			t.Errorf("Allows(%q) = %v", id, !want)
		}
	}
	if got := strings.Join(a.IDs(), ","); got != "i-01234567,i-0123456789abcdef0" {
		t.Errorf("IDs = %s", got)
	}
	for _, bad := range []string{"", " , ", "i-0123456789abcdef0,vm-1"} {
		if _, err := ParseAllowlist(bad); err == nil || !strings.Contains(err.Error(), AllowlistEnv) {
			t.Errorf("ParseAllowlist(%q) = %v, want an error naming %s", bad, err, AllowlistEnv)
		}
	}
	if (Allowlist{}).Allows("i-01234567") {
		t.Error("zero Allowlist allows")
	}
}
