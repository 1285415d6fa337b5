package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// step is one segment of a definite path: an object key or an array index.
type step struct {
	key     string
	index   int
	isIndex bool
}

// path is a compiled ASL Path or Reference Path. Definite paths (only keys
// and indexes, the common case) are walked directly without allocating;
// anything else (wildcards, slices, unions, descent, filters) goes through
// ojg, and yields the list of matches as an array, as Step Functions'
// JsonPath implementation does.
type path struct {
	raw      string
	context  bool   // "$$…": evaluated against the context object
	variable string // "$name…": evaluated against a workflow variable
	steps    []step
	definite bool
	expr     jp.Expr
	filter   bool // the expression has a filter, which ojg compares on int64/float64 only
}

// parsePath compiles an ASL path. reference restricts it to a Reference
// Path (keys and indexes only), as ResultPath requires.
func parsePath(s string, reference bool) (*path, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("the path %q must start with '$'", s)
	}
	p := &path{raw: s}
	expr := s
	if strings.HasPrefix(s, "$$") {
		p.context = true
		expr = s[1:]
	} else if name, rest, ok := cutVariable(s); ok {
		p.variable = name
		expr = "$" + rest
	}
	if steps, ok := parseDefinite(expr); ok {
		p.steps, p.definite = steps, true
		return p, nil
	}
	x, err := jp.ParseString(expr)
	if err != nil {
		return nil, fmt.Errorf("the path %q is not a valid JSONPath: %w", s, err)
	}
	p.expr = x
	p.definite = true
	for i, f := range x {
		switch f := f.(type) {
		case jp.Root:
			if i != 0 {
				p.definite = false
			}
		case jp.Bracket:
			// Marks bracket notation; carries no selection.
		case jp.Child:
			p.steps = append(p.steps, step{key: string(f)})
		case jp.Nth:
			p.steps = append(p.steps, step{index: int(f), isIndex: true})
		case *jp.Filter:
			p.filter = true
			p.definite = false
		default:
			p.definite = false
		}
	}
	if _, ok := x[0].(jp.Root); !ok {
		return nil, fmt.Errorf("the path %q must start with '$'", s)
	}
	if reference && !p.definite {
		return nil, fmt.Errorf("the path %q must be a reference path (keys and indexes only)", s)
	}
	return p, nil
}

