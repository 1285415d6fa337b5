package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/stepgate/stepgate/internal/clock"
	"github.com/stepgate/stepgate/internal/offline/asl/jsonata"
	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// thread runs states one after another: the execution itself, a Parallel
// branch or a Map iteration. last is the id of its latest event, the
// previousEventId of its next one.
type thread struct {
	exec *Execution
	last int64
	vars *scope
}

func (t *thread) emit(ev HistoryEvent) int64 {
	t.last = t.exec.emit(ev, t.last)
	return t.last
}

// env is what a state's fields may see besides the input: the context
// object (built only when a "$$" path or $states asks for it), the
// variables, and in JSONata $states. It also carries the run's inspection.
type env struct {
	ctx         context.Context // the state's run: JSONata evaluations stop with it
	exec        *Execution
	stateName   string
	enteredTime time.Time
	retryCount  int
	mapItem     *mapItem
	ctxObj      any
	vars        *scope
	// callback is a callback task's token for this attempt ($$.Task.Token).
	callback *callbackWait

	// $states of a JSONata state. (The flags sit together: an env is
	// allocated per state run, and padding would cost a size class.)
	stateInput     any
	result         any
	errorOutput    any
	statesNative   *jsonata.Native // $states converted for the library
	hasResult      bool
	hasErrorOutput bool
	statesKey      statesKey

	// outputFlow replaces the state's flow for its output: a Choice rule
	// that matched, with its own Assign and Output.
	outputFlow dataflow
	// inspect records each processing step for RunState; nil in executions.
	inspect *inspector
}

type mapItem struct {
	index int
	value any
}

// statesKey tells which parts $states held when it was converted.
type statesKey struct{ result, errorOutput bool }

// newEnv is the env of a state entered at now.
func (t *thread) newEnv(st *state, input any) *env {
	e := &env{exec: t.exec, stateName: st.name, enteredTime: t.exec.clock.Now(), vars: t.vars, stateInput: input}
	if one := t.exec.single; one != nil && one.state == st {
		e.retryCount = one.retryCount
		e.inspect = one.inspect
	}
	return e
}

// contextObject is $$: the execution's, state's and Map item's part, or the
// one RunState was given.
func (v *env) contextObject() any {
	if v.ctxObj != nil {
		return v.ctxObj
	}
	if one := v.exec.single; one != nil && one.context != nil {
		v.ctxObj = one.context
		if v.mapItem != nil {
			o, _ := value.Ordered(one.context)
			if o == nil {
				o = value.NewObject(1)
			}
			o = o.Clone()
			o.Set("Map", v.mapItemObject())
			v.ctxObj = o
		}
		return v.ctxObj
	}
	c := v.exec.cfg.Context
	obj := map[string]any{
		"Execution": map[string]any{
			"Id":           c.Execution.ID,
			"Input":        v.exec.input,
			"Name":         c.Execution.Name,
			"RoleArn":      c.Execution.RoleARN,
			"StartTime":    clock.Format(c.Execution.StartTime),
			"RedriveCount": json.Number(strconv.Itoa(c.Execution.RedriveCount)),
		},
		"StateMachine": map[string]any{"Id": c.StateMachine.ID, "Name": c.StateMachine.Name},
		"State": map[string]any{
			"EnteredTime": clock.Format(v.enteredTime),
			"Name":        v.stateName,
			"RetryCount":  json.Number(strconv.Itoa(v.retryCount)),
		},
	}
	if v.mapItem != nil {
		obj["Map"] = v.mapItemObject()
	}
	if v.callback != nil {
		obj["Task"] = map[string]any{"Token": v.callback.token}
	}
	v.ctxObj = obj
	return obj
}

func (v *env) mapItemObject() any {
	return map[string]any{"Item": map[string]any{
		"Index": json.Number(strconv.Itoa(v.mapItem.index)),
		"Value": v.mapItem.value,
	}}
}

// get evaluates p against the input, the context object for "$$…", or a
// workflow variable for "$name…".
func (v *env) get(p *path, input any) (any, bool) {
	switch {
	case p.context:
		return p.get(v.contextObject())
	case p.variable != "":
		val, ok := v.vars.lookup(p.variable)
		if !ok {
			return nil, false
		}
		return p.get(val)
	}
	return p.get(input)
}

