package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/stepgate/stepgate/internal/offline/account"
)

// Execution statuses, as DescribeExecution reports them.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// ContextObject holds the execution's part of the context object ($$).
// $$.State and $$.Map are maintained by the engine.
type ContextObject struct {
	Execution    ExecutionContext
	StateMachine StateMachineContext
}

// ExecutionContext is $$.Execution.
type ExecutionContext struct {
	ID           string // the execution ARN
	Name         string
	RoleARN      string
	StartTime    time.Time // zero: the clock's time when the execution starts
	RedriveCount int
}

// StateMachineContext is $$.StateMachine.
type StateMachineContext struct {
	ID   string // the state machine ARN
	Name string
}

// Config is what an execution needs from its host.
type Config struct {
	Invoker Invoker
	Clock   Clock // nil: RealClock
	Context ContextObject
	// OnEvent, when set, is called with each history event as it is
	// appended, in order. It runs while the history is locked: it must not
	// call back into the Execution.
	OnEvent func(HistoryEvent)
	// Tokens is where callback tasks register their task tokens, shared by
	// the executions of one local Step Functions so that its
	// SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat reach them.
	// Nil: a registry of the execution's own.
	Tokens *TaskTokens

	// historyLimit overrides maxHistoryEvents, so that the package's own
	// tests and fuzz target can reach the quota in a few events.
	historyLimit int64
}

// maxHistoryEvents is Step Functions' hard quota on the events of one
// execution. Without it a definition that loops by accident would grow the
// history until the host runs out of memory.
const maxHistoryEvents = 25000

// errHistoryLimit is the cancellation cause when the history reaches its
// quota.
var errHistoryLimit = errors.New("execution history limit reached")

// Result is an execution's outcome.
type Result struct {
	Status string
	Output json.RawMessage // SUCCEEDED only
	Error  string
	Cause  string
}

// Execution is one running or finished execution.
type Execution struct {
	sm     *StateMachine
	cfg    Config
	clock  Clock
	region string
	// tokens is Config.Tokens, or a registry of the execution's own made
	// when a callback task first needs it.
	tokens     *TaskTokens
	tokensOnce sync.Once
	input      any

	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}
	// timers tracks the goroutines that wait for a timeout, so that done
	// is closed only once nothing the execution started is left running.
	timers sync.WaitGroup

	// single is set when the execution runs one state (RunState).
	single *singleRun

	mu           sync.Mutex
	events       []HistoryEvent
	historyLimit int64
	result       Result
}

// stopCause is the cancellation cause of a stopped execution.
type stopCause struct{ error, cause string }

func (s *stopCause) Error() string { return "execution aborted" }

// errExecutionTimedOut is the cancellation cause when the machine's
// TimeoutSeconds elapses.
var errExecutionTimedOut = errors.New("execution timed out")

// Start begins an execution of the state machine with input (a JSON value;
// empty means {}). It returns at once; the execution runs in its own
// goroutine. Cancelling ctx aborts the execution as Stop does, so hosts
// should pass a context that lives as long as the execution may, not a
// request's context.
func (sm *StateMachine) Start(ctx context.Context, input json.RawMessage, cfg Config) *Execution {
	e := newExecution(ctx, sm, cfg)
	go e.run(input)
	return e
}

// newExecution prepares an execution (Start) or a single state's run
// (RunState).
func newExecution(ctx context.Context, sm *StateMachine, cfg Config) *Execution {
	clock := cfg.Clock
	if clock == nil {
		clock = RealClock{}
	}
	ectx, cancel := context.WithCancelCause(ctx)
	e := &Execution{
		sm:     sm,
		cfg:    cfg,
		clock:  clock,
		tokens: cfg.Tokens,
		region: regionOf(cfg.Context.Execution.ID),
		ctx:    ectx,
		cancel: cancel,
		done:   make(chan struct{}),
		result: Result{Status: StatusRunning},

		historyLimit: cfg.historyLimit,
	}
	if e.historyLimit <= 0 {
		e.historyLimit = maxHistoryEvents
	}
	if e.cfg.Context.Execution.StartTime.IsZero() {
		e.cfg.Context.Execution.StartTime = clock.Now()
	}
	return e
}

