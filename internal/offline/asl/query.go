package asl

import (
	"errors"
	"fmt"

	"github.com/stepgate/stepgate/internal/offline/asl/jsonata"
	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// ErrNameQueryEvaluationError is the error of a JSONata expression that
// fails or yields nothing where a value is required.
const ErrNameQueryEvaluationError = "States.QueryEvaluationError"

// dataflow is the seam between a state and its query language: how the
// state's effective input is built from its raw input, and how its output
// and variable assignments are built from its result. JSONPath states use
// InputPath, Parameters, ResultSelector, ResultPath and OutputPath; JSONata
// states use Arguments and Output. Both have Assign.
type dataflow interface {
	// effectiveInput is what the state works on.
	effectiveInput(st *state, raw any, e *env) (any, error)
	// output is the state's output and its assignments; result is the
	// state's raw result (its effective input for states without one).
	output(st *state, raw, in, result any, e *env) (any, map[string]any, error)
	// caught is a catcher's output and assignments.
	caught(c *catcher, raw any, errOut *value.Object, e *env) (any, map[string]any, error)
}

// jsonPathFlow is the JSONPath query language.
type jsonPathFlow struct{}

func (jsonPathFlow) effectiveInput(st *state, raw any, e *env) (any, error) {
	in, err := applyInputPath(st, raw, e)
	if err != nil || st.parameters == nil {
		return in, err
	}
	return st.parameters.eval(in, e)
}

func (jsonPathFlow) output(st *state, raw, in, result any, e *env) (any, map[string]any, error) {
	if !st.producesResult() {
		// Choice, Wait, Succeed: the effective input goes to OutputPath.
		vars, err := st.assign.evalPath(in, e)
		if err != nil {
			return nil, nil, err
		}
		out, _, err := applyOutputPath(st, in, e, "", nil)
		return out, vars, err
	}
	// Assign reads the raw result, before ResultSelector (the order of
	// AWS's recorded answers, as LocalStack's AWS-validated snapshots and
	// moto's copy of that interpreter show).
	vars, err := st.assign.evalPath(result, e)
	if err != nil {
		return nil, nil, err
	}
	if st.resultSelector != nil {
		if result, err = st.resultSelector.eval(result, e); err != nil {
			return nil, nil, err
		}
	}
	out, err := applyResultPath(st.resultPath, st.resultPathNull, raw, result)
	if err != nil {
		return nil, nil, err
	}
	out, _, err = applyOutputPath(st, out, e, "", nil)
	return out, vars, err
}

func (jsonPathFlow) caught(c *catcher, raw any, errOut *value.Object, e *env) (any, map[string]any, error) {
	vars, err := c.assign.evalPath(errOut, e)
	if err != nil {
		return nil, nil, err
	}
	out, err := applyResultPath(c.resultPath, c.resultPathNull, raw, errOut)
	return out, vars, err
}

// jsonataFlow is the JSONata query language.
type jsonataFlow struct{}

func (jsonataFlow) effectiveInput(st *state, raw any, e *env) (any, error) {
	// A retry starts again from the raw input.
	e.stateInput, e.hasResult, e.hasErrorOutput, e.statesNative = raw, false, false, nil
	if st.arguments == nil {
		return raw, nil
	}
	return st.arguments.evalRequired(e)
}

func (jsonataFlow) output(st *state, raw, in, result any, e *env) (any, map[string]any, error) {
	if st.producesResult() {
		e.result, e.hasResult = result, true
		e.statesNative = nil
	}
	// Assign and Output both see the variables as they were when the state
	// was entered ("evaluated together").
	vars, err := st.assign.evalJSONata(e)
	if err != nil {
		return nil, nil, err
	}
	if st.outputTmpl == nil {
		if st.producesResult() {
			return result, vars, nil
		}
		return raw, vars, nil
	}
	out, err := st.outputTmpl.evalRequired(e)
	return out, vars, err
}

func (jsonataFlow) caught(c *catcher, raw any, errOut *value.Object, e *env) (any, map[string]any, error) {
	e.errorOutput, e.hasErrorOutput = errOut, true
	e.hasResult = false
	e.statesNative = nil
	vars, err := c.assign.evalJSONata(e)
	if err != nil {
		return nil, nil, err
	}
	if c.output == nil {
		return errOut, vars, nil
	}
	out, err := c.output.evalRequired(e)
	return out, vars, err
}

// producesResult tells whether the state has a result distinct from its
// effective input.
func (st *state) producesResult() bool { return st.kind.hasResult() }

// ataValue is a compiled JSONata-state field value: any JSON value in
// which strings "{% … %}" are expressions, at any depth.
type ataValue struct {
	literal any
	expr    *jsonata.Expr
	keys    []string // object: keys in definition order
	fields  map[string]*ataValue
	items   []*ataValue
	isObj   bool
	isArr   bool
}

// compileATA compiles v; problems are reported at loc.
func (d *decoder) compileATA(v any, loc string) *ataValue {
	switch v := v.(type) {
	case string:
		if !jsonata.IsExpression(v) {
			return &ataValue{literal: v}
		}
		x, err := jsonata.Compile(jsonata.Body(v), d.varNames)
		if err != nil {
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The JSONata expression '%s' is not valid: %v", jsonata.Body(v), err), loc)
			return &ataValue{literal: v}
		}
		return &ataValue{expr: x}
	case map[string]any:
		t := &ataValue{isObj: true, fields: map[string]*ataValue{}}
		for _, k := range d.keysOf(v, loc) {
			t.keys = append(t.keys, k)
			t.fields[k] = d.compileATA(v[k], loc+"/"+k)
		}
		return t
	case []any:
		t := &ataValue{isArr: true}
		for i, e := range v {
			t.items = append(t.items, d.compileATA(e, fmt.Sprintf("%s[%d]", loc, i)))
		}
		return t
	}
	return &ataValue{literal: v}
}

// eval builds the value. defined is false when a top-level expression
// yields JSONata's undefined; inside objects and arrays such values are
// left out, as JSONata does.
func (t *ataValue) eval(e *env) (v any, defined bool, err error) {
	switch {
	case t.expr != nil:
		v, err := t.expr.Eval(e.jsonataLookup)
		if errors.Is(err, jsonata.ErrUndefined) {
			return nil, false, nil
		}
		if errors.Is(err, jsonata.ErrUnsupportedResult) {
			return nil, false, failf(ErrNameQueryEvaluationError, "The JSONata expression '%s' returned an unsupported result type.", t.expr)
		}
		if err != nil {
			return nil, false, failf(ErrNameQueryEvaluationError, "An error occurred while evaluating the JSONata expression '%s': %v", t.expr, err)
		}
		return v, true, nil
	case t.isObj:
		out := value.NewObject(len(t.keys))
		for _, k := range t.keys {
			v, ok, err := t.fields[k].eval(e)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out.Set(k, v)
			}
		}
		return out, true, nil
	case t.isArr:
		out := make([]any, 0, len(t.items))
		for _, it := range t.items {
			v, ok, err := it.eval(e)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out = append(out, v)
			}
		}
		return out, true, nil
	}
	return t.literal, true, nil
}

// evalRequired is eval for a field that must have a value.
func (t *ataValue) evalRequired(e *env) (any, error) {
	v, ok, err := t.eval(e)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, failf(ErrNameQueryEvaluationError, "The JSONata expression '%s' returned nothing (undefined).", t.expr)
	}
	return v, nil
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

// statesKey tells which parts $states held when it was converted.
type statesKey struct{ result, errorOutput bool }
