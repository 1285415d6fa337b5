package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/addworkflow"
)

func TestLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:3000", true},
		{"127.1.2.3:0", true},
		{"localhost:3000", true},
		{"[::1]:3000", true},
		{"0.0.0.0:3000", false},
		{":3000", false},
		{"192.168.1.10:3000", false},
		{"[::]:3000", false},
	}
	for _, tt := range tests {
		if got := loopback(tt.addr); got != tt.want {
			t.Errorf("loopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestRunRefusesWhatItCannotServe(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no build dir", []string{}, "-build-dir is required"},
		{"not loopback", []string{"-build-dir", "x", "-api-addr", "0.0.0.0:3000"}, "not a loopback address"},
		{"template missing", []string{"-build-dir", "x", "-template", "nope.yaml", "-api-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0"}, "nope.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(tt.args, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestRunRefusesAMalformedRoute: make local reads the routes with the start function's own parser
// and refuses to start, naming the route, before it builds or starts anything.
func TestRunRefusesAMalformedRoute(t *testing.T) {
	data, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const route = `"input": {"body": true}, "required": ["instance_id"]},`
	if !bytes.Contains(data, []byte(route)) {
		t.Fatalf("template.yaml has no %s", route)
	}
	data = bytes.Replace(data, []byte(route), []byte(`"input": {"body": true}, "required": ["instance_id"], "fields": {"note": {"pattern": "[a-z]+"}}},`), 1)
	path, err := addworkflow.Copy(t.TempDir(), "../..", data)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run([]string{"-build-dir", t.TempDir(), "-template", path, "-api-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0", "-dashboard", ""}, &out)
	if want := `route "POST /express-instance": field "note": pattern [a-z]+ is not anchored`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %s", err, want)
	}
}
