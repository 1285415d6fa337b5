package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stepgate/stepgate/internal/offline/asl/intrinsic"
	"github.com/stepgate/stepgate/internal/offline/asl/jsonata"
	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// fieldKind tells how a field's value is found when the state runs.
type fieldKind uint8

const (
	fieldLiteral   fieldKind = iota // the definition's value, as it is
	fieldPath                       // a JSONPath: a "…Path" field or a ".$" key
	fieldIntrinsic                  // a States.…(…) call: a ".$" key, ErrorPath, CausePath
	fieldJSONata                    // a "{% … %}" expression
	fieldInput                      // the state's effective input, for an optional field left out
	fieldObject                     // an object with dynamic members (payload templates, Output, …)
	fieldArray                      // an array with dynamic items
)

// field is one compiled field of a state whose value may be computed when
// the state runs: a literal, a JSONPath reference, an intrinsic function or
// a JSONata expression, or an object or array holding such values at any
// depth (Parameters, ResultSelector, ItemSelector, Arguments, Output,
// Assign). The query language decides how a field compiles (decoder.field,
// decoder.template); a kind reads every field the same way, through value
// or one of its typed forms, whatever the language.
type field struct {
	kind fieldKind
	// name locates the field for messages: "TimeoutSecondsPath",
	// "Output/result", or the ".$" key of a template member.
	name string
	// failure is the error a value of the wrong type is: States.Runtime in
	// JSONPath, States.QueryEvaluationError in JSONata.
	failure string
	// inTemplate marks a ".$" member, whose unmatched path is
	// States.ParameterPathFailure rather than an invalid path.
	inTemplate bool

	literal any
	path    *path
	call    *intrinsic.Call
	expr    *jsonata.Expr
	keys    []string // fieldObject: member names as they appear in the output
	members []*field // fieldObject: members, fieldArray: items
}

// lookup finds the field's value. found is false when a path selects
// nothing or a JSONata expression yields nothing (undefined). Inside an
// object or array, a JSONata member that yields nothing is left out, as
// JSONata does; a path that selects nothing fails (member).
func (f *field) lookup(in any, e *env) (v any, found bool, err error) {
	switch f.kind {
	case fieldLiteral:
		return f.literal, true, nil
	case fieldInput:
		return in, true, nil
	case fieldPath:
		v, found = e.get(f.path, in)
		return v, found, nil
	case fieldIntrinsic:
		v, err := f.call.Eval(e.resolver(in))
		if err != nil {
			return nil, false, intrinsicFailure(err)
		}
		return v, true, nil
	case fieldJSONata:
		return f.evalJSONata(e)
	case fieldObject:
		out := value.NewObject(len(f.members))
		for i, m := range f.members {
			v, skip, err := m.member(in, e)
			if err != nil {
				return nil, false, err
			}
			if !skip {
				out.Set(f.keys[i], v)
			}
		}
		return out, true, nil
	case fieldArray:
		out := make([]any, 0, len(f.members))
		for _, m := range f.members {
			v, skip, err := m.member(in, e)
			if err != nil {
				return nil, false, err
			}
			if !skip {
				out = append(out, v)
			}
		}
		return out, true, nil
	}
	return nil, false, fmt.Errorf("field %s: unknown kind %d", f.name, f.kind)
}

// member is the value of a member of an object or array field; skip is
// true for a JSONata member that yields nothing, which JSONata leaves out.
func (f *field) member(in any, e *env) (v any, skip bool, err error) {
	v, found, err := f.lookup(in, e)
	switch {
	case err != nil:
		return nil, false, err
	case !found && f.kind == fieldJSONata:
		return nil, true, nil
	case !found:
		return nil, false, f.notFound(in, e)
	}
	return v, false, nil
}

// value is the field's value; a field that finds nothing fails the state.
func (f *field) value(in any, e *env) (any, error) {
	v, found, err := f.lookup(in, e)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, f.notFound(in, e)
	}
	return v, nil
}

// notFound is the failure of a required field that found nothing.
func (f *field) notFound(in any, e *env) error {
	switch {
	case f.kind == fieldJSONata:
		return f.queryFailure("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", f.expr, f.name)
	case f.inTemplate:
		return failf(ErrNameParameterPathFailure, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
			f.path.raw, f.name, compactJSON(e.source(f.path, in)))
	}
	return f.invalidPath()
}

func (f *field) invalidPath() *Failure {
	return failf(ErrNameRuntime, "Invalid path '%s' : No results for path: %s", f.path.raw, f.path.raw)
}

// queryFailure is a States.QueryEvaluationError of the field's
// expression; the EvaluationFailed event names the field.
func (f *field) queryFailure(format string, args ...any) *Failure {
	q := failf(ErrNameQueryEvaluationError, format, args...)
	q.location = f.name
	return q
}

// evalJSONata evaluates a "{% … %}" field with $states and the variables.
func (f *field) evalJSONata(e *env) (any, bool, error) {
	ctx := e.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	v, err := f.expr.Eval(ctx, e.jsonataLookup)
	switch {
	case errors.Is(err, jsonata.ErrUndefined):
		return nil, false, nil
	case errors.Is(err, jsonata.ErrUnsupportedResult):
		return nil, false, f.queryFailure("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", f.expr, f.name)
	case err != nil:
		return nil, false, f.queryFailure("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %v", f.expr, f.name, err)
	}
	return v, true, nil
}

