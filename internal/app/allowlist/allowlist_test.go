package allowlist

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	short := func(s string) bool { return len(s) <= 3 }
	a, err := Parse("ALLOWED", " abc ,, de,", short)
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{"abc": true, "de": true, "abcd": false, "": false} {
		if a.Allows(v) != want {
			t.Errorf("Allows(%q) = %v", v, !want)
		}
	}
	if got := strings.Join(a.IDs(), ","); got != "abc,de" {
		t.Errorf("IDs = %s", got)
	}
	for _, bad := range []string{"", " , ", "abc,toolong"} {
		_, err := Parse("ALLOWED", bad, short)
		if err == nil || !strings.Contains(err.Error(), "ALLOWED") {
			t.Errorf("Parse(%q) = %v, want an error naming the variable", bad, err)
		}
	}
	if (Set{}).Allows("abc") {
		t.Error("zero Set allows")
	}
}