// taskTokens is where the execution's callback tasks register their
// tokens.
func (e *Execution) taskTokens() *TaskTokens {
	e.tokensOnce.Do(func() {
		if e.tokens == nil {
			e.tokens = NewTaskTokens()
		}
	})
	return e.tokens
}

// close wakes the timeout goroutines and waits for them, so that nothing
// the execution started is left running, then closes done.
func (e *Execution) close() {
	e.cancel(nil)
	e.timers.Wait()
	close(e.done)
}

// Done is closed when the execution has finished: its last event is in the
// history and every goroutine it started has returned.
func (e *Execution) Done() <-chan struct{} { return e.done }

// Wait blocks until the execution finishes or ctx is done, and returns the
// result (Status RUNNING if ctx ended first).
func (e *Execution) Wait(ctx context.Context) Result {
	select {
	case <-e.done:
	case <-ctx.Done():
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.result
}

// Stop aborts a running execution (StopExecution): it ends promptly, even in
// a Wait state or a running task, with status ABORTED and an
// ExecutionAborted event carrying errorName and cause. Stopping a finished
// execution does nothing.
func (e *Execution) Stop(errorName, cause string) {
	e.cancel(&stopCause{error: errorName, cause: cause})
}

// History returns a copy of the events so far.
func (e *Execution) History() []HistoryEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]HistoryEvent, len(e.events))
	copy(out, e.events)
	return out
}

// emit appends an event after prev and returns its id. Once the history is
// one event short of its quota, only the event that closes the execution is
// recorded: any other is dropped (its id is the last recorded one) and
// stops the execution, which then fails with the quota's error as that last
// event. This is the rule AWS documents: "When an execution reaches 24,999
// events, it waits for the next event to happen. If the event number 25,000
// is ExecutionSucceeded, the execution finishes successfully", otherwise it
// fails.
func (e *Execution) emit(ev HistoryEvent, prev int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := int64(len(e.events))
	if n >= e.historyLimit || (n == e.historyLimit-1 && !closesExecution(ev.Type)) {
		// Cancelling under mu is safe: the context calls nothing of ours.
		// The first cause wins, so a Stop that came before is kept.
		e.cancel(errHistoryLimit)
		return n
	}
	ev.ID = n + 1
	ev.PreviousEventID = prev
	ev.Timestamp = e.clock.Now()
	e.events = append(e.events, ev)
	if e.cfg.OnEvent != nil {
		e.cfg.OnEvent(ev)
	}
	return ev.ID
}

// closesExecution tells the event types that end an execution. A stop or
// timeout that happens to take the last slot is reported as what it is, as
// is a failure of the machine's own, rather than as the quota.
func closesExecution(typ string) bool {
	switch typ {
	case EventExecutionSucceeded, EventExecutionFailed, EventExecutionAborted, EventExecutionTimedOut:
		return true
	}
	return false
}

// afterSleep calls fn once the clock's d has elapsed, unless ctx ends first;
// Done waits for it.
func (e *Execution) afterSleep(ctx context.Context, d time.Duration, fn func()) {
	e.timers.Go(func() {
		if e.clock.Sleep(ctx, d) == nil {
			fn()
		}
	})
}

func (e *Execution) lastEventID() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int64(len(e.events))
}

func (e *Execution) run(rawInput json.RawMessage) {
	defer e.close()
	if len(strings.TrimSpace(string(rawInput))) == 0 {
		rawInput = json.RawMessage("{}")
	}
	input, err := decodeValue(rawInput)
	inputText := string(rawInput)
	if err == nil {
		inputText, err = marshalValue(input)
	}
	id := e.emit(HistoryEvent{Type: EventExecutionStarted, ExecutionStartedEventDetails: &ExecutionStartedEventDetails{
		Input: inputText, RoleARN: e.cfg.Context.Execution.RoleARN,
	}}, 0)
	if err != nil {
		e.finish(id, nil, failf(ErrNameRuntime, "The execution input is not valid JSON: %v", err))
		return
	}
	e.input = input
	if e.sm.timeoutSeconds > 0 {
		e.afterSleep(e.ctx, durationOfSeconds(float64(e.sm.timeoutSeconds)), func() { e.cancel(errExecutionTimedOut) })
	}
	t := &thread{exec: e, last: id, vars: &scope{}}
	out, err := t.runGraph(e.ctx, e.sm.root, input)
	e.finish(t.last, out, err)
}

