// Package locallambda is the Lambda service of the offline stack. It runs the real `bootstrap`
// binaries (provided.al2023 custom runtimes) as local processes and talks to them through its own
// implementation of the Lambda Runtime API (2018-06-01), so a function behaves as it does on AWS:
// one runtime environment serves one invocation at a time, concurrency comes from several warm
// environments per function (started on demand up to a cap and reused), the timeout is enforced by
// killing the environment, and a crashed or timed-out environment is replaced.
//
// Own Runtime API server rather than AWS's aws-lambda-rie: the emulator costs one more process and
// one more HTTP hop per invocation, answers a timeout with a bare text body rather than Lambda's
// Sandbox.Timedout error, rounds timeouts to whole seconds and hard-codes another account in the
// function ARN; the figures in the package benchmarks (BenchmarkInvoke vs BenchmarkRIE) decided it.
package locallambda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/stepgate/stepgate/internal/offline/account"
)

// Defaults Lambda applies when a template leaves a setting out.
const (
	DefaultTimeout  = 3 * time.Second
	DefaultMemoryMB = 128
	// DefaultMaxEnvironments bounds a function's processes locally, where Lambda's account limit
	// (1000) would only exhaust the machine; a warm Go environment costs about 8 MB of RSS.
	DefaultMaxEnvironments = 8
	// initTimeout is Lambda's limit on the init phase of an on-demand environment.
	initTimeout = 10 * time.Second
	// maxResponseBytes is the synchronous invocation response limit.
	maxResponseBytes = 6 * 1024 * 1024
	// stopGrace is how long Close waits for a process after SIGTERM before SIGKILL.
	stopGrace = 2 * time.Second
)

var (
	// ErrFunctionNotFound is returned by Invoke for a name or ARN no configured function has
	// (Lambda's ResourceNotFoundException).
	ErrFunctionNotFound = errors.New("function not found")
	// ErrClosed is returned by Invoke once Close has been called.
	ErrClosed = errors.New("local lambda runtime closed")
)

// Function is one Lambda function as the template describes it.
type Function struct {
	Name      string // the function name (the template's logical ID locally)
	ARN       string // the function ARN given to the runtime as Lambda-Runtime-Invoked-Function-Arn
	Bootstrap string // path of the bootstrap executable; its directory is LAMBDA_TASK_ROOT
	Handler   string // _HANDLER; "bootstrap" when empty, as SAM sets it for provided runtimes
	Env       map[string]string
	Timeout   time.Duration // DefaultTimeout when zero
	MemoryMB  int           // DefaultMemoryMB when zero
	// MaxEnvironments caps the function's concurrent environments (its reserved concurrency);
	// DefaultMaxEnvironments when zero. Invocations beyond it wait for a free environment.
	MaxEnvironments int
	// LogFormat is the function's LoggingConfig.LogFormat, "Text" (default) or "JSON"; Lambda
	// passes it to the runtime as AWS_LAMBDA_LOG_FORMAT.
	LogFormat string
}

// Config configures a Runtime.
type Config struct {
	Functions []Function
	// ExtraEnv is added to every function's environment last, so it wins (AWS_ENDPOINT_URL, …).
	ExtraEnv  map[string]string
	Region    string       // the local region (package account) when empty
	LogWriter io.Writer    // receives the functions' stdout and stderr, line by line; discarded when nil
	Logger    *slog.Logger // the runtime's own events (environment started, replaced); discarded when nil
}

// Response is the outcome of one invocation, as Lambda's Invoke API reports it.
type Response struct {
	// Payload is the function's response, or the {"errorMessage","errorType",…} error body.
	Payload []byte
	// FunctionError is "" on success and "Unhandled" for any function error (X-Amz-Function-Error).
	FunctionError string
}

// FunctionStats describes one function's environments, for the console and the benchmarks.
type FunctionStats struct {
	Name                string
	EnvironmentsStarted int64 // cold starts since New
	Warm                int   // environments alive now (idle or busy)
	Busy                int   // environments serving an invocation now
	Waiting             int   // invocations waiting for a free environment
	Invocations         int64
	Errors              int64 // invocations answered with a function error
	Timeouts            int64
}

// Runtime is the local Lambda service: it owns every function's environments.
type Runtime struct {
	region string
	logs   *lineSink
	logger *slog.Logger
	extra  map[string]string

	functions map[string]*function // by name and by ARN

	closeMu   sync.Mutex
	closing   chan struct{}
	closeOnce sync.Once
	inflight  sync.WaitGroup
}

