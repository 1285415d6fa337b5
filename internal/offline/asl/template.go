package asl

import (
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// evaluator is a compiled intrinsic function call.
type evaluator interface {
	Eval(resolve func(path string) (any, error)) (any, error)
}

// template is a compiled payload template: Parameters, ResultSelector,
// ItemSelector. Parts without a ".$" key anywhere below them are kept as
// literals and shared between evaluations; the engine never modifies a value
// in place, so sharing is safe.
type template struct {
	literal any
	fields  []templateField // set for an object with dynamic content
	items   []*template     // set for an array with dynamic content
	isObj   bool
	isArr   bool
}

type templateField struct {
	key  string
	path *path     // "key.$": "$…" or "$$…"
	call evaluator // "key.$": "States.…(…)"
	sub  *template // plain key
	src  string    // the ".$" field's name, for error messages
	expr string
}

// compileTemplate compiles v; problems are reported at loc.
func compileTemplate(v any, loc string, d *decoder) *template {
	switch v := v.(type) {
	case map[string]any:
		t := &template{isObj: true}
		dynamic := false
		for _, k := range d.keysOf(v, loc) {
			e := v[k]
			if strings.HasSuffix(k, ".$") {
				dynamic = true
				f := templateField{key: strings.TrimSuffix(k, ".$"), src: k}
				s, ok := e.(string)
				if !ok {
					d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a STRING that contains a JSONPath or an intrinsic function", k), loc+"/"+k)
					continue
				}
				f.expr = s
				if isIntrinsic(s) {
					call, err := parseIntrinsic(s)
					if err != nil {
						d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid intrinsic function call: %v", k, err), loc+"/"+k)
						continue
					}
					f.call = call
				} else {
					p, err := parsePath(s, false)
					if err != nil {
						d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid JSONPath", k), loc+"/"+k)
						continue
					}
					f.path = p
				}
				t.fields = append(t.fields, f)
				continue
			}
			sub := compileTemplate(e, loc+"/"+k, d)
			if sub.isObj || sub.isArr {
				dynamic = true
			}
			t.fields = append(t.fields, templateField{key: k, sub: sub})
		}
		if !dynamic {
			return &template{literal: d.ordered(v, loc)}
		}
		return t
	case []any:
		t := &template{isArr: true}
		dynamic := false
		for i, e := range v {
			sub := compileTemplate(e, fmt.Sprintf("%s[%d]", loc, i), d)
			if sub.isObj || sub.isArr {
				dynamic = true
			}
			t.items = append(t.items, sub)
		}
		if !dynamic {
			return &template{literal: d.ordered(v, loc)}
		}
		return t
	}
	return &template{literal: v}
}

// eval builds the template's value against input and the context object.
func (t *template) eval(input any, env *env) (any, error) {
	switch {
	case t.isObj:
		out := value.NewObject(len(t.fields))
		for i := range t.fields {
			f := &t.fields[i]
			switch {
			case f.sub != nil:
				v, err := f.sub.eval(input, env)
				if err != nil {
					return nil, err
				}
				out.Set(f.key, v)
			case f.call != nil:
				v, err := f.call.Eval(env.resolver(input))
				if err != nil {
					return nil, intrinsicFailure(err)
				}
				out.Set(f.key, v)
			default:
				v, ok := env.get(f.path, input)
				if !ok {
					return nil, failf(ErrNameParameterPathFailure,
						"The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
						f.expr, f.src, compactJSON(env.source(f.path, input)))
				}
				out.Set(f.key, v)
			}
		}
		return out, nil
	case t.isArr:
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(input, env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return t.literal, nil
}