// mistyped is the failure of a value that is not what the field needs;
// want describes what it needs ("a positive integer").
func (f *field) mistyped(in any, e *env, v any, found bool, want string) error {
	switch {
	case !found:
		return f.notFound(in, e)
	case f.kind == fieldJSONata:
		return f.queryFailure("The JSONata expression '%s' specified for the field '%s' returned %s, not %s.", f.expr, f.name, compactJSON(v), want)
	case f.kind == fieldPath:
		return failf(ErrNameRuntime, "The %s field refers to %s, which is not %s: %s", f.name, compactJSON(v), want, f.path.raw)
	}
	return failf(f.failure, "The value of the field '%s' must be %s, but was %s", f.name, want, compactJSON(v))
}

// integer is the field's value as an integer of at least least.
func (f *field) integer(in any, e *env, least int64, want string) (int64, error) {
	v, found, err := f.lookup(in, e)
	if err != nil {
		return 0, err
	}
	n, isNum := v.(json.Number)
	i, nerr := n.Int64()
	if !found || !isNum || nerr != nil || i < least {
		return 0, f.mistyped(in, e, v, found, want)
	}
	return i, nil
}

// timestamp is the field's value as an ISO-8601 timestamp.
func (f *field) timestamp(in any, e *env) (time.Time, error) {
	v, found, err := f.lookup(in, e)
	if err != nil {
		return time.Time{}, err
	}
	s, _ := v.(string)
	ts, valid := parseTimestamp(s)
	if !found || !valid {
		return time.Time{}, f.mistyped(in, e, v, found, "an ISO-8601 extended offset date-time format string")
	}
	return ts, nil
}

// str is the field's value as a string.
func (f *field) str(in any, e *env) (string, error) {
	v, found, err := f.lookup(in, e)
	if err != nil {
		return "", err
	}
	s, isStr := v.(string)
	if !found || !isStr {
		return "", f.mistyped(in, e, v, found, "a string")
	}
	return s, nil
}

// array is the field's value as an array: a Map state's items.
func (f *field) array(in any, e *env) ([]any, error) {
	v, found, err := f.lookup(in, e)
	if err != nil {
		return nil, err
	}
	if arr, isArr := v.([]any); isArr && found {
		return arr, nil
	}
	switch {
	case !found:
		return nil, f.notFound(in, e)
	case f.kind == fieldJSONata:
		return nil, f.queryFailure("The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'array', but was '%s' for value: %s",
			f.expr, f.name, jsonType(v), compactJSON(v))
	case f.kind == fieldPath:
		// AWS names the path within the document it reads: "$$.Execution.Input"
		// is "$.Execution.Input" (a TestState answer AWS recorded).
		raw := f.path.raw
		if f.path.context {
			raw = raw[1:]
		}
		return nil, failf(f.failure, "Reference path \"%s\" must point to array.", raw)
	}
	return nil, failf(f.failure, "Map state input must be an array but was: %s", compactJSON(v))
}

// jsonType names a value's JSON type as AWS's messages do.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// assignments evaluates an Assign field into the variables it sets.
func (f *field) assignments(in any, e *env) (map[string]any, error) {
	if f == nil {
		return nil, nil
	}
	v, err := f.value(in, e)
	if err != nil {
		return nil, err
	}
	keys, ok := value.Keys(v)
	if !ok {
		return nil, nil
	}
	m := make(map[string]any, len(keys))
	for _, k := range keys {
		m[k], _, _ = value.Field(v, k)
	}
	return m, nil
}

// intrinsicFailure classifies an intrinsic function's error: the engine's
// own failure from resolving a path argument is kept, an intrinsic rule
// violation keeps its name, anything else is States.IntrinsicFailure.
func intrinsicFailure(err error) error {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	var ie *intrinsic.Error
	if errors.As(err, &ie) {
		return &Failure{Name: ie.Name, Cause: ie.Message}
	}
	return &Failure{Name: ErrNameIntrinsicFailure, Cause: err.Error()}
}

// failureOf is the error name of a mistyped value in the decoder's
// language.
func (d *decoder) failureOf() string {
	if d.lang == QueryLanguageJSONata {
		return ErrNameQueryEvaluationError
	}
	return ErrNameRuntime
}