// finish records the execution's end from the top-level graph's outcome.
func (e *Execution) finish(prev int64, out any, err error) {
	if cerr := context.Cause(e.ctx); cerr != nil && e.ctx.Err() != nil {
		// A stop or timeout wins over whatever the interrupted state reported.
		err = cerr
	}
	var res Result
	ev := HistoryEvent{}
	var stop *stopCause
	var fail *Failure
	switch {
	case err == nil:
		text, merr := marshalValue(out)
		if merr == nil && len(text) > maxPayloadBytes {
			merr = failf(ErrNameDataLimitExceeded, "The state/task returned a result with a size exceeding the maximum number of bytes service limit.")
		}
		if merr != nil {
			e.finish(prev, nil, asFailure(merr))
			return
		}
		res = Result{Status: StatusSucceeded, Output: json.RawMessage(text)}
		ev.Type = EventExecutionSucceeded
		ev.ExecutionSucceededEventDetails = &OutputEventDetails{Output: text}
	case errors.As(err, &stop):
		res = Result{Status: StatusAborted, Error: stop.error, Cause: stop.cause}
		ev.Type = EventExecutionAborted
		ev.ExecutionAbortedEventDetails = &ErrorEventDetails{Error: stop.error, Cause: stop.cause}
	case errors.Is(err, errHistoryLimit):
		// AWS documents that the execution fails (ExecutionFailed) but not
		// the error's name. The cause is the message AWS users report; the
		// name is our choice: States.Runtime, the error Step Functions gives
		// for the other conditions that fail an execution outright and that
		// no Retry or Catch can handle.
		res = Result{Status: StatusFailed, Error: ErrNameRuntime, Cause: "The execution reached the maximum number of history events (" + itoa(e.historyLimit) + ")."}
		ev.Type = EventExecutionFailed
		ev.ExecutionFailedEventDetails = &ErrorEventDetails{Error: res.Error, Cause: res.Cause}
	case errors.Is(err, errExecutionTimedOut):
		res = Result{Status: StatusTimedOut, Error: ErrNameTimeout, Cause: "The execution timed out after " + itoa(e.sm.timeoutSeconds) + " seconds."}
		ev.Type = EventExecutionTimedOut
		ev.ExecutionTimedOutEventDetails = &ErrorEventDetails{Error: res.Error, Cause: res.Cause}
	case errors.As(err, &fail):
		res = Result{Status: StatusFailed, Error: fail.Name, Cause: fail.Cause}
		ev.Type = EventExecutionFailed
		ev.ExecutionFailedEventDetails = &ErrorEventDetails{Error: fail.Name, Cause: fail.Cause}
	default:
		// The parent context was cancelled: the host is shutting down.
		res = Result{Status: StatusAborted, Error: "States.Aborted", Cause: err.Error()}
		ev.Type = EventExecutionAborted
		ev.ExecutionAbortedEventDetails = &ErrorEventDetails{Error: res.Error, Cause: res.Cause}
	}
	e.emit(ev, prev)
	e.mu.Lock()
	e.result = res
	e.mu.Unlock()
}

// asFailure classifies any error from a state as a Failure.
func asFailure(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	return &Failure{Name: ErrNameRuntime, Cause: err.Error()}
}

// regionOf takes the region from an ARN; the local region when there is none.
func regionOf(s string) string {
	if a, err := arn.Parse(s); err == nil && a.Region != "" {
		return a.Region
	}
	return account.Region
}

// accountOf takes the account from an ARN; the local account when there is none.
func accountOf(s string) string {
	if a, err := arn.Parse(s); err == nil && a.AccountID != "" {
		return a.AccountID
	}
	return account.ID
}
