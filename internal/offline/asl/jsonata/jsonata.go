// Package jsonata evaluates the JSONata expressions of Step Functions
// states ("{% … %}") with github.com/blues/jsonata-go, adapted to what AWS
// runs: the engine's values (json.Number, nil, objects in their key order)
// in and out, JSONata's null kept distinct from undefined, the functions AWS
// adds ($partition, $range, $hash, $random, $uuid, $parse), and variables
// bound per evaluation. An evaluation is bounded in depth, steps and sizes
// and stops with its context, so that no expression can end the process.
//
// The library was chosen by a differential test against npm jsonata 2.0.6
// (the reference implementation), recorded in DIVERGENCES.md; the copy in
// third_party/jsonata-go carries the changes that cannot be made from
// outside it (key order, the bounds).
package jsonata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"

	blues "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jtypes"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// Expr is a compiled JSONata expression. It is safe for concurrent use.
type Expr struct {
	src  string
	refs []string // workflow variable names the expression may read
	pool sync.Pool
}

// ErrUndefined is returned by Eval when the expression has no value
// (JSONata's undefined), which is not an error in JSONata itself.
var ErrUndefined = errors.New("undefined result")

// ErrUnsupportedResult is a result that is not JSON (a function), which
// Step Functions refuses.
var ErrUnsupportedResult = errors.New("returned an unsupported result type")

// EvalError is a failure of the expression at run time (a type error, a
// failed $assert, an AWS function's bad argument).
type EvalError struct {
	Expr string
	Err  error
}

func (e *EvalError) Error() string { return e.Err.Error() }
func (e *EvalError) Unwrap() error { return e.Err }

var refPattern = regexp.MustCompile(`\$[\p{L}_][\p{L}\p{N}_]*`)

// Compile parses src. vars are the names the definition assigns anywhere
// (Assign), which the expression may read as $name; "states" is always bound.
func Compile(src string, vars map[string]bool) (*Expr, error) {
	if n := nesting(src); n > maxNesting {
		return nil, fmt.Errorf("the expression nests %d brackets deep, more than %d", n, maxNesting)
	}
	e := &Expr{src: src}
	x, err := newLib(src)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range refPattern.FindAllString(src, -1) {
		name := m[1:]
		if (vars[name] || name == "states") && !seen[name] {
			seen[name] = true
			e.refs = append(e.refs, name)
		}
	}
	e.pool.Put(x)
	return e, nil
}

// maxNesting bounds the brackets an expression nests, which the library's
// parser follows by recursion: a definition may be a megabyte of "(((…".
const maxNesting = 1000

// nesting is the deepest nesting of (, [ and { outside string literals.
func nesting(src string) int {
	depth, deepest := 0, 0
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

func newLib(src string) (*blues.Expr, error) {
	x, err := blues.Compile(src)
	if err != nil {
		return nil, err
	}
	x.SetMaxDepth(MaxDepth)
	x.SetMaxSteps(maxSteps)
	x.SetMaxRangeItems(maxRangeOperatorItems)
	if err := x.RegisterExts(awsFunctions); err != nil {
		return nil, fmt.Errorf("register AWS functions: %w", err)
	}
	return x, nil
}

// String returns the source of the expression.
func (e *Expr) String() string { return e.src }

// MaxDepth bounds how deep an evaluation nests (each operator, path step
// and function call is a level): a function that calls itself without end
// fails at this depth instead of overflowing the Go stack, which would end
// the process. 10,000 levels allow about 3,300 calls of a simple recursive
// function and take at most a few tens of MB of stack.
const MaxDepth = 10000

// Bounds of one evaluation, variables so that tests can lower them:
// maxSteps, how many nodes it evaluates (100 million, about ten seconds),
// so that an expression whose work grows exponentially fails instead of
// running for ever; maxRangeOperatorItems, how many items its range operators
// allocate together (ten million, as npm jsonata allows one range), so that
// a range mapped over a range does not exhaust the memory.
var (
	maxSteps              = 100000000
	maxRangeOperatorItems = 10000000
)

// Eval evaluates the expression. lookup gives a variable's value (states
// included) in the engine's representation; ok false means unbound. The
// result is in the engine's representation; ErrUndefined when the
// expression yields nothing. The evaluation stops with ctx's error soon
// after ctx is done.
func (e *Expr) Eval(ctx context.Context, lookup func(name string) (any, bool)) (any, error) {
	x, _ := e.pool.Get().(*blues.Expr)
	if x == nil {
		var err error
		if x, err = newLib(e.src); err != nil {
			return nil, err
		}
	}
	defer e.pool.Put(x)
	// Every referenced name is rebound on each evaluation, so a pooled
	// expression never sees a value from an earlier one; nil is undefined.
	vars := make(map[string]any, len(e.refs))
	for _, name := range e.refs {
		var v any
		if val, ok := lookup(name); ok {
			if n, isNative := val.(Native); isNative {
				v = n.v
			} else {
				v = toLib(val)
			}
		}
		vars[name] = v
	}
	if err := x.RegisterVars(vars); err != nil {
		return nil, fmt.Errorf("bind variables: %w", err)
	}
	out, err := evalSafely(ctx, x)
	switch {
	case errors.Is(err, blues.ErrUndefined):
		return nil, ErrUndefined
	case err != nil:
		return nil, &EvalError{Expr: e.src, Err: err}
	}
	v, err := fromLib(out)
	if err != nil {
		return nil, &EvalError{Expr: e.src, Err: err}
	}
	return v, nil
}

// evalSafely turns a panic inside the library into an error, so a bad
// expression fails its state instead of the process.
func evalSafely(ctx context.Context, x *blues.Expr) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("JSONata evaluation failed: %v", r)
		}
	}()
	return x.EvalContext(ctx, nil)
}

