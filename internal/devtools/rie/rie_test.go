package rie_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/rie"
)

// buildEcho builds the emulator and the echo function.
func buildEcho(t *testing.T) (emulator, bootstrap string) {
	t.Helper()
	dir := t.TempDir()
	emulator, err := rie.Build(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap = filepath.Join(dir, "bootstrap")
	// The Makefile's compile flags, so that the packages are those make build compiled.
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, "./testdata/echo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build echo: %v\n%s", err, out)
	}
	return emulator, bootstrap
}

// A port found free, then taken by an outgoing connection before the emulator binds it (what a busy
// machine does with ephemeral ports): the emulator exits at once, and Start tries other ports.
func TestStartRetriesATakenPort(t *testing.T) {
	emulator, bootstrap := buildEcho(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	defer rie.HandOutFirst(conn.LocalAddr().String())()

	e, err := rie.Start(context.Background(), rie.Config{Emulator: emulator, Bootstrap: bootstrap, Output: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Invoke(context.Background(), []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
}

// TestEmulator pins down how AWS's emulator reports the three outcomes a local Step Functions
// engine and our tests rely on: a result, a handled error (HTTP 200 with errorType), a panic.
func TestEmulator(t *testing.T) {
	ctx := context.Background()
	emulator, bootstrap := buildEcho(t)
	e, err := rie.Start(ctx, rie.Config{Emulator: emulator, Bootstrap: bootstrap, Env: []string{"MYVAR=passed"}, Output: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	tests := []struct {
		name      string
		event     string
		wantKey   string
		wantValue string
		wantCode  int
	}{
		{name: "result with the function's environment", event: `{"a":1}`, wantKey: "env", wantValue: "passed"},
		{name: "handled error names its Go type", event: `{"fail":true}`, wantKey: "errorType", wantValue: "Boom"},
		{name: "panic is a 502 from the emulator", event: `{"panic":true}`, wantCode: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := e.Invoke(ctx, []byte(tt.event))
			if tt.wantCode != 0 {
				var se *rie.StatusError
				if !errors.As(err, &se) || se.Code != tt.wantCode {
					t.Fatalf("got %v (%s), want HTTP %d", err, body, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("answer %q: %v", body, err)
			}
			if got[tt.wantKey] != tt.wantValue {
				t.Fatalf("%s = %v, want %q (answer %s)", tt.wantKey, got[tt.wantKey], tt.wantValue, body)
			}
		})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Logf("%s", p); return len(p), nil }