// New validates the configuration and returns a Runtime. Environments start on first use.
func New(cfg Config) (*Runtime, error) {
	r := &Runtime{
		region:    cfg.Region,
		logger:    cfg.Logger,
		extra:     cfg.ExtraEnv,
		functions: make(map[string]*function, 2*len(cfg.Functions)),
		closing:   make(chan struct{}),
	}
	if r.region == "" {
		r.region = account.Region
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	w := cfg.LogWriter
	if w == nil {
		w = io.Discard
	}
	r.logs = &lineSink{w: w}
	for _, spec := range cfg.Functions {
		if spec.Name == "" {
			return nil, errors.New("local lambda: a function has no name")
		}
		if _, dup := r.functions[spec.Name]; dup {
			return nil, fmt.Errorf("local lambda: function %s configured twice", spec.Name)
		}
		// The process runs in the bootstrap's directory (LAMBDA_TASK_ROOT), so a relative path
		// would no longer name it there.
		abs, err := filepath.Abs(spec.Bootstrap)
		if err != nil {
			return nil, fmt.Errorf("local lambda: bootstrap of %s: %w", spec.Name, err)
		}
		spec.Bootstrap = abs
		info, err := os.Stat(spec.Bootstrap)
		if err != nil {
			return nil, fmt.Errorf("local lambda: bootstrap of %s: %w", spec.Name, err)
		}
		if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
			return nil, fmt.Errorf("local lambda: bootstrap of %s (%s) is not an executable file", spec.Name, spec.Bootstrap)
		}
		if spec.Timeout <= 0 {
			spec.Timeout = DefaultTimeout
		}
		if spec.MemoryMB <= 0 {
			spec.MemoryMB = DefaultMemoryMB
		}
		if spec.MaxEnvironments <= 0 {
			spec.MaxEnvironments = DefaultMaxEnvironments
		}
		if spec.Handler == "" {
			spec.Handler = "bootstrap"
		}
		if spec.LogFormat == "" {
			spec.LogFormat = "Text"
		}
		f := &function{rt: r, spec: spec, slots: make(chan struct{}, spec.MaxEnvironments)}
		r.functions[spec.Name] = f
		if spec.ARN != "" {
			r.functions[spec.ARN] = f
		}
	}
	return r, nil
}

// Invoke runs one synchronous invocation (RequestResponse) of the function named by its name or
// ARN. Function errors, timeouts and crashes come back as a Response with FunctionError set and
// Lambda's error body, so callers map them as they map AWS's answers; the Go error is reserved
// for ErrFunctionNotFound, ErrClosed, the caller's context, and failures to start a process.
//
// When ctx ends while the function runs, Invoke returns ctx's error at once, but the environment
// stays busy until the invocation finishes or times out, as on Lambda.
func (r *Runtime) Invoke(ctx context.Context, nameOrARN string, payload []byte) (Response, error) {
	f, ok := r.functions[nameOrARN]
	if !ok {
		// A qualified ARN (…:function:Name:$LATEST) names the same function locally.
		if a, err := arn.Parse(nameOrARN); err == nil {
			if parts := strings.Split(a.Resource, ":"); len(parts) == 3 && parts[0] == "function" {
				a.Resource = parts[0] + ":" + parts[1]
				f, ok = r.functions[a.String()]
			}
		}
		if !ok {
			return Response{}, fmt.Errorf("invoke %s: %w", nameOrARN, ErrFunctionNotFound)
		}
	}
	// The check and Add happen under closeMu so that Close's Wait never races a new Add.
	r.closeMu.Lock()
	select {
	case <-r.closing:
		r.closeMu.Unlock()
		return Response{}, ErrClosed
	default:
	}
	r.inflight.Add(1)
	r.closeMu.Unlock()
	defer r.inflight.Done()
	return f.invoke(ctx, payload)
}

