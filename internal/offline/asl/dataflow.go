package asl

import (
	"fmt"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// ErrNameQueryEvaluationError is the error of a JSONata expression that
// fails or yields nothing where a value is required.
const ErrNameQueryEvaluationError = "States.QueryEvaluationError"

// dataflow is the seam between a state and its query language: how the
// state's effective input is built from its raw input, and how its output
// and variable assignments are built from its result. Each language owns its
// compiled fields: JSONPath states have InputPath, Parameters,
// ResultSelector, ResultPath and OutputPath; JSONata states have Arguments
// and Output; both have Assign. Each step is reported to the run's
// inspection, when it has one (RunState).
type dataflow interface {
	// effectiveInput is what the state works on.
	effectiveInput(raw any, e *env) (any, error)
	// output is the state's output and its assignments; result is the
	// state's raw result when hasResult (otherwise the state's output is
	// built from its effective input).
	output(raw, in, result any, hasResult bool, e *env) (any, map[string]any, error)
	// withRule is the flow of a Choice state whose rule matched: the rule's
	// Assign (and Output, in JSONata) replace the state's.
	withRule(assign, output *field) dataflow
	// catcher compiles a Catch element's output processing.
	catcher(d *decoder, obj map[string]any, loc string) caughtFlow
}

// caughtFlow builds a catcher's output and assignments from the error
// output ({"Error", "Cause"}).
type caughtFlow interface {
	caught(raw any, errOut *value.Object, e *env) (any, map[string]any, error)
}

// flow compiles the state's data flow in the decoder's query language.
func (d *decoder) flow(st *state, obj map[string]any, loc string) dataflow {
	assign := d.assign(obj, loc)
	if d.lang == QueryLanguageJSONata {
		f := &jsonataFlow{assign: assign}
		if v, ok := obj["Arguments"]; ok {
			f.arguments = d.template(v, loc+"/Arguments", "Arguments")
		}
		if v, ok := obj["Output"]; ok {
			f.outputField = d.template(v, loc+"/Output", "Output")
		}
		return f
	}
	f := &jsonPathFlow{assign: assign}
	f.inputPath, f.inputPathNull = d.pathField(obj, loc, "InputPath", false, true)
	f.outputPath, f.outputPathNull = d.pathField(obj, loc, "OutputPath", false, true)
	f.resultPath, f.resultPathNull = d.resultPath(obj, loc)
	// A Map state's Parameters is its ItemSelector's former name: the Map
	// kind reads it.
	if v, ok := obj["Parameters"]; ok && st.typ != typeMap {
		f.parameters = d.template(v, loc+"/Parameters", "Parameters")
	}
	if v, ok := obj["ResultSelector"]; ok {
		f.resultSelector = d.objectTemplate(v, loc, "ResultSelector")
	}
	return f
}

// objectTemplate compiles a template that must be an object.
func (d *decoder) objectTemplate(v any, loc, key string) *field {
	if _, ok := v.(map[string]any); !ok {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be an OBJECT", key), loc+"/"+key)
		return nil
	}
	return d.template(v, loc+"/"+key, key)
}

// resultPath reads a ResultPath, which names where the result goes in the
// state's output: never a variable (variables are set only by Assign).
func (d *decoder) resultPath(obj map[string]any, loc string) (*path, bool) {
	p, isNull := d.pathField(obj, loc, "ResultPath", true, true)
	if p != nil && p.variable != "" {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'ResultPath' must be a valid ReferencePath into the state's input, not a variable", loc+"/ResultPath")
	}
	return p, isNull
}

// jsonPathFlow is the JSONPath query language's data flow.
type jsonPathFlow struct {
	inputPath, outputPath         *path
	inputPathNull, outputPathNull bool
	parameters, resultSelector    *field
	resultPath                    *path
	resultPathNull                bool
	assign                        *field
}

func (f *jsonPathFlow) effectiveInput(raw any, e *env) (any, error) {
	in, err := selectPath(f.inputPath, f.inputPathNull, raw, e)
	if err != nil {
		return nil, err
	}
	e.record(stepAfterInputPath, in)
	if f.parameters == nil {
		return in, nil
	}
	if in, err = f.parameters.value(in, e); err != nil {
		return nil, err
	}
	e.record(stepAfterParameters, in)
	return in, nil
}

func (f *jsonPathFlow) output(raw, in, result any, hasResult bool, e *env) (any, map[string]any, error) {
	if !hasResult {
		// Choice, Wait, Succeed: the effective input goes to OutputPath.
		vars, err := f.assign.assignments(in, e)
		if err != nil {
			return nil, nil, err
		}
		out, err := selectPath(f.outputPath, f.outputPathNull, in, e)
		return out, vars, err
	}
	e.record(stepResult, result)
	// Assign reads the raw result, before ResultSelector (the order of
	// AWS's recorded answers, as LocalStack's AWS-validated snapshots and
	// moto's copy of that interpreter show).
	vars, err := f.assign.assignments(result, e)
	if err != nil {
		return nil, nil, err
	}
	if f.resultSelector != nil {
		if result, err = f.resultSelector.value(result, e); err != nil {
			return nil, nil, err
		}
		e.record(stepAfterResultSelector, result)
	}
	out, err := applyResultPath(f.resultPath, f.resultPathNull, raw, result)
	if err != nil {
		return nil, nil, err
	}
	e.record(stepAfterResultPath, out)
	out, err = selectPath(f.outputPath, f.outputPathNull, out, e)
	return out, vars, err
}

func (f *jsonPathFlow) withRule(assign, _ *field) dataflow {
	g := *f
	g.assign = assign
	return &g
}

// selectPath applies InputPath or OutputPath: null gives {}, no path the
// value itself.
func selectPath(p *path, isNull bool, v any, e *env) (any, error) {
	switch {
	case isNull:
		return value.NewObject(0), nil
	case p == nil:
		return v, nil
	}
	out, ok := e.get(p, v)
	if !ok {
		return nil, failf(ErrNameRuntime, "Invalid path '%s' : No results for path: %s", p.raw, p.raw)
	}
	return out, nil
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

// jsonPathCaught is a JSONPath catcher: ResultPath and Assign.
type jsonPathCaught struct {
	resultPath     *path
	resultPathNull bool
	assign         *field
}

func (f *jsonPathFlow) catcher(d *decoder, obj map[string]any, loc string) caughtFlow {
	d.fields(obj, loc, []string{"ErrorEquals", "Next"}, []string{"ResultPath", "Assign", "Comment"})
	c := &jsonPathCaught{assign: d.assign(obj, loc)}
	c.resultPath, c.resultPathNull = d.resultPath(obj, loc)
	return c
}

func (c *jsonPathCaught) caught(raw any, errOut *value.Object, e *env) (any, map[string]any, error) {
	vars, err := c.assign.assignments(errOut, e)
	if err != nil {
		return nil, nil, err
	}
	out, err := applyResultPath(c.resultPath, c.resultPathNull, raw, errOut)
	return out, vars, err
}

// jsonataFlow is the JSONata query language's data flow: its expressions
// read $states (input, result, errorOutput, context) and the variables.
type jsonataFlow struct {
	arguments, outputField, assign *field
}

func (f *jsonataFlow) effectiveInput(raw any, e *env) (any, error) {
	// A retry starts again from the raw input.
	e.stateInput, e.hasResult, e.hasErrorOutput, e.statesNative = raw, false, false, nil
	if f.arguments == nil {
		return raw, nil
	}
	in, err := f.arguments.value(raw, e)
	if err != nil {
		return nil, err
	}
	e.record(stepAfterArguments, in)
	return in, nil
}

func (f *jsonataFlow) output(raw, in, result any, hasResult bool, e *env) (any, map[string]any, error) {
	if hasResult {
		e.result, e.hasResult = result, true
		e.statesNative = nil
		e.record(stepResult, result)
	}
	// Assign and Output both see the variables as they were when the state
	// was entered ("evaluated together").
	vars, err := f.assign.assignments(raw, e)
	if err != nil {
		return nil, nil, err
	}
	if f.outputField == nil {
		if hasResult {
			return result, vars, nil
		}
		return raw, vars, nil
	}
	out, err := f.outputField.value(raw, e)
	return out, vars, err
}

func (f *jsonataFlow) withRule(assign, output *field) dataflow {
	g := *f
	g.assign, g.outputField = assign, output
	return &g
}

// jsonataCaught is a JSONata catcher: Output and Assign, with
// $states.errorOutput bound.
type jsonataCaught struct {
	output, assign *field
}

func (f *jsonataFlow) catcher(d *decoder, obj map[string]any, loc string) caughtFlow {
	d.fields(obj, loc, []string{"ErrorEquals", "Next"}, []string{"Output", "Assign", "Comment"})
	c := &jsonataCaught{assign: d.assign(obj, loc)}
	if v, ok := obj["Output"]; ok {
		c.output = d.template(v, loc+"/Output", "Output")
	}
	return c
}

func (c *jsonataCaught) caught(raw any, errOut *value.Object, e *env) (any, map[string]any, error) {
	e.errorOutput, e.hasErrorOutput = errOut, true
	e.hasResult = false
	e.statesNative = nil
	vars, err := c.assign.assignments(raw, e)
	if err != nil {
		return nil, nil, err
	}
	if c.output == nil {
		return errOut, vars, nil
	}
	out, err := c.output.value(raw, e)
	return out, vars, err
}
