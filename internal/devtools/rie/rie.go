// Package rie drives AWS's Lambda Runtime Interface Emulator (aws-lambda-rie, a tool dependency in
// go.mod): it starts one emulator around a bootstrap binary on loopback ports of its own and invokes it.
// `make invoke` and the emulator tests use it, so a fixture runs the same way for both.
package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Module is the emulator's Go package, built with the module's pinned version.
const Module = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// Build compiles the emulator into dir and returns the binary's path. The Go build cache makes repeat
// builds cheap; the Makefile's compile flags (no cgo, -trimpath) let it reuse what make build
// compiled (the standard library).
func Build(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "aws-lambda-rie")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, Module)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", Module, err, msg)
	}
	return out, nil
}

// Config describes one emulator.
type Config struct {
	Emulator  string   // path of the aws-lambda-rie binary
	Bootstrap string   // path of the function's bootstrap binary
	Env       []string // the function's environment (KEY=value), added to a minimal base
	Output    io.Writer
}

// Emulator is a running aws-lambda-rie process serving one function.
type Emulator struct {
	cmd     *exec.Cmd
	invoke  string
	client  *http.Client
	exited  chan struct{}
	exitErr error
}

// Start launches the emulator on two free loopback ports (its invoke API and its internal Runtime
// API, which otherwise defaults to 127.0.0.1:9001 and collides with a second emulator) and waits until
// it accepts connections on both.
//
// A port found free can be taken by another process before the emulator binds it (on a busy machine
// the kernel hands the same ephemeral ports to outgoing connections); the emulator then exits at once
// ("address already in use"), and Start tries again on other ports, up to startAttempts times.
func Start(ctx context.Context, cfg Config) (*Emulator, error) {
	// Both run in the bootstrap's directory, where relative paths would name nothing.
	for _, p := range []*string{&cfg.Emulator, &cfg.Bootstrap} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	var errs []error
	for range startAttempts {
		e, err := start(ctx, cfg)
		if err == nil {
			return e, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	return nil, errors.Join(errs...)
}

const startAttempts = 3

// errExitedEarly marks an emulator that exited before it listened on both ports.
var errExitedEarly = errors.New("emulator exited before listening")

func start(ctx context.Context, cfg Config) (*Emulator, error) {
	invokeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	runtimeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(cfg.Emulator,
		"--log-level", "error",
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		cfg.Bootstrap)
	cmd.Dir = filepath.Dir(cfg.Bootstrap)
	// Its own process group, so Close reaches the runtime process the emulator started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "TZ=:UTC"}, cfg.Env...)
	if cfg.Output != nil {
		cmd.Stdout, cmd.Stderr = cfg.Output, cfg.Output
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Emulator, err)
	}
	e := &Emulator{
		cmd:    cmd,
		invoke: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		client: &http.Client{},
		exited: make(chan struct{}),
	}
	go func() { e.exitErr = cmd.Wait(); close(e.exited) }()
	for _, addr := range []string{invokeAddr, runtimeAddr} {
		if err := e.waitListening(ctx, addr); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// waitListening waits until the emulator accepts connections on addr. The timeout only bounds a
// hung emulator.
func (e *Emulator) waitListening(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-e.exited:
			return fmt.Errorf("%w on %s: %v", errExitedEarly, addr, e.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("emulator not listening on %s: %w", addr, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// Invoke sends one event and returns the function's answer as the emulator gives it: the handler's
// JSON result, or a {"errorMessage","errorType"} body for a handled error (with HTTP 200, as the
// emulator answers). A non-200 answer (a crashed runtime) is returned as an error with its body.
func (e *Emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.invoke, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, &StatusError{Code: resp.StatusCode, Body: body}
	}
	return body, nil
}

// StatusError is a non-200 answer of the emulator (for example 502 after a panic).
type StatusError struct {
	Code int
	Body []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("emulator answered HTTP %d: %s", e.Code, bytes.TrimSpace(e.Body))
}

// Close stops the emulator and its runtime.
func (e *Emulator) Close() error {
	select {
	case <-e.exited:
		return nil
	default:
	}
	pgid := -e.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(2 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-e.exited
	}
	var exitErr *exec.ExitError
	if e.exitErr != nil && !errors.As(e.exitErr, &exitErr) {
		return e.exitErr
	}
	return nil
}

// freeAddr is a loopback address no socket uses now; a variable, so that a test can hand out a taken one.
var freeAddr = func() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