// source is the document p is evaluated against, for error messages.
func (v *env) source(p *path, input any) any {
	switch {
	case p.context:
		return v.contextObject()
	case p.variable != "":
		val, _ := v.vars.lookup(p.variable)
		return val
	}
	return input
}

// resolver adapts get for intrinsic function arguments.
func (v *env) resolver(input any) func(string) (any, error) {
	return func(s string) (any, error) {
		p, err := parsePath(s, false)
		if err != nil {
			return nil, failf(ErrNameIntrinsicFailure, "%v", err)
		}
		val, ok := v.get(p, input)
		if !ok {
			return nil, failf(ErrNameIntrinsicFailure, "The JsonPath argument '%s' could not be found in the input '%s'", s, compactJSON(v.source(p, input)))
		}
		return val, nil
	}
}

// jsonataLookup binds $states and the workflow variables for an expression.
// $states is converted for the library once and reused by every
// expression of the state until its result or error output changes.
func (v *env) jsonataLookup(name string) (any, bool) {
	if name == "states" {
		key := statesKey{v.hasResult, v.hasErrorOutput}
		if v.statesNative == nil || v.statesKey != key {
			s := map[string]any{"input": v.stateInput, "context": v.contextObject()}
			if v.hasResult {
				s["result"] = v.result
			}
			if v.hasErrorOutput {
				s["errorOutput"] = v.errorOutput
			}
			n := jsonata.ToNative(s)
			v.statesNative, v.statesKey = &n, key
		}
		return *v.statesNative, true
	}
	return v.vars.lookup(name)
}

// runGraph runs states from StartAt until one ends the graph. The error is a
// *Failure when a state fails, or the context's error when stopped.
func (t *thread) runGraph(ctx context.Context, g *graph, input any) (any, error) {
	name := g.startAt
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st := g.states[name]
		out, next, err := t.runState(ctx, st, input)
		if err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		input, name = out, next
	}
}

