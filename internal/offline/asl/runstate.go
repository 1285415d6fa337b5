package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// StateRun asks RunState to run one state of a parsed definition, as the
// TestState API does.
type StateRun struct {
	// Name is the state to run: one of the machine's states, or a state of
	// a Parallel branch or a Map's item processor (names are unique in a
	// machine).
	Name string
	// Input is the state's raw input; empty means {}.
	Input json.RawMessage
	// Context is the context object ($$, $states.context) as JSON. Empty:
	// the one an execution builds from Config.Context, with this state's
	// name and RetryCount.
	Context json.RawMessage
	// Variables are the workflow variables in scope, a JSON object; empty:
	// none.
	Variables json.RawMessage
	// RetryCount is how many times the state has been retried already:
	// $$.State.RetryCount, and the attempts the matching retrier has made.
	RetryCount int
	// Mock, when set, replaces the state's work: a Task state's call, a
	// Parallel state's branches, a Map state's iterations (teststate.go).
	Mock *Mock
	// MapIterationFailureCount is how many iterations of a mocked Map state
	// failed: beyond its ToleratedFailureCount or ToleratedFailurePercentage
	// the state fails with States.ExceedToleratedFailureThreshold.
	MapIterationFailureCount int
	// MapItemReaderData is what a Map state's ItemReader reads, as found in
	// its source: JSON, JSON Lines or CSV, as its ReaderConfig says.
	MapItemReaderData string
}

// StateResult is what one run of a state did.
type StateResult struct {
	// Output is the state's output, or its catcher's when one caught the
	// error; empty when the state failed.
	Output json.RawMessage
	// Next is the state that runs next: Next, the Choice rule's or the
	// Default's target, or the catcher's Next. Empty when the state ends
	// its graph or fails.
	Next string
	// Failure is the error the state failed with, also when a retrier
	// would retry it (Inspection.Error.RetryIndex) or a catcher caught it
	// (Inspection.Error.CatchIndex); nil when it succeeded.
	Failure *Failure
	// Inspection is the data at each processing step.
	Inspection Inspection
}

// Inspection holds the data of each processing step of a state's run, as
// TestState's inspectionData reports it; each value is JSON text, empty
// when the step did not happen (a JSONata state has no InputPath, …) or
// TestState does not report it for the state's type (reported, in
// teststate.go).
type Inspection struct {
	Input               string // the raw input
	AfterInputPath      string // JSONPath
	AfterParameters     string // JSONPath
	AfterArguments      string // JSONata
	Result              string // the raw result of a Task state, or a Pass state's Result
	AfterResultSelector string // JSONPath
	AfterResultPath     string // JSONPath
	AfterItemsPath      string // Map: the items
	AfterItemSelector   string // Map: each iteration's input
	AfterItemBatcher    string // Distributed Map: the batches, each an iteration's input
	// MaxConcurrency is a Map state's evaluated MaxConcurrency (0: as many
	// as possible); nil for other states.
	MaxConcurrency *int64
	// ToleratedFailureCount and ToleratedFailurePercentage are a
	// Distributed Map state's evaluated thresholds; nil when it sets none.
	ToleratedFailureCount      *int64
	ToleratedFailurePercentage *float64
	// Variables are all the variables in scope after the state (its
	// assignments included), a JSON object.
	Variables string
	// Error tells how the state's error was handled; nil when it succeeded.
	Error *InspectionError
}

// InspectionError tells which retrier or catcher handles a state's error.
type InspectionError struct {
	// RetryIndex is the Retry element whose ErrorEquals matches the error,
	// -1 when none does. Retrying tells that it retries the error (its
	// attempts are not used up: TestState's RETRIABLE), after RetryBackoff.
	RetryIndex   int
	Retrying     bool
	RetryBackoff time.Duration
	// CatchIndex is the Catch element that caught the error, -1 when none
	// did.
	CatchIndex int
}

// inspectStep names a processing step.
type inspectStep int

const (
	stepInput inspectStep = iota
	stepAfterInputPath
	stepAfterParameters
	stepAfterArguments
	stepResult
	stepAfterResultSelector
	stepAfterResultPath
	stepAfterItemsPath
	stepAfterItemSelector
	stepAfterItemBatcher
)

// inspector records a state's processing steps for RunState. Executions
// have none: every method does nothing on a nil inspector.
type inspector struct {
	data    Inspection
	failure *Failure // the error Error describes
}

// record stores a step's value.
func (e *env) record(step inspectStep, v any) {
	if e.inspect == nil {
		return
	}
	e.recordText(step, compactJSON(v))
}

// recordText stores a step's value already rendered.
func (e *env) recordText(step inspectStep, text string) {
	r := e.inspect
	if r == nil {
		return
	}
	switch step {
	case stepInput:
		r.data.Input = text
	case stepAfterInputPath:
		r.data.AfterInputPath = text
	case stepAfterParameters:
		r.data.AfterParameters = text
	case stepAfterArguments:
		r.data.AfterArguments = text
	case stepResult:
		r.data.Result = text
	case stepAfterResultSelector:
		r.data.AfterResultSelector = text
	case stepAfterResultPath:
		r.data.AfterResultPath = text
	case stepAfterItemsPath:
		r.data.AfterItemsPath = text
	case stepAfterItemSelector:
		r.data.AfterItemSelector = text
	case stepAfterItemBatcher:
		r.data.AfterItemBatcher = text
	}
}