// get evaluates the path. ok is false when a definite path selects nothing.
func (p *path) get(data any) (v any, ok bool) {
	if p.definite {
		cur := data
		for _, s := range p.steps {
			if s.isIndex {
				arr, isArr := cur.([]any)
				if !isArr {
					return nil, false
				}
				i := s.index
				if i < 0 {
					i += len(arr)
				}
				if i < 0 || i >= len(arr) {
					return nil, false
				}
				cur = arr[i]
				continue
			}
			var isObj bool
			cur, ok, isObj = value.Field(cur, s.key)
			if !isObj || !ok {
				return nil, false
			}
		}
		return cur, true
	}
	if p.filter {
		res := p.expr.Get(toOJG(data))
		for i := range res {
			res[i] = fromOJG(res[i])
		}
		return nonNil(res), true
	}
	return nonNil(p.expr.Get(value.Plain(data))), true
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// toOJG converts json.Number leaves to int64 or float64 so that ojg's filter
// comparisons see numbers.
func toOJG(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case *value.Object:
		m := make(map[string]any, v.Len())
		for _, k := range v.Keys() {
			e, _ := v.Get(k)
			m[k] = toOJG(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = toOJG(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = toOJG(e)
		}
		return a
	}
	return v
}

// fromOJG reverses toOJG on a filter's results.
func fromOJG(v any) any {
	switch v := v.(type) {
	case int64:
		return json.Number(strconv.FormatInt(v, 10))
	case float64:
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = fromOJG(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = fromOJG(e)
		}
		return a
	}
	return v
}

// set places value at the reference path p inside data, creating objects
// along the way, and returns the new document. Containers on the path are
// copied rather than modified, because a state's input may be shared (the
// branches of a Parallel state all receive the same value).
func (p *path) set(data, val any) (any, error) {
	if len(p.steps) > 0 && !p.steps[0].isIndex {
		if !value.IsObject(data) {
			return nil, fmt.Errorf("unable to apply ResultPath %q to an input that is not an object", p.raw)
		}
	}
	return setSteps(data, p.steps, val, p.raw)
}

func setSteps(cur any, steps []step, val any, raw string) (any, error) {
	if len(steps) == 0 {
		return val, nil
	}
	s := steps[0]
	if s.isIndex {
		arr, ok := cur.([]any)
		i := s.index
		if ok && i < 0 {
			i += len(arr)
		}
		if !ok || i < 0 || i >= len(arr) {
			return nil, fmt.Errorf("unable to apply ResultPath %q: no array element at index %d", raw, s.index)
		}
		child, err := setSteps(arr[i], steps[1:], val, raw)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(arr))
		copy(out, arr)
		out[i] = child
		return out, nil
	}
	var obj *value.Object
	switch c := cur.(type) {
	case *value.Object:
		obj = c
	case map[string]any:
		obj, _ = value.Ordered(c)
	case nil:
		// A missing intermediate object is created.
	default:
		return nil, fmt.Errorf("unable to apply ResultPath %q: the value at %q is not an object", raw, s.key)
	}
	var next any
	if obj != nil {
		next, _ = obj.Get(s.key)
	}
	if len(steps) > 1 {
		if !value.IsObject(next) && next != nil {
			if _, isArr := next.([]any); !isArr || !steps[1].isIndex {
				return nil, fmt.Errorf("unable to apply ResultPath %q: the value at %q is not an object", raw, s.key)
			}
		}
	}
	child, err := setSteps(next, steps[1:], val, raw)
	if err != nil {
		return nil, err
	}
	// A new key goes last and an existing one keeps its place, as AWS does.
	out := value.NewObject(1)
	if obj != nil {
		out = obj.Clone()
	}
	out.Set(s.key, child)
	return out, nil
}

// cutVariable splits "$name.rest" into the variable's name and ".rest".
func cutVariable(s string) (name, rest string, ok bool) {
	end := 1
	for end < len(s) && s[end] != '.' && s[end] != '[' {
		end++
	}
	name = s[1:end]
	if !variableName.MatchString(name) {
		return "", "", false
	}
	return name, s[end:], true
}

// parseDefinite reads a path made only of keys and indexes the way Step
// Functions does, before any general JSONPath parser sees it: a dot-notation
// key runs to the next '.' or '[' (so $.delivery-partner is one key), and in
// a quoted bracket key a backslash escapes the enclosing quote ($['it\'s'])
// and is otherwise a plain character: AWS's recorded run finds the key
// Test\""Name" with $['Test\""Name"'] (LocalStack's AWS-validated
// test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]).
// ok is false for anything else (wildcards, slices, filters, …).
func parseDefinite(s string) (steps []step, ok bool) {
	if !strings.HasPrefix(s, "$") {
		return nil, false
	}
	i := 1
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			key := s[i+1 : j]
			if key == "" || strings.ContainsAny(key, "*@()?,:$ '\"\\") {
				return nil, false
			}
			steps = append(steps, step{key: key})
			i = j
		case '[':
			if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"') {
				quote := s[i+1]
				var key strings.Builder
				j := i + 2
				for ; j < len(s) && s[j] != quote; j++ {
					if s[j] == '\\' && j+1 < len(s) && s[j+1] == quote {
						j++
					}
					key.WriteByte(s[j])
				}
				if j+1 >= len(s) || s[j+1] != ']' {
					return nil, false
				}
				steps = append(steps, step{key: key.String()})
				i = j + 2
				continue
			}
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil {
				return nil, false
			}
			steps = append(steps, step{index: n, isIndex: true})
			i += end + 1
		default:
			return nil, false
		}
	}
	return steps, true
}
