package locallambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testBootstrap is the testdata function, built once for the whole package.
var testBootstrap string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "locallambda-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBootstrap = filepath.Join(dir, "bootstrap")
	// The Makefile's compile flags, so that the packages are those make build compiled.
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", testBootstrap, "./testdata/bootstrap")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build test bootstrap: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const testARN = "arn:aws:lambda:us-east-1:123456789012:function:TestFunction"

// syncBuffer is a LogWriter the tests can read while environments write to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newRuntime(t *testing.T, fn Function, logs *syncBuffer) *Runtime {
	t.Helper()
	if fn.Name == "" {
		fn.Name = "TestFunction"
	}
	if fn.ARN == "" {
		fn.ARN = testARN
	}
	fn.Bootstrap = testBootstrap
	cfg := Config{Functions: []Function{fn}, ExtraEnv: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}}
	if logs != nil {
		cfg.LogWriter = logs
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

type testResponse struct {
	Message   string `json:"message"`
	PID       int    `json:"pid"`
	RequestID string `json:"request_id"`
	ARN       string `json:"arn"`
	Deadline  int64  `json:"deadline_ms"`
	Env       string `json:"env"`
}

type errorPayload struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func invoke(t *testing.T, r *Runtime, name string, req map[string]any) Response {
	t.Helper()
	payload, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Invoke(context.Background(), name, payload)
	if err != nil {
		t.Fatalf("Invoke(%v): %v", req, err)
	}
	return resp
}

func decodeOK(t *testing.T, resp Response) testResponse {
	t.Helper()
	if resp.FunctionError != "" {
		t.Fatalf("FunctionError = %q, payload %s", resp.FunctionError, resp.Payload)
	}
	var out testResponse
	if err := json.Unmarshal(resp.Payload, &out); err != nil {
		t.Fatalf("decode %s: %v", resp.Payload, err)
	}
	return out
}

func decodeError(t *testing.T, resp Response) errorPayload {
	t.Helper()
	if resp.FunctionError != "Unhandled" {
		t.Fatalf("FunctionError = %q, want Unhandled (payload %s)", resp.FunctionError, resp.Payload)
	}
	var out errorPayload
	if err := json.Unmarshal(resp.Payload, &out); err != nil {
		t.Fatalf("decode error %s: %v", resp.Payload, err)
	}
	return out
}

func TestInvokePaths(t *testing.T) {
	r := newRuntime(t, Function{Timeout: 500 * time.Millisecond, MaxEnvironments: 1}, nil)
	tests := []struct {
		name        string
		req         map[string]any
		wantMessage string // success
		wantType    string // function error
		wantInError string
	}{
		{name: "echo", req: map[string]any{"action": "echo", "message": "hello"}, wantMessage: "hello"},
		{name: "handled typed error", req: map[string]any{"action": "error", "message": "i-0123"},
			wantType: "InstanceNotFound", wantInError: "instance i-0123 not found"},
		{name: "panic", req: map[string]any{"action": "panic", "message": "boom"}, wantType: "string", wantInError: "boom"},
		{name: "echo after panic", req: map[string]any{"action": "echo", "message": "again"}, wantMessage: "again"},
		{name: "exit", req: map[string]any{"action": "exit", "code": 7},
			wantType: "Runtime.ExitError", wantInError: "Runtime exited with error: exit status 7"},
		{name: "echo after exit", req: map[string]any{"action": "echo", "message": "back"}, wantMessage: "back"},
		{name: "timeout", req: map[string]any{"action": "sleep", "sleep_ms": 60_000},
			wantType: "Sandbox.Timedout", wantInError: "Task timed out after 0.50 seconds"},
		{name: "echo after timeout", req: map[string]any{"action": "echo", "message": "fresh"}, wantMessage: "fresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := invoke(t, r, "TestFunction", tt.req)
			if tt.wantType == "" {
				if got := decodeOK(t, resp); got.Message != tt.wantMessage {
					t.Errorf("message = %q, want %q", got.Message, tt.wantMessage)
				}
				return
			}
			got := decodeError(t, resp)
			if got.ErrorType != tt.wantType {
				t.Errorf("errorType = %q, want %q (payload %s)", got.ErrorType, tt.wantType, resp.Payload)
			}
			if !strings.Contains(got.ErrorMessage, tt.wantInError) {
				t.Errorf("errorMessage = %q, want it to contain %q", got.ErrorMessage, tt.wantInError)
			}
		})
	}
	st := r.Stats()[0]
	// One environment at a time: the first, then one after the panic, the exit and the timeout.
	if st.EnvironmentsStarted != 4 || st.Timeouts != 1 || st.Invocations != int64(len(tests)) {
		t.Errorf("stats = %+v, want 4 environments started, 1 timeout, %d invocations", st, len(tests))
	}
}

