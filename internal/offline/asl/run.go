package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
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

// env is what a path or intrinsic may see besides the input: the context
// object, built only when a "$$" path asks for it.
type env struct {
	exec        *Execution
	stateName   string
	enteredTime time.Time
	retryCount  int
	mapItem     *mapItem
	ctxObj      any
	vars        *scope

	// $states of a JSONata state.
	stateInput     any
	result         any
	hasResult      bool
	errorOutput    any
	hasErrorOutput bool
	statesNative   *jsonata.Native // $states converted for the library
	statesKey      statesKey

	matched *choiceRule // the Choice rule that held
}

type mapItem struct {
	index int
	value any
}

func (v *env) contextObject() any {
	if v.ctxObj != nil {
		return v.ctxObj
	}
	c := v.exec.cfg.Context
	obj := map[string]any{
		"Execution": map[string]any{
			"Id":           c.Execution.ID,
			"Input":        v.exec.input,
			"Name":         c.Execution.Name,
			"RoleArn":      c.Execution.RoleARN,
			"StartTime":    formatTime(c.Execution.StartTime),
			"RedriveCount": json.Number(strconv.Itoa(c.Execution.RedriveCount)),
		},
		"StateMachine": map[string]any{"Id": c.StateMachine.ID, "Name": c.StateMachine.Name},
		"State": map[string]any{
			"EnteredTime": formatTime(v.enteredTime),
			"Name":        v.stateName,
			"RetryCount":  json.Number(strconv.Itoa(v.retryCount)),
		},
	}
	if v.mapItem != nil {
		obj["Map"] = map[string]any{"Item": map[string]any{
			"Index": json.Number(strconv.Itoa(v.mapItem.index)),
			"Value": v.mapItem.value,
		}}
	}
	v.ctxObj = obj
	return obj
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

func formatTime(t time.Time) string {
	return clock.Format(t)
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
// retriers and catchers. next is empty when the state ends the graph.
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
	e := &env{exec: t.exec, stateName: st.name, enteredTime: t.exec.clock.Now(), vars: t.vars, stateInput: input}
	if len(inText) > maxPayloadBytes {
		return nil, "", failf(ErrNameDataLimitExceeded, "The state/task '%s' input exceeds the maximum number of bytes service limit.", st.name)
	}

	attempts := make([]int64, len(st.retry))
	for {
		var vars map[string]any
		out, next, vars, err = t.execute(ctx, st, input, e)
		if err == nil {
			if st.end || st.typ == typeSucceed {
				next = ""
			}
			return t.exit(st, out, next, vars)
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		f := asFailure(err)
		if !f.located && locatedErrors[f.Name] && (st.typ != typeFail || f.Name == ErrNameQueryEvaluationError) {
			f = &Failure{Name: f.Name, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", st.name, enteredID, f.Cause), located: true}
			if f.Name == ErrNameQueryEvaluationError {
				// AWS records a failed JSONata expression as its own event.
				t.emit(HistoryEvent{Type: EventEvaluationFailed, EvaluationFailedEventDetails: &EvaluationFailedEventDetails{Error: f.Name, Cause: f.Cause, State: st.name}})
			}
		}
		if i := matchRetrier(st.retry, f.Name); i >= 0 && attempts[i] < st.retry[i].maxAttempts {
			r := st.retry[i]
			delay := retryDelay(r, attempts[i])
			attempts[i]++
			e.retryCount++
			e.ctxObj, e.statesNative = nil, nil
			if err := t.exec.clock.Sleep(ctx, delay); err != nil {
				return nil, "", err
			}
			continue
		}
		if c := matchCatcher(st.catch, f.Name); c != nil {
			// AWS writes the error output as {"Error", "Cause"}, in that order.
			errOut := value.NewObject(2)
			errOut.Set("Error", f.Name)
			errOut.Set("Cause", f.Cause)
			caught, vars, rerr := st.flow.caught(c, input, errOut, e)
			if rerr != nil {
				return nil, "", rerr
			}
			return t.exit(st, caught, c.next, vars)
		}
		return nil, "", f
	}
}

// exit checks the output's size and records the state's Exited event; next
// is where the thread goes (empty: the graph ends).
func (t *thread) exit(st *state, out any, next string, vars map[string]any) (any, string, error) {
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

// matchRetrier returns the index of the first retrier whose ErrorEquals
// matches name, or -1.
func matchRetrier(rs []*retrier, name string) int {
	for i, r := range rs {
		if errorMatches(r.errorEquals, name) {
			return i
		}
	}
	return -1
}

func matchCatcher(cs []*catcher, name string) *catcher {
	for _, c := range cs {
		if errorMatches(c.errorEquals, name) {
			return c
		}
	}
	return nil
}

// errorMatches applies Step Functions' matching rules: States.ALL matches
// every error and States.TaskFailed every error but States.Timeout, except
// that States.Runtime is never retried or caught and
// States.DataLimitExceeded only by its own name.
func errorMatches(names []string, name string) bool {
	if name == ErrNameRuntime {
		return false
	}
	for _, n := range names {
		switch {
		case n == name:
			return true
		case name == ErrNameDataLimitExceeded:
		case n == ErrNameAll:
			return true
		case n == ErrNameTaskFailed && name != ErrNameTimeout:
			return true
		}
	}
	return false
}

// retryDelay is IntervalSeconds × BackoffRate^attempt, capped by
// MaxDelaySeconds, and drawn uniformly below that with FULL jitter.
func retryDelay(r *retrier, attempt int64) time.Duration {
	secs := float64(r.intervalSeconds) * math.Pow(r.backoffRate, float64(attempt))
	if r.maxDelaySeconds > 0 && secs > float64(r.maxDelaySeconds) {
		secs = float64(r.maxDelaySeconds)
	}
	if r.jitterFull {
		secs = rand.Float64() * secs
	}
	return durationOfSeconds(secs)
}

// execute runs the state's own work once, from its raw input to its output
// and variable assignments: the flow (query language) builds the effective
// input, the kind does the work, the flow builds the output.
func (t *thread) execute(ctx context.Context, st *state, raw any, e *env) (any, string, map[string]any, error) {
	in, err := st.flow.effectiveInput(st, raw, e)
	if err != nil {
		return nil, "", nil, err
	}
	e.matched = nil
	result, next, err := st.kind.run(ctx, t, st, in, e)
	if err != nil {
		return nil, "", nil, err
	}
	flowState := st
	if r := e.matched; r != nil && (r.assign != nil || r.output != nil || st.assign != nil || st.outputTmpl != nil) {
		// A matched Choice rule assigns and shapes the output with its own
		// Assign and Output; the state's apply only when Default is taken.
		copied := *st
		copied.assign, copied.outputTmpl = r.assign, r.output
		flowState = &copied
	}
	out, vars, err := st.flow.output(flowState, raw, in, result, e)
	if err != nil {
		return nil, "", nil, err
	}
	return out, next, vars, nil
}

func applyInputPath(st *state, raw any, e *env) (any, error) {
	switch {
	case st.inputPathNull:
		return map[string]any{}, nil
	case st.inputPath == nil:
		return raw, nil
	}
	v, ok := e.get(st.inputPath, raw)
	if !ok {
		return nil, failf(ErrNameRuntime, "Invalid path '%s' : No results for path: %s", st.inputPath.raw, st.inputPath.raw)
	}
	return v, nil
}

func applyOutputPath(st *state, out any, e *env, next string, err error) (any, string, error) {
	switch {
	case err != nil:
		return nil, "", err
	case st.outputPathNull:
		return map[string]any{}, next, nil
	case st.outputPath == nil:
		return out, next, nil
	}
	v, ok := e.get(st.outputPath, out)
	if !ok {
		return nil, "", failf(ErrNameRuntime, "Invalid path '%s' : No results for path: %s", st.outputPath.raw, st.outputPath.raw)
	}
	return v, next, nil
}

// applyResultPath combines the state's raw input with its result.
func applyResultPath(p *path, isNull bool, raw, result any) (any, error) {
	switch {
	case isNull:
		return raw, nil
	case p == nil:
		return result, nil
	}
	out, err := p.set(raw, result)
	if err != nil {
		return nil, &Failure{Name: ErrNameResultPathMatchFailure, Cause: err.Error()}
	}
	return out, nil
}

// choose returns the first rule that holds, or nil for the Default.
func (k *choiceKind) choose(in any, e *env) (*choiceRule, error) {
	for _, r := range k.choices {
		ok, err := r.eval(in, e)
		if err != nil {
			return nil, err
		}
		if ok {
			return r, nil
		}
	}
	if k.defaultNext != "" {
		return nil, nil
	}
	return nil, failf(ErrNameNoChoiceMatched, "No Matches!")
}

func (t *thread) wait(ctx context.Context, k *waitKind, in any, e *env) error {
	var d time.Duration
	switch {
	case k.hasSeconds:
		d = durationOfSeconds(float64(k.seconds))
	case k.hasTimestamp:
		d = k.timestamp.Sub(t.exec.clock.Now())
	case k.secondsPath != nil:
		v, ok := e.get(k.secondsPath, in)
		n, isNum := v.(json.Number)
		secs, err := n.Int64()
		if !ok || !isNum || err != nil || secs < 0 {
			return failf(ErrNameRuntime, "The SecondsPath parameter does not reference a valid integer value: %s", k.secondsPath.raw)
		}
		d = durationOfSeconds(float64(secs))
	case k.secondsATA != nil:
		v, err := k.secondsATA.evalRequired(e)
		if err != nil {
			return err
		}
		n, isNum := v.(json.Number)
		secs, nerr := n.Int64()
		if !isNum || nerr != nil || secs < 0 {
			return failf(ErrNameQueryEvaluationError, "The JSONata expression '%s' specified for the field 'Seconds' returned %s, not a non-negative integer.", k.secondsATA.expr, compactJSON(v))
		}
		d = durationOfSeconds(float64(secs))
	case k.stampATA != nil:
		v, err := k.stampATA.evalRequired(e)
		if err != nil {
			return err
		}
		s, _ := v.(string)
		ts, valid := parseTimestamp(s)
		if !valid {
			return failf(ErrNameQueryEvaluationError, "The JSONata expression '%s' specified for the field 'Timestamp' returned %s, not an ISO-8601 timestamp.", k.stampATA.expr, compactJSON(v))
		}
		d = ts.Sub(t.exec.clock.Now())
	case k.timestampPath != nil:
		v, ok := e.get(k.timestampPath, in)
		s, isStr := v.(string)
		ts, valid := parseTimestamp(s)
		if !ok || !isStr || !valid {
			return failf(ErrNameRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", k.timestampPath.raw)
		}
		d = ts.Sub(t.exec.clock.Now())
	}
	return t.exec.clock.Sleep(ctx, d)
}

func (k *failKind) failure(raw any, e *env) error {
	f := &Failure{Name: k.errorName, Cause: k.cause}
	resolve := func(x *valueExpr, field string) (string, error) {
		var v any
		var err error
		if x.call != nil {
			v, err = x.call.Eval(e.resolver(raw))
			if err != nil {
				return "", intrinsicFailure(err)
			}
		} else {
			var ok bool
			if v, ok = e.get(x.path, raw); !ok {
				return "", failf(ErrNameRuntime, "Invalid path '%s' : No results for path: %s", x.raw, x.raw)
			}
		}
		s, ok := v.(string)
		if !ok {
			return "", failf(ErrNameRuntime, "The value of the field '%s' must be a string, but was %s", field, compactJSON(v))
		}
		return s, nil
	}
	var err error
	for _, x := range []struct {
		v     *ataValue
		field string
		into  *string
	}{{k.errorATA, "Error", &f.Name}, {k.causeATA, "Cause", &f.Cause}} {
		if x.v == nil {
			continue
		}
		v, err := x.v.evalRequired(e)
		if err != nil {
			return err
		}
		s, ok := v.(string)
		if !ok {
			return failf(ErrNameQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned %s, not a string.", x.v.expr, x.field, compactJSON(v))
		}
		*x.into = s
	}
	if k.errorExpr != nil {
		if f.Name, err = resolve(k.errorExpr, "ErrorPath"); err != nil {
			return err
		}
	}
	if k.causeExpr != nil {
		if f.Cause, err = resolve(k.causeExpr, "CausePath"); err != nil {
			return err
		}
	}
	return f
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
