package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/addworkflow"
	"github.com/stepgate/stepgate/internal/offline"
)

const template = "../../template.yaml"

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
		{"127.evil.example:3000", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		if got := loopback(tt.addr); got != tt.want {
			t.Errorf("loopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// Every address is checked, and the dashboard's bound, before the stack starts: nothing is
// announced for a stack that then exits.
func TestRunRefusesWhatItCannotServe(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	free := []string{"-api-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no build dir", []string{}, "-build-dir is required"},
		{"not loopback", []string{"-build-dir", "x", "-api-addr", "0.0.0.0:3000"}, "not a loopback address"},
		{"the API on the dashboard's default port", []string{"-build-dir", "x", "-api-addr", "127.0.0.1:3001"}, "-api-addr and -dashboard are both 127.0.0.1:3001"},
		{"the API on the endpoint's port", []string{"-build-dir", "x", "-api-addr", "127.0.0.1:4566"}, "-api-addr and -aws-addr are both 127.0.0.1:4566"},
		{"dashboard not loopback", append([]string{"-build-dir", "x", "-dashboard", "0.0.0.0:3001"}, free...), "not a loopback address"},
		{"dashboard address busy", append([]string{"-build-dir", "x", "-dashboard", held.Addr().String()}, free...), "already in use"},
		{"template missing", append([]string{"-build-dir", "x", "-template", "nope.yaml", "-dashboard", "127.0.0.1:0"}, free...), "nope.yaml"},
		{"a mock test case without its machine", []string{"-build-dir", "x", "-mock-test-case", "HappyPath"}, "want STATE_MACHINE_NAME=TEST_CASE"},
		{"two test cases for one machine", []string{"-build-dir", "x", "-mock-test-case", "M=A,M=B"}, "M has two test cases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("printed before refusing:\n%s", out.String())
			}
		})
	}
}

// fakeBuildDir holds an executable bootstrap for every function of the template. The stack
// starts a function's process only when it is invoked, which these tests never do.
func fakeBuildDir(t *testing.T) string {
	t.Helper()
	tmpl, _, err := offline.LoadTemplate(template, nil)
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range fns {
		if err := os.MkdirAll(filepath.Join(dir, f.LogicalID), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.LogicalID, "bootstrap"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runUntil runs the command on free ports until a line of its output satisfies ready, then
// stops it as Ctrl-C does, and returns every line it printed.
func runUntil(t *testing.T, args []string, ready func(line string) bool) []string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"-build-dir", fakeBuildDir(t), "-template", template,
			"-api-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0", "-dashboard", "127.0.0.1:0"}, args...), w)
		w.Close()
		done <- err
	}()
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if ready(sc.Text()) {
			stop()
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return lines
}

// -log-format json: every line the command prints is one JSON object, the addresses included.
func TestJSONOutputIsJSONEveryLine(t *testing.T) {
	lines := runUntil(t, []string{"-log-format", "json"}, func(line string) bool {
		return strings.Contains(line, `"msg":"stack ready"`)
	})
	var ready, stopping map[string]any
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d is not a JSON object: %q (%v)", i+1, line, err)
		}
		switch rec["msg"] {
		case "stack ready":
			ready = rec
		case "stopping":
			stopping = rec
		}
	}
	if ready == nil || stopping == nil {
		t.Fatalf("no stack ready or stopping record:\n%s", strings.Join(lines, "\n"))
	}
	for _, k := range []string{"apiUrl", "awsUrl", "dashboardUrl"} {
		if u, _ := ready[k].(string); !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("stack ready: %s = %v", k, ready[k])
		}
	}
	if sms, _ := ready["stateMachines"].(map[string]any); len(sms) == 0 {
		t.Errorf("stack ready names no state machine: %v", ready)
	}
}

// The text console shows the banner, with the dashboard among the addresses, then the stop.
func TestTextOutputBanner(t *testing.T) {
	lines := runUntil(t, nil, func(line string) bool { return strings.HasPrefix(line, "Ctrl-C stops everything") })
	out := strings.Join(lines, "\n")
	for _, want := range []string{"stepgate offline stack is up", "  API           http://127.0.0.1:",
		"  AWS endpoint  http://127.0.0.1:", "  dashboard     http://127.0.0.1:", "stopping: requests in flight get 5s to finish"} {
		if !strings.Contains(out, want) {
			t.Errorf("the console lacks %q:\n%s", want, out)
		}
	}
}

// -mock-config (or SFN_MOCK_CONFIG) loads AWS's mock configuration; the banner says how test
// cases are chosen, and a default test case the file lacks stops make local before it serves.
func TestMockConfig(t *testing.T) {
	mocks := filepath.Join("..", "..", "internal", "offline", "mockconfig", "testdata", "MockConfigFile.json")
	t.Setenv("SFN_MOCK_CONFIG", mocks)
	lines := runUntil(t, nil, func(line string) bool { return strings.HasPrefix(line, "Ctrl-C stops everything") })
	if out := strings.Join(lines, "\n"); !strings.Contains(out, "  mocks         "+mocks+" (StartExecution on <stateMachineArn>#<TestCaseName> runs a test case)") {
		t.Errorf("the banner lacks the mock configuration:\n%s", out)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"-build-dir", fakeBuildDir(t), "-template", template, "-api-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0",
		"-dashboard", "", "-mock-test-case", "stepgate_Express=HappyPath"}, &out)
	if err == nil || !strings.Contains(err.Error(), `no state machine "stepgate_Express"`) {
		t.Errorf("a default test case the mock configuration lacks: %v", err)
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
	err = run(context.Background(), []string{"-build-dir", t.TempDir(), "-template", path, "-api-addr", "127.0.0.1:0", "-aws-addr", "127.0.0.1:0", "-dashboard", ""}, &out)
	if want := `route "POST /express-instance": field "note": pattern [a-z]+ is not anchored`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %s", err, want)
	}
}