func TestInvokeContextAndEnvironment(t *testing.T) {
	r := newRuntime(t, Function{Timeout: 5 * time.Second, MemoryMB: 256, Env: map[string]string{
		"LOG_LEVEL":                "debug",
		"AWS_LAMBDA_FUNCTION_NAME": "template cannot override this",
	}}, nil)
	start := time.Now()
	got := decodeOK(t, invoke(t, r, testARN, map[string]any{"action": "echo"}))
	if got.ARN != testARN {
		t.Errorf("invoked function ARN = %q, want %q", got.ARN, testARN)
	}
	if len(got.RequestID) != 36 {
		t.Errorf("request ID = %q, want a UUID", got.RequestID)
	}
	// The deadline is the timeout after delivery: after start+5s-1s (slack), not beyond now+5s.
	if d := time.UnixMilli(got.Deadline); d.Before(start.Add(4*time.Second)) || d.After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline %v not about 5 s after %v", d, start)
	}
	wantEnv := map[string]string{
		"LOG_LEVEL":                       "debug",
		"AWS_LAMBDA_FUNCTION_NAME":        "TestFunction",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/TestFunction",
		"AWS_LAMBDA_LOG_FORMAT":           "Text",
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"LAMBDA_TASK_ROOT":                filepath.Dir(testBootstrap),
		"AWS_ENDPOINT_URL":                "http://127.0.0.1:4566",
	}
	for name, want := range wantEnv {
		t.Run(name, func(t *testing.T) {
			got := decodeOK(t, invoke(t, r, "TestFunction", map[string]any{"action": "env", "env": name}))
			if got.Env != want {
				t.Errorf("%s = %q, want %q", name, got.Env, want)
			}
		})
	}
	for _, name := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_LOG_STREAM_NAME"} {
		t.Run(name, func(t *testing.T) {
			if got := decodeOK(t, invoke(t, r, "TestFunction", map[string]any{"action": "env", "env": name})); got.Env == "" {
				t.Errorf("%s is empty", name)
			}
		})
	}
	if got := decodeOK(t, invoke(t, r, "TestFunction", map[string]any{"action": "env", "env": "HOME"})); got.Env != "" {
		t.Errorf("HOME = %q: the test process's environment leaked into the function", got.Env)
	}
}

func TestInvokeUnknownFunction(t *testing.T) {
	r := newRuntime(t, Function{}, nil)
	for _, name := range []string{"Nope", "arn:aws:lambda:us-east-1:123456789012:function:Nope"} {
		t.Run(name, func(t *testing.T) {
			if _, err := r.Invoke(context.Background(), name, []byte(`{}`)); !errors.Is(err, ErrFunctionNotFound) {
				t.Errorf("err = %v, want ErrFunctionNotFound", err)
			}
		})
	}
	t.Run("qualified ARN", func(t *testing.T) {
		decodeOK(t, invoke(t, r, testARN+":$LATEST", map[string]any{"action": "echo"}))
	})
}

func TestWarmEnvironmentIsReused(t *testing.T) {
	r := newRuntime(t, Function{}, nil)
	first := decodeOK(t, invoke(t, r, "TestFunction", map[string]any{"action": "echo"}))
	for i := range 5 {
		if got := decodeOK(t, invoke(t, r, "TestFunction", map[string]any{"action": "echo"})); got.PID != first.PID {
			t.Fatalf("invocation %d ran in process %d, want the warm %d", i, got.PID, first.PID)
		}
	}
	if st := r.Stats()[0]; st.EnvironmentsStarted != 1 || st.Warm != 1 || st.Busy != 0 {
		t.Errorf("stats = %+v, want one warm idle environment", st)
	}
}

// waitFor polls cond without any deadline of its own: the test's -timeout bounds it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// running counts the environments whose runtime has taken an invocation and not answered it.
func running(r *Runtime, name string) int {
	f := r.functions[name]
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for env := range f.all {
		env.mu.Lock()
		if env.current != nil {
			n++
		}
		env.mu.Unlock()
	}
	return n
}

