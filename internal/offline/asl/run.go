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
)

// thread runs states one after another: the execution itself, a Parallel
// branch or a Map iteration. last is the id of its latest event, the
// previousEventId of its next one.
type thread struct {
	exec *Execution
	last int64
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

// get evaluates p against the input, or the context object for "$$…".
func (v *env) get(p *path, input any) (any, bool) {
	if p.context {
		return p.get(v.contextObject())
	}
	return p.get(input)
}

// source is the document p is evaluated against, for error messages.
func (v *env) source(p *path, input any) any {
	if p.context {
		return v.contextObject()
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
	e := &env{exec: t.exec, stateName: st.name, enteredTime: t.exec.clock.Now()}
	if len(inText) > maxPayloadBytes {
		return nil, "", failf(ErrNameDataLimitExceeded, "The state/task '%s' input exceeds the maximum number of bytes service limit.", st.name)
	}

	attempts := make([]int64, len(st.retry))
	for {
		out, next, err = t.execute(ctx, st, input, e)
		if err == nil {
			if st.end || st.typ == typeSucceed {
				next = ""
			}
			return t.exit(st, out, next)
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		f := asFailure(err)
		if !f.located && st.typ != typeFail && locatedErrors[f.Name] {
			f = &Failure{Name: f.Name, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", st.name, enteredID, f.Cause), located: true}
		}
		if i := matchRetrier(st.retry, f.Name); i >= 0 && attempts[i] < st.retry[i].maxAttempts {
			r := st.retry[i]
			delay := retryDelay(r, attempts[i])
			attempts[i]++
			e.retryCount++
			e.ctxObj = nil
			if err := t.exec.clock.Sleep(ctx, delay); err != nil {
				return nil, "", err
			}
			continue
		}
		if c := matchCatcher(st.catch, f.Name); c != nil {
			errOut := map[string]any{"Error": f.Name, "Cause": f.Cause}
			caught, rerr := applyResultPath(c.resultPath, c.resultPathNull, input, errOut)
			if rerr != nil {
				return nil, "", rerr
			}
			return t.exit(st, caught, c.next)
		}
		return nil, "", f
	}
}

// exit checks the output's size and records the state's Exited event; next
// is where the thread goes (empty: the graph ends).
func (t *thread) exit(st *state, out any, next string) (any, string, error) {
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
	t.emit(HistoryEvent{Type: exitedEvent(st.typ), StateExitedEventDetails: &StateExitedEventDetails{Name: st.name, Output: text}})
	return out, next, nil
}

// locatedErrors are the engine's own errors whose cause Step Functions
// prefixes with the state and the id of its Entered event.
var locatedErrors = map[string]bool{
	ErrNameRuntime:                true,
	ErrNameParameterPathFailure:   true,
	ErrNameResultPathMatchFailure: true,
	ErrNameIntrinsicFailure:       true,
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

// execute runs the state's own work once, from InputPath to OutputPath.
func (t *thread) execute(ctx context.Context, st *state, raw any, e *env) (any, string, error) {
	switch st.typ {
	case typeFail:
		return nil, "", t.failState(st, raw, e)
	}
	in, err := applyInputPath(st, raw, e)
	if err != nil {
		return nil, "", err
	}
	next := st.next
	var result any
	switch st.typ {
	case typePass, typeTask, typeParallel:
		if st.parameters != nil {
			if in, err = st.parameters.eval(in, e); err != nil {
				return nil, "", err
			}
		}
		switch st.typ {
		case typePass:
			result = in
			if st.hasResult {
				result = st.result
			}
		case typeTask:
			result, err = t.task(ctx, st, in, e)
		case typeParallel:
			result, err = t.parallel(ctx, st, in)
		}
	case typeMap:
		result, err = t.mapState(ctx, st, in, e)
	case typeChoice:
		next, err = choose(st, in, e)
		return applyOutputPath(st, in, e, next, err)
	case typeWait:
		err = t.wait(ctx, st, in, e)
		return applyOutputPath(st, in, e, next, err)
	case typeSucceed:
		return applyOutputPath(st, in, e, "", nil)
	}
	if err != nil {
		return nil, "", err
	}
	if st.resultSelector != nil {
		if result, err = st.resultSelector.eval(result, e); err != nil {
			return nil, "", err
		}
	}
	out, err := applyResultPath(st.resultPath, st.resultPathNull, raw, result)
	if err != nil {
		return nil, "", err
	}
	return applyOutputPath(st, out, e, next, nil)
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

func choose(st *state, in any, e *env) (string, error) {
	for _, r := range st.choices {
		ok, err := r.eval(in, e)
		if err != nil {
			return "", err
		}
		if ok {
			return r.next, nil
		}
	}
	if st.defaultNext != "" {
		return st.defaultNext, nil
	}
	return "", failf(ErrNameNoChoiceMatched, "No Matches!")
}

func (t *thread) wait(ctx context.Context, st *state, in any, e *env) error {
	var d time.Duration
	switch {
	case st.hasSeconds:
		d = durationOfSeconds(float64(st.seconds))
	case st.hasTimestamp:
		d = st.timestamp.Sub(t.exec.clock.Now())
	case st.secondsPath != nil:
		v, ok := e.get(st.secondsPath, in)
		n, isNum := v.(json.Number)
		secs, err := n.Int64()
		if !ok || !isNum || err != nil || secs < 0 {
			return failf(ErrNameRuntime, "The SecondsPath parameter does not reference a valid integer value: %s", st.secondsPath.raw)
		}
		d = durationOfSeconds(float64(secs))
	case st.timestampPath != nil:
		v, ok := e.get(st.timestampPath, in)
		s, isStr := v.(string)
		ts, valid := parseTimestamp(s)
		if !ok || !isStr || !valid {
			return failf(ErrNameRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", st.timestampPath.raw)
		}
		d = ts.Sub(t.exec.clock.Now())
	}
	return t.exec.clock.Sleep(ctx, d)
}

func (t *thread) failState(st *state, raw any, e *env) error {
	f := &Failure{Name: st.errorName, Cause: st.cause}
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
	if st.errorExpr != nil {
		if f.Name, err = resolve(st.errorExpr, "ErrorPath"); err != nil {
			return err
		}
	}
	if st.causeExpr != nil {
		if f.Cause, err = resolve(st.causeExpr, "CausePath"); err != nil {
			return err
		}
	}
	return f
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
