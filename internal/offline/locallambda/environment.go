package locallambda

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/awsid"
)

// Runtime API paths (version 2018-06-01).
const (
	pathNext      = "GET /2018-06-01/runtime/invocation/next"
	pathResponse  = "POST /2018-06-01/runtime/invocation/{id}/response"
	pathError     = "POST /2018-06-01/runtime/invocation/{id}/error"
	pathInitError = "POST /2018-06-01/runtime/init/error"
)

// invocation is one request travelling to a runtime and back.
type invocation struct {
	id      string
	traceID string
	payload []byte
	done    chan result // buffered: the runtime's answer, at most one is kept
}

type result struct {
	payload []byte
	errored bool // posted to /error (a handled or panicking function error)
}

func newInvocation(payload []byte) *invocation {
	return &invocation{id: uuid.NewString(), traceID: newTraceID(), payload: payload, done: make(chan result, 1)}
}

// environment is one runtime environment: one bootstrap process with its own Runtime API
// endpoint, serving one invocation at a time.
type environment struct {
	fn   *function
	seq  int
	addr string
	cmd  *exec.Cmd
	srv  *http.Server

	next     chan *invocation // GET /next takes the invocation from here
	ready    chan struct{}    // closed on the first GET /next: the init phase is over
	exited   chan struct{}    // closed once the process has exited
	exitErr  error            // the process's exit status, valid after exited
	stopOnce sync.Once

	mu        sync.Mutex
	current   *invocation // handed to the runtime and not yet answered
	initError []byte      // body of POST /runtime/init/error
	readyOnce sync.Once
}

func startEnvironment(f *function, seq int) (*environment, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the runtime API: %w", err)
	}
	env := &environment{
		fn:     f,
		seq:    seq,
		addr:   ln.Addr().String(),
		next:   make(chan *invocation),
		ready:  make(chan struct{}),
		exited: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(pathNext, env.handleNext)
	mux.HandleFunc(pathResponse, env.handleResponse)
	mux.HandleFunc(pathError, env.handleError)
	mux.HandleFunc(pathInitError, env.handleInitError)
	env.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = env.srv.Serve(ln) }()

	spec := f.spec
	cmd := exec.Command(spec.Bootstrap)
	cmd.Dir = filepath.Dir(spec.Bootstrap)
	cmd.Env = env.environ()
	prefix := "[" + spec.Name + "] "
	stdout, stderr := f.rt.logs.writer(prefix), f.rt.logs.writer(prefix)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A runtime may leave children holding the pipes open; do not wait for them forever.
	cmd.WaitDelay = time.Second
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		_ = env.srv.Close()
		return nil, fmt.Errorf("start %s: %w", spec.Bootstrap, err)
	}
	env.cmd = cmd
	go func() {
		env.exitErr = cmd.Wait()
		stdout.flush()
		stderr.flush()
		close(env.exited)
		_ = env.srv.Close()
		f.forget(env)
	}()
	return env, nil
}

