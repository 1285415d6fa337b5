package locallambda

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/rie"
)

// These benchmarks decided between this package's Runtime API server and AWS's emulator
// (aws-lambda-rie, a go.mod tool): per-invocation latency of a trivial Go bootstrap, and the time
// from nothing to the first answered invocation. Run:
//
//	go test -run '^$' -bench 'Invoke' -benchtime 2000x ./internal/locallambda/
//	go test -run '^$' -bench 'ColdStart' -benchtime 20x ./internal/locallambda/

var echoPayload = []byte(`{"action":"echo","message":"hi"}`)

func BenchmarkInvoke(b *testing.B) {
	r, err := New(Config{Functions: []Function{{Name: "Bench", Bootstrap: testBootstrap}}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = r.Close(context.Background()) }()
	ctx := context.Background()
	if _, err := r.Invoke(ctx, "Bench", echoPayload); err != nil { // cold start outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := r.Invoke(ctx, "Bench", echoPayload)
		if err != nil || resp.FunctionError != "" {
			b.Fatalf("invoke: %v %s", err, resp.Payload)
		}
	}
}

func BenchmarkInvokeParallel(b *testing.B) {
	r, err := New(Config{Functions: []Function{{Name: "Bench", Bootstrap: testBootstrap, MaxEnvironments: 4}}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = r.Close(context.Background()) }()
	b.SetParallelism(4) // × GOMAXPROCS clients
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if resp, err := r.Invoke(context.Background(), "Bench", echoPayload); err != nil || resp.FunctionError != "" {
				b.Errorf("invoke: %v %s", err, resp.Payload)
				return
			}
		}
	})
}

// BenchmarkColdStart measures New + the first answered invocation + Close.
func BenchmarkColdStart(b *testing.B) {
	for b.Loop() {
		r, err := New(Config{Functions: []Function{{Name: "Bench", Bootstrap: testBootstrap}}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Invoke(context.Background(), "Bench", echoPayload); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = r.Close(context.Background())
		b.StartTimer()
	}
}

var (
	rieOnce sync.Once
	rieBin  string
	rieErr  error
)

// buildRIE builds AWS's emulator from the module cache once per test binary.
func buildRIE(b *testing.B) string {
	rieOnce.Do(func() { rieBin, rieErr = rie.Build(context.Background(), filepath.Dir(testBootstrap)) })
	if rieErr != nil {
		b.Fatal(rieErr)
	}
	return rieBin
}

func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startRIE runs the emulator around the test bootstrap and returns its invoke URL once it
// answers; the caller stops it.
func startRIE(b *testing.B) (string, *exec.Cmd, <-chan struct{}) {
	bin := buildRIE(b)
	apiAddr, rieAddr := freeAddr(b), freeAddr(b)
	cmd := exec.Command(bin, "--runtime-api-address", apiAddr, "--runtime-interface-emulator-address", rieAddr, testBootstrap)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT=3", "LOG_LEVEL=error")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &out
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	url := "http://" + rieAddr + "/2015-03-31/functions/function/invocations"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Post(url, "application/json", bytes.NewReader(echoPayload))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, cmd, exited
			}
		}
		select {
		case <-exited:
			b.Fatalf("aws-lambda-rie exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			stopRIE(cmd, exited)
			b.Fatalf("aws-lambda-rie did not answer within 10 s: %v %s", err, out.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func stopRIE(cmd *exec.Cmd, exited <-chan struct{}) {
	signalGroup(cmd, sigKill)
	<-exited
}

func BenchmarkRIEInvoke(b *testing.B) {
	url, cmd, exited := startRIE(b)
	defer stopRIE(cmd, exited)
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(url, "application/json", bytes.NewReader(echoPayload))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkRIEColdStart measures starting the emulator until its first answered invocation.
func BenchmarkRIEColdStart(b *testing.B) {
	for b.Loop() {
		_, cmd, exited := startRIE(b)
		b.StopTimer()
		stopRIE(cmd, exited)
		b.StartTimer()
	}
}
