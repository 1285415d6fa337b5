package awsid

import (
	"regexp"
	"testing"
)

func TestHex(t *testing.T) {
	for _, n := range []int{0, 1, 16, 17, 24} {
		got := Hex(n)
		if !regexp.MustCompile(`^[0-9a-f]*$`).MatchString(got) || len(got) != n {
			t.Errorf("Hex(%d) = %q", n, got)
		}
	}
	if a, b := Hex(24), Hex(24); a == b {
		t.Errorf("two Hex(24) are equal: %s", a)
	}
}

func TestTraceID(t *testing.T) {
	if got := TraceID(); !regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`).MatchString(got) {
		t.Errorf("TraceID() = %q", got)
	}
}