// environ is the environment Lambda gives a provided.al2023 runtime: the function's variables,
// then the reserved ones (which a template cannot override), then the caller's extras.
func (env *environment) environ() []string {
	spec := env.fn.spec
	rt := env.fn.rt
	vars := maps.Clone(spec.Env)
	if vars == nil {
		vars = make(map[string]string)
	}
	now := time.Now().UTC()
	maps.Copy(vars, map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          env.addr,
		"AWS_LAMBDA_FUNCTION_NAME":        spec.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(spec.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + spec.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      now.Format("2006/01/02") + "/[$LATEST]" + awsid.Hex(32),
		"AWS_LAMBDA_LOG_FORMAT":           spec.LogFormat,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      rt.region,
		"AWS_DEFAULT_REGION":              rt.region,
		"_HANDLER":                        spec.Handler,
		"LAMBDA_TASK_ROOT":                filepath.Dir(spec.Bootstrap),
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		// Lambda hands out role credentials; locally any non-empty values let the SDKs sign.
		"AWS_ACCESS_KEY_ID":     "ASIALOCALSTEPGATE000",
		"AWS_SECRET_ACCESS_KEY": "local-secret-access-key",
		"AWS_SESSION_TOKEN":     "local-session-token",
		"TZ":                    ":UTC",
		"LANG":                  "en_US.UTF-8",
		"PATH":                  "/usr/local/bin:/usr/bin:/bin",
	})
	if spec.LogFormat == "JSON" && vars["AWS_LAMBDA_LOG_LEVEL"] == "" {
		vars["AWS_LAMBDA_LOG_LEVEL"] = "INFO"
	}
	maps.Copy(vars, rt.extra)
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

func (env *environment) alive() bool {
	select {
	case <-env.exited:
		return false
	default:
		return true
	}
}

// outcome is what run tells the pool about one attempt.
type outcome struct {
	resp     Response
	err      error
	healthy  bool // the environment may serve again
	retry    bool // the environment died before taking the invocation: try another one
	detached bool // the caller's context ended after the runtime took the invocation
	timedOut bool
}

// run hands inv to the runtime and waits for its answer, the timeout, a crash or ctx.
func (env *environment) run(ctx context.Context, inv *invocation, timeout time.Duration) outcome {
	wasReady := isClosed(env.ready)
	initTimer := time.NewTimer(initTimeout)
	defer initTimer.Stop()
	select {
	case env.next <- inv:
	case <-env.exited:
		if wasReady {
			return outcome{retry: true}
		}
		return env.crashOutcome(inv)
	case <-initTimer.C:
		return outcome{resp: timeoutResponse(inv.id, initTimeout), timedOut: true}
	case <-ctx.Done():
		// Not handed over: the environment is as good as before.
		return outcome{err: fmt.Errorf("invoke %s: %w", env.fn.spec.Name, ctx.Err()), healthy: env.alive()}
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-inv.done:
		return env.answered(inv, res)
	case <-env.exited:
		return env.crashOutcome(inv)
	case <-timer.C:
		return outcome{resp: timeoutResponse(inv.id, timeout), timedOut: true}
	case <-ctx.Done():
		return outcome{detached: true}
	}
}

// finish waits out an invocation whose caller has gone, and reports whether the environment
// may serve again. The deadline is the function timeout from now: generous, never shorter.
func (env *environment) finish(inv *invocation, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-inv.done:
		return env.answered(inv, res).healthy
	case <-env.exited:
		return false
	case <-timer.C:
		return false
	}
}

func (env *environment) answered(inv *invocation, res result) outcome {
	if res.errored {
		// A panicking aws-lambda-go runtime posts its error and then exits; the pool learns it
		// from exited, and run's retry covers an invocation handed to it in between.
		return outcome{resp: Response{Payload: res.payload, FunctionError: "Unhandled"}, healthy: env.alive()}
	}
	if len(res.payload) > maxResponseBytes {
		return outcome{resp: errorResponse("Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponseBytes)), healthy: true}
	}
	return outcome{resp: Response{Payload: res.payload}, healthy: true}
}

func (env *environment) crashOutcome(inv *invocation) outcome {
	env.mu.Lock()
	initErr := env.initError
	env.mu.Unlock()
	if initErr != nil {
		return outcome{resp: Response{Payload: initErr, FunctionError: "Unhandled"}}
	}
	status := "exit status unknown"
	if env.exitErr != nil {
		status = env.exitErr.Error()
	}
	return outcome{resp: errorResponse("Runtime.ExitError",
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, status))}
}

// timeoutResponse is Lambda's answer when a function outlives its timeout.
func timeoutResponse(requestID string, timeout time.Duration) Response {
	return errorResponse("Sandbox.Timedout",
		fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds()))
}

func errorResponse(errorType, message string) Response {
	body, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	return Response{Payload: body, FunctionError: "Unhandled"}
}