// Stats reports every function's environments, sorted by name.
func (r *Runtime) Stats() []FunctionStats {
	var out []FunctionStats
	for key, f := range r.functions {
		if key != f.spec.Name {
			continue
		}
		out = append(out, f.stats())
	}
	slices.SortFunc(out, func(a, b FunctionStats) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Close stops every environment: SIGTERM, then SIGKILL when a process outlives a short grace
// period or ctx ends. Invocations in flight end with ErrClosed or a Runtime.ExitError.
func (r *Runtime) Close(ctx context.Context) error {
	r.closeMu.Lock()
	r.closeOnce.Do(func() { close(r.closing) })
	r.closeMu.Unlock()
	var wg sync.WaitGroup
	for key, f := range r.functions {
		if key != f.spec.Name {
			continue
		}
		for _, env := range f.drain() {
			wg.Go(func() { env.stop(ctx) })
		}
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { r.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close local lambda: %w", ctx.Err())
	}
}

// function is one function's pool of environments.
type function struct {
	rt   *Runtime
	spec Function
	// slots holds one token per environment that may exist; an invocation holds a token from
	// before it picks or starts an environment until that environment is idle again.
	slots chan struct{}

	mu      sync.Mutex
	idle    []*environment // LIFO, so the warmest environment serves first
	all     map[*environment]struct{}
	closed  bool
	waiting int
	busy    int
	seq     int

	started, invocations, errors, timeouts atomic.Int64
}

func (f *function) stats() FunctionStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FunctionStats{
		Name:                f.spec.Name,
		EnvironmentsStarted: f.started.Load(),
		Warm:                len(f.all),
		Busy:                f.busy,
		Waiting:             f.waiting,
		Invocations:         f.invocations.Load(),
		Errors:              f.errors.Load(),
		Timeouts:            f.timeouts.Load(),
	}
}

// maxAttempts bounds how often an invocation moves to another environment because the one it
// was given died before taking it (a runtime that exits right after answering, as aws-lambda-go
// does after a panic).
const maxAttempts = 3

func (f *function) invoke(ctx context.Context, payload []byte) (Response, error) {
	f.mu.Lock()
	f.waiting++
	f.mu.Unlock()
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		f.mu.Lock()
		f.waiting--
		f.mu.Unlock()
		return Response{}, fmt.Errorf("invoke %s: waiting for an environment: %w", f.spec.Name, ctx.Err())
	case <-f.rt.closing:
		f.mu.Lock()
		f.waiting--
		f.mu.Unlock()
		return Response{}, ErrClosed
	}
	f.mu.Lock()
	f.waiting--
	f.busy++
	f.mu.Unlock()
	f.invocations.Add(1)

	inv := newInvocation(payload)
	for attempt := 1; ; attempt++ {
		env, err := f.acquire()
		if err != nil {
			f.release(nil)
			return Response{}, err
		}
		out := env.run(ctx, inv, f.spec.Timeout)
		switch {
		case out.retry && attempt < maxAttempts:
			f.discard(env)
			continue
		case out.retry:
			out = env.crashOutcome(inv)
		case out.detached:
			// The caller left; the environment finishes in the background.
			go func() {
				healthy := env.finish(inv, f.spec.Timeout)
				f.settle(env, healthy)
			}()
			return Response{}, fmt.Errorf("invoke %s: %w", f.spec.Name, ctx.Err())
		}
		f.settle(env, out.healthy)
		if out.resp.FunctionError != "" {
			f.errors.Add(1)
		}
		if out.timedOut {
			f.timeouts.Add(1)
		}
		return out.resp, out.err
	}
}

// acquire returns an idle environment, or starts one; the caller holds a slot.
func (f *function) acquire() (*environment, error) {
	f.mu.Lock()
	for len(f.idle) > 0 {
		env := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if env.alive() {
			f.mu.Unlock()
			return env, nil
		}
		delete(f.all, env)
	}
	if f.closed {
		f.mu.Unlock()
		return nil, ErrClosed
	}
	f.seq++
	seq := f.seq
	f.mu.Unlock()

	env, err := startEnvironment(f, seq)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: start environment: %w", f.spec.Name, err)
	}
	f.started.Add(1)
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		env.kill()
		return nil, ErrClosed
	}
	if f.all == nil {
		f.all = make(map[*environment]struct{})
	}
	f.all[env] = struct{}{}
	f.mu.Unlock()
	f.rt.logger.Debug("environment started", "function", f.spec.Name, "environment", seq, "runtimeAPI", env.addr)
	return env, nil
}

// settle returns a healthy environment to the idle pool, or stops a broken one, and frees the slot.
func (f *function) settle(env *environment, healthy bool) {
	if !healthy {
		f.discard(env)
		f.release(nil)
		return
	}
	f.release(env)
}

func (f *function) release(idle *environment) {
	f.mu.Lock()
	f.busy--
	// Once drained, Close stops every environment it was handed; this one among them.
	if idle != nil && !f.closed {
		f.idle = append(f.idle, idle)
	}
	f.mu.Unlock()
	<-f.slots
}

// discard kills a timed-out or broken environment; the next invocation starts a fresh one.
func (f *function) discard(env *environment) {
	f.forget(env)
	env.kill()
	f.rt.logger.Info("environment replaced", "function", f.spec.Name, "environment", env.seq)
}

// forget drops an environment from the pool (it exited or is being killed).
func (f *function) forget(env *environment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.all, env)
	if i := slices.Index(f.idle, env); i >= 0 {
		f.idle = slices.Delete(f.idle, i, i+1)
	}
}

// drain marks the function closed and hands back every environment for stopping.
func (f *function) drain() []*environment {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	envs := make([]*environment, 0, len(f.all))
	for env := range f.all {
		envs = append(envs, env)
	}
	f.all = nil
	f.idle = nil
	return envs
}
