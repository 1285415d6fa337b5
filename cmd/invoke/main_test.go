package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestInvokeFixtures is `make invoke` as a newcomer runs it: relative paths, a fixture per
// function, an offline stack started for the call.
func TestInvokeFixtures(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// Inside the repository, as make invoke's build/<os>-<arch> is, and named relatively.
	rel := filepath.Join("build", "invoke-test")
	dir := filepath.Join(root, rel)
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("make", "--no-print-directory", "-C", root, "build", "BUILD_DIR="+dir).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	t.Chdir(root)
	cases := []struct {
		fn, event string
		check     func(map[string]any) bool
	}{
		{"start", "express-instance.json", func(m map[string]any) bool { return m["statusCode"] == 200.0 }},
		{"status", "execution-get-bad-arn.json", func(m map[string]any) bool { return m["statusCode"] == 400.0 }},
		{"ec2toggle", "ec2toggle-check.json", func(m map[string]any) bool { return m["state"] == "stopped" }},
		{"ec2toggle", "ec2toggle-not-allowed.json", func(m map[string]any) bool { return m["errorType"] == "InstanceNotAllowed" }},
	}
	for _, c := range cases {
		t.Run(c.fn+"/"+c.event, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"-template", filepath.Join(root, "template.yaml"), "-build-dir", filepath.Join(rel, runtime.GOOS+"-"+runtime.GOARCH),
				"-function", c.fn, "-event", filepath.Join(root, "events", c.event), "-endpoint", "http://127.0.0.1:1"}
			if err := run(args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			var got map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || !c.check(got) {
				t.Fatalf("answer %s (%v)\n%s", stdout.String(), err, stderr.String())
			}
		})
	}
	t.Run("unknown function", func(t *testing.T) {
		var out bytes.Buffer
		err := run([]string{"-template", filepath.Join(root, "template.yaml"), "-build-dir", filepath.Join(rel, runtime.GOOS+"-"+runtime.GOARCH),
			"-function", "nope", "-event", filepath.Join(root, "events", "ec2toggle-check.json")}, &out, &out)
		if err == nil {
			t.Fatal("no error for an unknown function")
		}
	})
}