func TestConcurrencyStartsEnvironmentsUpToTheCapThenQueues(t *testing.T) {
	const capacity, calls = 3, 5
	r := newRuntime(t, Function{MaxEnvironments: capacity, Timeout: time.Minute}, nil)
	gate := filepath.Join(t.TempDir(), "gate")
	var wg sync.WaitGroup
	pids := make(chan int, calls)
	for range calls {
		wg.Go(func() {
			resp, err := r.Invoke(context.Background(), "TestFunction", []byte(`{"action":"wait","gate":"`+gate+`"}`))
			if err != nil {
				t.Errorf("Invoke: %v", err)
				return
			}
			pids <- decodeOK(t, resp).PID
		})
	}
	waitFor(t, "the cap to be reached with the rest queued", func() bool {
		return running(r, "TestFunction") == capacity && r.Stats()[0].Waiting == calls-capacity
	})
	if st := r.Stats()[0]; st.EnvironmentsStarted != capacity {
		t.Errorf("environments started = %d, want %d", st.EnvironmentsStarted, capacity)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(pids)
	distinct := map[int]bool{}
	for pid := range pids {
		distinct[pid] = true
	}
	if len(distinct) != capacity {
		t.Errorf("%d calls ran in %d processes, want %d", calls, len(distinct), capacity)
	}
	if st := r.Stats()[0]; st.EnvironmentsStarted != capacity || st.Warm != capacity || st.Invocations != calls {
		t.Errorf("stats = %+v", st)
	}
}

func TestCallerCancelLeavesTheEnvironmentBusyUntilItAnswers(t *testing.T) {
	r := newRuntime(t, Function{MaxEnvironments: 1, Timeout: time.Minute}, nil)
	gate := filepath.Join(t.TempDir(), "gate")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := r.Invoke(ctx, "TestFunction", []byte(`{"action":"wait","gate":"`+gate+`"}`))
		errc <- err
	}()
	waitFor(t, "the invocation to run", func() bool { return running(r, "TestFunction") == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if st := r.Stats()[0]; st.Busy != 1 {
		t.Errorf("busy = %d after the caller left, want 1 (the function still runs)", st.Busy)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got := decodeOK(t, invoke(t, r, "TestFunction", map[string]any{"action": "echo", "message": "next"}))
	if got.Message != "next" || r.Stats()[0].EnvironmentsStarted != 1 {
		t.Errorf("got %+v, stats %+v: want the same environment to serve the next call", got, r.Stats()[0])
	}
}

func TestLogsAreStreamedWithTheFunctionName(t *testing.T) {
	logs := &syncBuffer{}
	r := newRuntime(t, Function{}, logs)
	invoke(t, r, "TestFunction", map[string]any{"action": "log", "message": "hello from the function"})
	invoke(t, r, "TestFunction", map[string]any{"action": "exit", "code": 1})
	// exited is closed after the output is flushed, so the lines are there once the crash is seen.
	for _, want := range []string{
		"[TestFunction] hello from the function\n",
		"[TestFunction] stderr: hello from the function\n",
		"[TestFunction] exiting with 1\n",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

func TestInitCrashIsReported(t *testing.T) {
	r := newRuntime(t, Function{Env: map[string]string{"TEST_CRASH_ON_INIT": "1"}}, nil)
	got := decodeError(t, invoke(t, r, "TestFunction", map[string]any{"action": "echo"}))
	if got.ErrorType != "Runtime.ExitError" || !strings.Contains(got.ErrorMessage, "exit status 3") {
		t.Errorf("got %+v, want Runtime.ExitError with exit status 3", got)
	}
}

func TestCloseStopsEveryProcess(t *testing.T) {
	r, err := New(Config{Functions: []Function{{Name: "A", Bootstrap: testBootstrap, MaxEnvironments: 2, Timeout: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(t.TempDir(), "gate")
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			// Close ends these mid-invocation; any answer (a crash report) is fine, hanging is not.
			_, _ = r.Invoke(context.Background(), "A", []byte(`{"action":"wait","gate":"`+gate+`"}`))
		})
	}
	waitFor(t, "two running environments", func() bool { return running(r, "A") == 2 })
	var procs []*os.Process
	f := r.functions["A"]
	f.mu.Lock()
	for env := range f.all {
		procs = append(procs, env.cmd.Process)
	}
	f.mu.Unlock()
	if len(procs) != 2 {
		t.Fatalf("%d processes, want 2", len(procs))
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	for _, p := range procs {
		// Close waits for each process, so it has been reaped: signalling it must fail.
		if err := p.Signal(syscall.Signal(0)); !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("process %d still there after Close (signal 0: %v)", p.Pid, err)
		}
	}
	if _, err := r.Invoke(context.Background(), "A", []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: err = %v, want ErrClosed", err)
	}
}

// A bootstrap named relative to the working directory still starts, although the process runs in
// the bootstrap's own directory (make local passes build/<arch>/<LogicalId>/bootstrap).
func TestRelativeBootstrapPath(t *testing.T) {
	t.Chdir(filepath.Dir(filepath.Dir(testBootstrap)))
	rel := filepath.Join(filepath.Base(filepath.Dir(testBootstrap)), "bootstrap")
	r, err := New(Config{Functions: []Function{{Name: "Rel", ARN: testARN, Bootstrap: rel}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	decodeOK(t, invoke(t, r, "Rel", map[string]any{"action": "echo"}))
}