// Native is a value already converted for the library, so that a caller
// evaluating several expressions over the same data ($states) converts it
// once.
type Native struct{ v any }

// ToNative converts an engine value once for repeated evaluations.
func ToNative(v any) Native { return Native{toLib(v)} }

// IsExpression reports whether s is a "{% … %}" string.
func IsExpression(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// Body returns the expression inside "{% … %}".
func Body(s string) string {
	return strings.TrimSpace(s[2 : len(s)-2])
}

// null is the library's JSON null: a nil interface would read as undefined.
var null = (*any)(nil)

// toLib converts an engine value for the library: numbers become float64
// (JSONata's numbers are doubles, as in AWS) and nil becomes null.
func toLib(v any) any {
	switch v := v.(type) {
	case nil:
		return null
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String()
		}
		return f
	case *value.Object:
		m := jtypes.NewMap(v.Len())
		for _, k := range v.Keys() {
			e, _ := v.Get(k)
			m.Set(k, toLib(e))
		}
		return m
	case map[string]any:
		// The engine's own maps ($states, the context object) have no
		// order to keep: the library reads Go maps in sorted key order.
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = toLib(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = toLib(e)
		}
		return a
	}
	return v
}

// fromLib converts a library result to the engine's values. Numbers are
// rendered as JavaScript prints them (encoding/json follows ES6 for
// float64), so 1e21 and 0.1+0.2 read as in AWS.
func fromLib(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool:
		return v, nil
	case *any:
		if v == nil {
			return nil, nil
		}
		return fromLib(*v)
	case float64:
		return number(v)
	case int:
		return json.Number(fmt.Sprint(v)), nil
	case int64:
		return json.Number(fmt.Sprint(v)), nil
	case *jtypes.Map:
		o := value.NewObject(v.Len())
		for i := range v.Len() {
			k, e := v.Entry(i)
			c, err := fromLib(e)
			if err != nil {
				return nil, err
			}
			o.Set(k, c)
		}
		return o, nil
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			c, err := fromLib(e)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	case []any:
		a := make([]any, 0, len(v))
		for _, e := range v {
			c, err := fromLib(e)
			if err != nil {
				return nil, err
			}
			a = append(a, c)
		}
		return a, nil
	}
	if _, isFn := v.(jtypes.Callable); isFn {
		return nil, ErrUnsupportedResult
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		// Typed slices of the library's functions ($match's objects).
		a := make([]any, 0, rv.Len())
		for i := range rv.Len() {
			c, err := fromLib(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			a = append(a, c)
		}
		return a, nil
	case reflect.Func:
		return nil, ErrUnsupportedResult
	case reflect.Float32, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return number(rv.Convert(reflect.TypeOf(float64(0))).Float())
	}
	// Anything else (typed slices or maps): through JSON.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("JSONata result is not JSON: %w", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return fromLib(out)
}

func number(f float64) (any, error) {
	b, err := json.Marshal(f)
	if err != nil {
		// NaN and ±Inf: JSONata refuses them as results too.
		return nil, fmt.Errorf("the number %v cannot be represented in JSON", f)
	}
	if string(b) == "-0" {
		return json.Number("0"), nil
	}
	return json.Number(b), nil
}