// stop ends the process (SIGTERM, then SIGKILL after a grace period or when ctx ends) and the
// Runtime API server. It is idempotent.
func (env *environment) stop(ctx context.Context) {
	env.stopOnce.Do(func() {
		if env.alive() {
			signalGroup(env.cmd, sigTerm)
			grace := time.NewTimer(stopGrace)
			select {
			case <-env.exited:
			case <-grace.C:
			case <-ctx.Done():
			}
			grace.Stop()
		}
		signalGroup(env.cmd, sigKill)
		<-env.exited
		_ = env.srv.Close()
	})
}

// kill ends the process at once, as Lambda does with a timed-out or broken environment.
func (env *environment) kill() {
	env.stopOnce.Do(func() {
		signalGroup(env.cmd, sigKill)
		<-env.exited
		_ = env.srv.Close()
	})
}

// ---- Runtime API handlers ---------------------------------------------------------------------

func (env *environment) handleNext(w http.ResponseWriter, r *http.Request) {
	env.readyOnce.Do(func() { close(env.ready) })
	var inv *invocation
	select {
	case inv = <-env.next:
	case <-r.Context().Done():
		return
	}
	spec := env.fn.spec
	env.mu.Lock()
	env.current = inv
	env.mu.Unlock()
	h := w.Header()
	h["Lambda-Runtime-Aws-Request-Id"] = []string{inv.id}
	h["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(time.Now().Add(spec.Timeout).UnixMilli(), 10)}
	h["Lambda-Runtime-Invoked-Function-Arn"] = []string{spec.ARN}
	h["Lambda-Runtime-Trace-Id"] = []string{inv.traceID}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(inv.payload))}
	_, _ = w.Write(inv.payload)
}

func (env *environment) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv, ok := env.take(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	if err != nil {
		writeRuntimeAPIError(w, http.StatusInternalServerError, "Runtime.ReadError", "reading the response body: "+err.Error())
		inv.done <- result{payload: errorResponse("Runtime.ReadError", err.Error()).Payload, errored: true}
		return
	}
	if len(body) > maxResponseBytes {
		writeRuntimeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response payload too large")
	} else {
		writeAccepted(w)
	}
	inv.done <- result{payload: body}
}

func (env *environment) handleError(w http.ResponseWriter, r *http.Request) {
	inv, ok := env.take(w, r)
	if !ok {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	writeAccepted(w)
	inv.done <- result{payload: errorBody(body, r.Header.Get("Lambda-Runtime-Function-Error-Type")), errored: true}
}

func (env *environment) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	env.mu.Lock()
	env.initError = errorBody(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	env.mu.Unlock()
	writeAccepted(w)
}

// take claims the current invocation for the request ID in the path.
func (env *environment) take(w http.ResponseWriter, r *http.Request) (*invocation, bool) {
	id := r.PathValue("id")
	env.mu.Lock()
	inv := env.current
	if inv != nil && inv.id == id {
		env.current = nil
	} else {
		inv = nil
	}
	env.mu.Unlock()
	if inv == nil {
		writeRuntimeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return nil, false
	}
	return inv, true
}

// errorBody keeps a runtime's {"errorMessage","errorType",…} body as Lambda does, and builds
// one when a runtime posts something else.
func errorBody(body []byte, headerType string) []byte {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) == nil && probe != nil {
		return body
	}
	if headerType == "" {
		headerType = "Runtime.Unknown"
	}
	return errorResponse(headerType, string(body)).Payload
}

func writeAccepted(w http.ResponseWriter) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeRuntimeAPIError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	_, _ = w.Write(errorResponse(errorType, message).Payload)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// newTraceID returns an X-Ray trace header in the form Lambda passes to runtimes.
func newTraceID() string {
	return "Root=" + awsid.TraceID() + ";Parent=" + awsid.Hex(16) + ";Sampled=0"
}
