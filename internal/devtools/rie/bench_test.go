package rie_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/rie"
)

// BenchmarkColdStart measures a cold start under AWS's emulator: from launching aws-lambda-rie
// around a fresh bootstrap to the first answered invocation (ns/op), for the real status function
// and for a minimal aws-lambda-go bootstrap (testdata/echo), whose difference is the function's own
// initialisation. Closing the emulator is outside the timing. Run:
//
//	go test -run '^$' -bench ColdStart -benchtime 20x ./internal/rie/
//
// Besides ns/op it reports where the time goes: start-ms (emulator process start until it listens),
// invoke-ms (the first invocation as the client sees it: the emulator starts the runtime lazily, so
// this holds the bootstrap's exec and init) and duration-ms (the emulator's own REPORT duration of
// that invocation, runtime start included; invoke-ms minus duration-ms is its HTTP layer). The
// REPORT's "Init Duration" is not reported: the emulator's Init returns before the runtime is up.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	emulator, err := rie.Build(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	echo, err := buildBootstrap(ctx, filepath.Join(dir, "echo"), "./testdata/echo")
	if err != nil {
		b.Fatal(err)
	}
	// functions/status is written in parallel with this package; only its failure to compile skips
	// its variant, anything else about the build is a failure.
	status, statusErr := buildBootstrap(ctx, filepath.Join(dir, "status"), "github.com/stepgate/stepgate/functions/status")
	var compileErr *compileError
	if statusErr != nil && !errors.As(statusErr, &compileErr) {
		b.Fatal(statusErr)
	}
	badARNEvent, err := os.ReadFile("../../../events/execution-get-bad-arn.json")
	if err != nil {
		b.Fatal(err)
	}

	b.Run("status", func(b *testing.B) {
		if statusErr != nil {
			b.Skipf("functions/status does not compile yet: %v", statusErr)
		}
		benchColdStart(b, rie.Config{
			Emulator:  emulator,
			Bootstrap: status,
			Env: []string{
				"STATE_MACHINES=arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_*",
				"AWS_REGION=us-east-1",
				"AWS_ACCESS_KEY_ID=AKIDLOCALBENCHMARK00",
				"AWS_SECRET_ACCESS_KEY=local-benchmark-secret",
				"LOG_LEVEL=ERROR",
			},
		}, badARNEvent, wantHTTPStatus(400))
	})
	b.Run("echo", func(b *testing.B) {
		benchColdStart(b, rie.Config{Emulator: emulator, Bootstrap: echo, Env: []string{"MYVAR=bench"}},
			[]byte(`{"a":1}`), wantEcho)
	})
}

func benchColdStart(b *testing.B, cfg rie.Config, event []byte, check func([]byte) error) {
	ctx := context.Background()
	var start, invoke, reported time.Duration
	for b.Loop() {
		var out bytes.Buffer
		cfg.Output = &out
		t0 := time.Now()
		e, err := rie.Start(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		answer, err := e.Invoke(ctx, event)
		t2 := time.Now()

		b.StopTimer()
		closeErr := e.Close()
		if err != nil {
			b.Fatalf("invoke: %v\n%s", err, out.String())
		}
		if err := check(answer); err != nil {
			b.Fatalf("answer %s: %v\n%s", answer, err, out.String())
		}
		if closeErr != nil {
			b.Fatal(closeErr)
		}
		duration, err := parseReport(out.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		start += t1.Sub(t0)
		invoke += t2.Sub(t1)
		reported += duration
		b.StartTimer()
	}
	perOp := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(perOp(start), "start-ms")
	b.ReportMetric(perOp(invoke), "invoke-ms")
	b.ReportMetric(perOp(reported), "duration-ms")
}

// reportLine is the emulator's end-of-invocation line, printed whatever its log level.
var reportLine = regexp.MustCompile(`REPORT RequestId: \S+\s+(?:Init Duration: [0-9.]+ ms\s+)?Duration: ([0-9.]+) ms`)

// parseReport returns the Duration of the emulator's REPORT line.
func parseReport(out []byte) (time.Duration, error) {
	m := reportLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no REPORT line in the emulator's output:\n%s", out)
	}
	ms, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, fmt.Errorf("REPORT duration %q: %w", m[1], err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// compileError is a bootstrap whose package does not build.
type compileError struct {
	pkg    string
	output []byte
}

func (e *compileError) Error() string { return fmt.Sprintf("go build %s:\n%s", e.pkg, e.output) }

// buildBootstrap builds pkg into dir/bootstrap with the project's one build recipe, for the host.
func buildBootstrap(ctx context.Context, dir, pkg string) (string, error) {
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	msg, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return "", &compileError{pkg: pkg, output: msg}
	}
	if err != nil {
		return "", fmt.Errorf("run go build %s: %w", pkg, err)
	}
	return out, nil
}

// wantHTTPStatus checks an API Gateway proxy response's statusCode.
func wantHTTPStatus(code int) func([]byte) error {
	return func(answer []byte) error {
		var resp struct {
			StatusCode int `json:"statusCode"`
		}
		if err := json.Unmarshal(answer, &resp); err != nil {
			return err
		}
		if resp.StatusCode != code {
			return fmt.Errorf("statusCode %d, want %d", resp.StatusCode, code)
		}
		return nil
	}
}

func wantEcho(answer []byte) error {
	var got map[string]any
	if err := json.Unmarshal(answer, &got); err != nil {
		return err
	}
	if got["env"] != "bench" || got["a"] != 1.0 {
		return fmt.Errorf("echo answered %v", got)
	}
	return nil
}