func (r *inspector) maxConcurrency(n int64) {
	if r != nil {
		r.data.MaxConcurrency = &n
	}
}

// retrying records that the retrier at index retries the state's error f
// after backoff.
func (r *inspector) retrying(f *Failure, index int, backoff time.Duration) {
	if r != nil {
		r.data.Error = &InspectionError{RetryIndex: index, Retrying: true, RetryBackoff: backoff, CatchIndex: -1}
		r.failure = f
	}
}

// failed records how the state's error f is handled when no retry is left:
// the retrier that matched it (-1: none), the catcher that caught it (-1:
// none).
func (r *inspector) failed(f *Failure, retryIndex, catchIndex int) {
	if r != nil {
		r.data.Error = &InspectionError{RetryIndex: retryIndex, CatchIndex: catchIndex}
		r.failure = f
	}
}

// singleRun is what RunState sets on its execution.
type singleRun struct {
	state      *state // the state run; the states it runs (branches, iterations) run as in an execution
	context    any    // the context object given, nil: built as an execution's
	retryCount int
	inspect    *inspector
	mock       *Mock
	// mapFailures and readerData are StateRun's MapIterationFailureCount
	// and MapItemReaderData.
	mapFailures int
	readerData  string
}

// ErrNoSuchState is wrapped by RunState's error for a name the definition
// does not have.
var ErrNoSuchState = errors.New("no such state")

// RunState runs one state of the machine on a given input, context object,
// variables and retry count, and returns its output, next state, error and
// the data at each processing step: the seam of the TestState API. It runs
// the state exactly as an execution does (the same code: its Task calls
// cfg.Invoker, a Map or Parallel state runs its iterations or branches, a
// Wait state waits on cfg.Clock), once: a retrier that matches the error is
// reported, not waited for. A Mock replaces the work of a Task, Map or
// Parallel state. The error is for a request it cannot run (an
// unknown state, input that is not JSON); a failing state is a result.
// cfg.OnEvent, when set, sees the history events of the run.
func (sm *StateMachine) RunState(ctx context.Context, run StateRun, cfg Config) (StateResult, error) {
	st := sm.root.find(run.Name)
	if st == nil {
		return StateResult{}, fmt.Errorf("run state %q: %w", run.Name, ErrNoSuchState)
	}
	input, err := decodeJSONOr(run.Input, "{}")
	if err != nil {
		return StateResult{}, fmt.Errorf("run state %q: input: %w", run.Name, err)
	}
	one := &singleRun{state: st, retryCount: run.RetryCount, inspect: &inspector{}, mock: run.Mock,
		mapFailures: run.MapIterationFailureCount, readerData: run.MapItemReaderData}
	if len(strings.TrimSpace(string(run.Context))) > 0 {
		if one.context, err = decodeValue(run.Context); err != nil {
			return StateResult{}, fmt.Errorf("run state %q: context: %w", run.Name, err)
		}
	}
	vars, err := decodeJSONOr(run.Variables, "{}")
	if err != nil {
		return StateResult{}, fmt.Errorf("run state %q: variables: %w", run.Name, err)
	}
	scope := &scope{}
	if assigned, _ := value.Keys(vars); len(assigned) > 0 {
		values := make(map[string]any, len(assigned))
		texts := make(map[string]string, len(assigned))
		for _, k := range assigned {
			values[k], _, _ = value.Field(vars, k)
			texts[k] = compactJSON(values[k])
		}
		if err := scope.set(values, texts); err != nil {
			return StateResult{}, fmt.Errorf("run state %q: variables: %w", run.Name, err)
		}
	} else if !value.IsObject(vars) {
		return StateResult{}, fmt.Errorf("run state %q: variables must be a JSON object", run.Name)
	}

	e := newExecution(ctx, sm, cfg)
	e.single = one
	e.input = input
	defer e.close()
	t := &thread{exec: e, vars: scope}
	out, next, err := t.runState(e.ctx, st, input)
	res := StateResult{Inspection: reported(st, one.inspect.data), Next: next}
	res.Inspection.Variables = compactJSON(scope.all())
	if err != nil {
		if cerr := context.Cause(e.ctx); cerr != nil && e.ctx.Err() != nil {
			err = cerr
		}
		res.Failure, res.Next = asFailure(err), ""
		return res, nil
	}
	text, err := marshalValue(out)
	if err != nil {
		res.Failure = asFailure(err)
		return res, nil
	}
	res.Output = json.RawMessage(text)
	if res.Inspection.Error != nil {
		// Caught: the result carries the error the catcher handled.
		res.Failure = one.inspect.failure
	}
	return res, nil
}

// decodeJSONOr decodes raw, or empty when raw is blank.
func decodeJSONOr(raw json.RawMessage, empty string) (any, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		raw = json.RawMessage(empty)
	}
	return decodeValue(raw)
}