// field compiles the dynamic field name of a state in the decoder's query
// language: in JSONPath the literal name or the reference name+"Path" (a
// path, or with intrinsics also an intrinsic call), never both; in JSONata
// a literal, a "{% … %}" expression, or an object or array holding some.
// check reports the problems of a literal form. nil when the field is
// absent.
func (d *decoder) field(obj map[string]any, loc, name string, intrinsics bool, check func(v any, at string)) *field {
	v, hasLiteral := obj[name]
	at := loc + "/" + name
	if d.lang == QueryLanguageJSONata {
		if !hasLiteral {
			return nil
		}
		if s, isStr := v.(string); !isStr || !jsonata.IsExpression(s) {
			check(v, at)
		}
		f := d.template(v, at, name)
		f.failure = ErrNameQueryEvaluationError
		return f
	}
	pathName := name + "Path"
	pv, hasPath := obj[pathName]
	switch {
	case hasLiteral && hasPath:
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("Only one of '%s' or '%s' may be set", name, pathName), loc)
		return nil
	case hasLiteral:
		check(v, at)
		return &field{kind: fieldLiteral, name: name, failure: ErrNameRuntime, literal: d.ordered(v, at)}
	case hasPath:
		return d.reference(pv, loc+"/"+pathName, pathName, intrinsics)
	}
	return nil
}

// reference compiles a JSONPath "…Path" field: a reference path (keys and
// indexes), or with intrinsics any path or an intrinsic call.
func (d *decoder) reference(v any, loc, name string, intrinsics bool) *field {
	s, isStr := v.(string)
	want := "ReferencePath"
	if intrinsics {
		want = "JSONPath or intrinsic function"
	}
	f := &field{name: name, failure: ErrNameRuntime}
	var err error
	switch {
	case !isStr:
		err = fmt.Errorf("not a string")
	case intrinsics && intrinsic.IsCall(s):
		f.kind = fieldIntrinsic
		f.call, err = intrinsic.Parse(s)
	default:
		f.kind = fieldPath
		f.path, err = parsePath(s, !intrinsics)
	}
	if err != nil {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid %s", name, want), loc)
		return nil
	}
	return f
}

// inputField is an optional field left out that stands for the state's
// effective input (a Map state's items).
func (d *decoder) inputField(name string) *field {
	return &field{kind: fieldInput, name: name, failure: d.failureOf()}
}

// expression compiles a "{% … %}" string.
func (d *decoder) expression(s, loc, name string) *field {
	x, err := jsonata.Compile(jsonata.Body(s), d.varNames)
	if err != nil {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The JSONata expression '%s' is not valid: %v", jsonata.Body(s), err), loc)
		return &field{kind: fieldLiteral, name: name, literal: s}
	}
	return &field{kind: fieldJSONata, name: name, failure: ErrNameQueryEvaluationError, expr: x}
}

// template compiles a field whose value is built from a JSON template:
// Parameters, ResultSelector, ItemSelector and Assign in JSONPath, where a
// member "key.$" is a path or an intrinsic call; Arguments, Output,
// ItemSelector, Assign and the like in JSONata, where any string
// "{% … %}" is an expression. Parts with nothing dynamic below them are
// compiled to literals, shared between runs (the engine never modifies a
// value in place).
func (d *decoder) template(v any, loc, name string) *field {
	switch v := v.(type) {
	case map[string]any:
		f := &field{kind: fieldObject, name: name, failure: d.failureOf()}
		dynamic := false
		for _, k := range d.keysOf(v, loc) {
			var m *field
			key := k
			if d.lang == QueryLanguageJSONPath && strings.HasSuffix(k, ".$") {
				key = strings.TrimSuffix(k, ".$")
				m = d.templateMember(v[k], loc+"/"+k, k)
			} else {
				m = d.template(v[k], loc+"/"+k, name+"/"+k)
			}
			if m == nil {
				continue
			}
			if m.kind != fieldLiteral {
				dynamic = true
			}
			f.keys = append(f.keys, key)
			f.members = append(f.members, m)
		}
		if !dynamic {
			return &field{kind: fieldLiteral, name: name, literal: d.ordered(v, loc)}
		}
		return f
	case []any:
		f := &field{kind: fieldArray, name: name, failure: d.failureOf()}
		dynamic := false
		for i, e := range v {
			m := d.template(e, fmt.Sprintf("%s[%d]", loc, i), fmt.Sprintf("%s[%d]", name, i))
			if m.kind != fieldLiteral {
				dynamic = true
			}
			f.members = append(f.members, m)
		}
		if !dynamic {
			return &field{kind: fieldLiteral, name: name, literal: d.ordered(v, loc)}
		}
		return f
	case string:
		if d.lang == QueryLanguageJSONata && jsonata.IsExpression(v) {
			return d.expression(v, loc, name)
		}
	}
	return &field{kind: fieldLiteral, name: name, literal: v}
}

// templateMember compiles the value of a JSONPath template's "key.$"
// member: a path or an intrinsic call.
func (d *decoder) templateMember(v any, loc, key string) *field {
	s, ok := v.(string)
	if !ok {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a STRING that contains a JSONPath or an intrinsic function", key), loc)
		return nil
	}
	f := &field{name: key, failure: ErrNameRuntime, inTemplate: true}
	if intrinsic.IsCall(s) {
		call, err := intrinsic.Parse(s)
		if err != nil {
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid intrinsic function call: %v", key, err), loc)
			return nil
		}
		f.kind, f.call = fieldIntrinsic, call
		return f
	}
	p, err := parsePath(s, false)
	if err != nil {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid JSONPath", key), loc)
		return nil
	}
	f.kind, f.path = fieldPath, p
	return f
}