// runState runs one state from its Entered to its Exited event, with its
// retriers and catchers. next is empty when the state ends the graph. It is
// the one code path of executions and RunState: in RunState the state runs
// once, and a retrier that would retry is reported instead of waited for.
func (t *thread) runState(ctx context.Context, st *state, input any) (out any, next string, err error) {
	inText, err := marshalValue(input)
	if err != nil {
		return nil, "", asFailure(err)
	}
	typ := enteredEvent(st.typ)
	if st.typ == typeFail {
		typ = EventFailStateEntered
	}
	enteredID := t.emit(HistoryEvent{Type: typ, StateEnteredEventDetails: &StateEnteredEventDetails{Name: st.name, Input: inText}})
	e := t.newEnv(st, input)
	e.ctx = ctx
	e.recordText(stepInput, inText)
	if len(inText) > maxPayloadBytes {
		return nil, "", failf(ErrNameDataLimitExceeded, "The state/task '%s' input exceeds the maximum number of bytes service limit.", st.name)
	}

	attempts := make([]int64, len(st.retry))
	for i := range attempts {
		attempts[i] = int64(e.retryCount)
	}
	for {
		var vars map[string]any
		out, next, vars, err = t.execute(ctx, st, input, e)
		if err == nil {
			if st.end || st.typ == typeSucceed {
				next = ""
			}
			return t.exit(st, e, out, next, vars)
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		f := t.locate(st, enteredID, asFailure(err))
		r := matchRetrier(st.retry, f.Name)
		if r >= 0 && attempts[r] < st.retry[r].maxAttempts {
			delay := retryDelay(st.retry[r], attempts[r])
			if e.inspect != nil {
				// RunState: the retry is reported, not made.
				e.inspect.retrying(f, r, delay)
				return nil, "", f
			}
			attempts[r]++
			e.retryCount++
			e.ctxObj, e.statesNative = nil, nil
			if err := t.exec.clock.Sleep(ctx, delay); err != nil {
				return nil, "", err
			}
			continue
		}
		if i := matchCatcher(st.catch, f.Name); i >= 0 {
			c := st.catch[i]
			e.inspect.failed(f, r, i)
			// AWS writes the error output as {"Error", "Cause"}, in that order.
			errOut := value.NewObject(2)
			errOut.Set("Error", f.errorOutput(f.Name))
			errOut.Set("Cause", f.errorOutput(f.Cause))
			caught, vars, rerr := c.flow.caught(input, errOut, e)
			if rerr != nil {
				return nil, "", rerr
			}
			return t.exit(st, e, caught, c.next, vars)
		}
		e.inspect.failed(f, r, -1)
		return nil, "", f
	}
}

// locate prefixes the cause of the engine's own errors with the state and
// its Entered event, as Step Functions does, and records a failed JSONata
// expression as its own event.
func (t *thread) locate(st *state, enteredID int64, f *Failure) *Failure {
	if f.located || !locatedErrors[f.Name] || (st.typ == typeFail && f.Name != ErrNameQueryEvaluationError) {
		return f
	}
	if one := t.exec.single; one != nil && one.state == st {
		// RunState: TestState's causes name no event (it records none).
		return f
	}
	f = &Failure{Name: f.Name, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", st.name, enteredID, f.Cause), located: true, location: f.location}
	if f.Name == ErrNameQueryEvaluationError {
		t.emit(HistoryEvent{Type: EventEvaluationFailed, EvaluationFailedEventDetails: &EvaluationFailedEventDetails{Error: f.Name, Cause: f.Cause, Location: f.location, State: st.name}})
	}
	return f
}

// execute runs the state's own work once, from its raw input to its output
// and variable assignments: the flow (query language) builds the effective
// input, the kind does the work, the flow builds the output.
func (t *thread) execute(ctx context.Context, st *state, raw any, e *env) (any, string, map[string]any, error) {
	if k, ok := st.kind.(*taskKind); ok && k.callback {
		done, err := k.issueToken(t, e)
		if err != nil {
			return nil, "", nil, err
		}
		defer done()
	}
	in, err := st.flow.effectiveInput(raw, e)
	if err != nil {
		return nil, "", nil, err
	}
	e.outputFlow = nil
	result, next, err := st.kind.run(ctx, t, st, in, e)
	if err != nil {
		return nil, "", nil, err
	}
	flow := st.flow
	if e.outputFlow != nil {
		flow = e.outputFlow
	}
	out, vars, err := flow.output(raw, in, result, st.kind.hasResult(), e)
	if err != nil {
		return nil, "", nil, err
	}
	return out, next, vars, nil
}

// exit checks the output's size, stores the assigned variables and records
// the state's Exited event; next is where the thread goes (empty: the graph
// ends).
func (t *thread) exit(st *state, e *env, out any, next string, vars map[string]any) (any, string, error) {
	if st.typ == typeFail {
		return out, next, nil
	}
	text, err := marshalValue(out)
	if err != nil {
		return nil, "", asFailure(err)
	}
	if len(text) > maxPayloadBytes {
		return nil, "", failf(ErrNameDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.name)
	}
	details := &StateExitedEventDetails{Name: st.name, Output: text}
	if len(vars) > 0 {
		texts := make(map[string]string, len(vars))
		for k, v := range vars {
			vt, err := marshalValue(v)
			if err != nil {
				return nil, "", asFailure(err)
			}
			if len(vt) > maxVariableBytes {
				return nil, "", failf(ErrNameRuntime, "The value assigned to the variable '%s' in the state '%s' exceeds the maximum size of %d bytes.", k, st.name, maxVariableBytes)
			}
			texts[k] = vt
		}
		if err := t.vars.set(vars, texts); err != nil {
			return nil, "", err
		}
		details.AssignedVariables = texts
		details.AssignedVariablesDetails = &AssignedVariablesDetails{}
	}
	t.emit(HistoryEvent{Type: exitedEvent(st.typ), StateExitedEventDetails: details})
	return out, next, nil
}

// locatedErrors are the engine's own errors whose cause Step Functions
// prefixes with the state and the id of its Entered event.
var locatedErrors = map[string]bool{
	ErrNameRuntime:                true,
	ErrNameParameterPathFailure:   true,
	ErrNameResultPathMatchFailure: true,
	ErrNameIntrinsicFailure:       true,
	ErrNameQueryEvaluationError:   true,
}
