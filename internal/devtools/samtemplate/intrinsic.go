package samtemplate

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// noValue is what Ref AWS::NoValue evaluates to; maps and lists drop it.
type noValue struct{}

// evaluator resolves intrinsic functions against one set of parameters and options.
type evaluator struct {
	opts       Options
	params     map[string]paramValue
	mappings   map[string]any
	conditions map[string]any  // declarations
	condValues map[string]bool // evaluated so far
	evaluating []string        // conditions being evaluated, to report cycles
	resources  map[string]bool // every logical ID in the template, enabled or not
}

// isIntrinsic reports whether m is an intrinsic function call: one key, Ref or Fn::….
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// eval resolves every intrinsic in v.
func (e *evaluator) eval(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if isIntrinsic(x) {
			for fn, arg := range x {
				return e.call(fn, arg)
			}
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			r, err := e.eval(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, skip := r.(noValue); !skip {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, val := range x {
			r, err := e.eval(val)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, skip := r.(noValue); !skip {
				out = append(out, r)
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

func (e *evaluator) call(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("argument of Ref is not a name")
		}
		return e.ref(name)
	case "Fn::GetAtt":
		id, attr, err := getAttArgs(arg)
		if err != nil {
			return nil, err
		}
		return e.getAtt(id, attr)
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::Join":
		return e.join(arg)
	case "Fn::If":
		return e.ifFn(arg)
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		return e.boolFn(fn, arg)
	case "Fn::Select":
		return e.selectFn(arg)
	case "Fn::Split":
		args, err := e.evalArgs(fn, arg, 2)
		if err != nil {
			return nil, err
		}
		delim, ok1 := args[0].(string)
		s, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("Fn::Split: arguments must be strings")
		}
		var out []any
		for _, p := range strings.Split(s, delim) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::FindInMap":
		return e.findInMap(arg)
	case "Fn::Base64":
		v, err := e.eval(arg)
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Base64: argument is not a string")
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::GetAZs":
		return []any{e.opts.Region + "a", e.opts.Region + "b", e.opts.Region + "c"}, nil
	case "Fn::ToJsonString":
		v, err := e.eval(arg)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("Fn::ToJsonString: %w", err)
		}
		return string(b), nil
	case "Fn::Length":
		v, err := e.eval(arg)
		if err != nil {
			return nil, err
		}
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Length: argument is not a list")
		}
		return len(l), nil
	default:
		// Fn::ImportValue, Fn::Cidr, Fn::Transform …: none has a meaning without a deployment.
		return nil, fmt.Errorf("%s is not supported", fn)
	}
}

// ref resolves Ref: parameter, pseudo parameter, or resource (through the Resolver).
func (e *evaluator) ref(name string) (any, error) {
	if p, ok := e.params[name]; ok {
		if p.isList {
			out := make([]any, len(p.list))
			for i, s := range p.list {
				out[i] = s
			}
			return out, nil
		}
		return p.raw, nil
	}
	switch name {
	case "AWS::Region":
		return e.opts.Region, nil
	case "AWS::AccountId":
		return e.opts.AccountID, nil
	case "AWS::Partition":
		return e.opts.Partition, nil
	case "AWS::StackName":
		return e.opts.StackName, nil
	case "AWS::URLSuffix":
		if strings.HasPrefix(e.opts.Partition, "aws-cn") {
			return "amazonaws.com.cn", nil
		}
		return "amazonaws.com", nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000",
			e.opts.Partition, e.opts.Region, e.opts.AccountID, e.opts.StackName), nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	// SAM's referable properties (MyApi.Stage, MyFunction.Alias) are Refs with a dot; the Resolver
	// is asked about the whole name.
	base, _, _ := strings.Cut(name, ".")
	if !e.resources[base] {
		return nil, fmt.Errorf("no parameter or resource %s to Ref", name)
	}
	return e.resolve(name, "")
}

func (e *evaluator) getAtt(id, attr string) (any, error) {
	if !e.resources[id] {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	return e.resolve(id, attr)
}

// resolve asks the Resolver, and falls back to the documented placeholder.
func (e *evaluator) resolve(id, attr string) (string, error) {
	if e.opts.Resolve != nil {
		if v, ok := e.opts.Resolve(id, attr); ok {
			return v, nil
		}
	}
	if attr == "" {
		return "${" + id + "}", nil
	}
	return "${" + id + "." + attr + "}", nil
}

func getAttArgs(arg any) (id, attr string, err error) {
	switch a := arg.(type) {
	case string:
		id, attr, ok := strings.Cut(a, ".")
		if !ok || id == "" || attr == "" {
			return "", "", fmt.Errorf("Fn::GetAtt %q: want LogicalID.Attribute", a)
		}
		return id, attr, nil
	case []any:
		if len(a) == 2 {
			id, ok1 := a[0].(string)
			attr, ok2 := a[1].(string)
			if ok1 && ok2 {
				return id, attr, nil
			}
		}
	}
	return "", "", fmt.Errorf("Fn::GetAtt: want [LogicalID, Attribute]")
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub resolves Fn::Sub in both forms: "string" and ["string", {Var: value}].
func (e *evaluator) sub(arg any) (any, error) {
	var format string
	vars := map[string]string{}
	switch a := arg.(type) {
	case string:
		format = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub: want [string, map]")
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub: first argument is not a string")
		}
		format = s
		m, ok := a[1].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub: second argument is not a map")
		}
		for k, v := range m {
			r, err := e.eval(v)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			s, err := asString(r)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = s
		}
	default:
		return nil, fmt.Errorf("Fn::Sub: argument is neither a string nor a list")
	}

	var firstErr error
	out := subVar.ReplaceAllStringFunc(format, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-1])
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // ${!Literal} is written out as ${Literal}
		}
		if v, ok := vars[name]; ok {
			return v
		}
		var r any
		var err error
		if id, attr, dotted := strings.Cut(name, "."); dotted && e.resources[id] {
			r, err = e.getAtt(id, attr)
		} else {
			r, err = e.ref(name)
		}
		if err == nil {
			var s string
			s, err = asString(r)
			r = s
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("variable ${%s} of Fn::Sub: %w", name, err)
			}
			return m
		}
		return r.(string)
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func (e *evaluator) join(arg any) (any, error) {
	args, err := e.evalArgs("Fn::Join", arg, 2)
	if err != nil {
		return nil, err
	}
	delim, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::Join: delimiter is not a string")
	}
	items, ok := args[1].([]any)
	if !ok {
		return nil, fmt.Errorf("Fn::Join: second argument is not a list")
	}
	parts := make([]string, len(items))
	for i, it := range items {
		s, err := asString(it)
		if err != nil {
			return nil, fmt.Errorf("Fn::Join item %d: %w", i, err)
		}
		parts[i] = s
	}
	return strings.Join(parts, delim), nil
}

// ifFn evaluates only the branch taken, so the other may refer to things that do not exist.
func (e *evaluator) ifFn(arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 3 {
		return nil, fmt.Errorf("Fn::If: want [condition, then, else]")
	}
	name, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::If: first argument is not a condition name")
	}
	on, err := e.condition(name)
	if err != nil {
		return nil, fmt.Errorf("Fn::If: %w", err)
	}
	if on {
		return e.eval(a[1])
	}
	return e.eval(a[2])
}

func (e *evaluator) boolFn(fn string, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: argument is not a list", fn)
	}
	if fn == "Fn::Equals" {
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Equals: want two values")
		}
		l, err := e.eval(a[0])
		if err != nil {
			return nil, err
		}
		r, err := e.eval(a[1])
		if err != nil {
			return nil, err
		}
		// CloudFormation compares the values as strings ("1" equals 1).
		return scalarString(l) == scalarString(r), nil
	}
	vals := make([]bool, len(a))
	for i, c := range a {
		b, err := e.condValue(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		vals[i] = b
	}
	switch fn {
	case "Fn::Not":
		if len(vals) != 1 {
			return nil, fmt.Errorf("Fn::Not: want one condition")
		}
		return !vals[0], nil
	case "Fn::And":
		for _, v := range vals {
			if !v {
				return false, nil
			}
		}
		return true, nil
	default: // Fn::Or
		for _, v := range vals {
			if v {
				return true, nil
			}
		}
		return false, nil
	}
}

// condValue evaluates a condition operand: {"Condition": name} or a condition function.
func (e *evaluator) condValue(v any) (bool, error) {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if name, ok := m["Condition"].(string); ok {
			return e.condition(name)
		}
	}
	r, err := e.eval(v)
	if err != nil {
		return false, err
	}
	b, ok := r.(bool)
	if !ok {
		return false, fmt.Errorf("condition operand is not a condition")
	}
	return b, nil
}

// condition evaluates a named condition once, detecting cycles.
func (e *evaluator) condition(name string) (bool, error) {
	if v, ok := e.condValues[name]; ok {
		return v, nil
	}
	decl, ok := e.conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	for _, n := range e.evaluating {
		if n == name {
			return false, fmt.Errorf("condition %s refers to itself (%s)", name, strings.Join(append(e.evaluating, name), " → "))
		}
	}
	e.evaluating = append(e.evaluating, name)
	defer func() { e.evaluating = e.evaluating[:len(e.evaluating)-1] }()
	v, err := e.condValue(decl)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	e.condValues[name] = v
	return v, nil
}

func (e *evaluator) selectFn(arg any) (any, error) {
	args, err := e.evalArgs("Fn::Select", arg, 2)
	if err != nil {
		return nil, err
	}
	idx, err := strconv.Atoi(scalarString(args[0]))
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: index %v is not an integer", args[0])
	}
	list, ok := args[1].([]any)
	if !ok {
		return nil, fmt.Errorf("Fn::Select: second argument is not a list")
	}
	if idx < 0 || idx >= len(list) {
		return nil, fmt.Errorf("Fn::Select: index %d out of range (%d items)", idx, len(list))
	}
	return list[idx], nil
}

func (e *evaluator) findInMap(arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || (len(a) != 3 && len(a) != 4) {
		return nil, fmt.Errorf("Fn::FindInMap: want [map, key, key]")
	}
	keys := make([]string, 3)
	for i := range 3 {
		v, err := e.eval(a[i])
		if err != nil {
			return nil, fmt.Errorf("Fn::FindInMap: %w", err)
		}
		s, err := asString(v)
		if err != nil {
			return nil, fmt.Errorf("Fn::FindInMap: %w", err)
		}
		keys[i] = s
	}
	if top, ok := e.mappings[keys[0]].(map[string]any); ok {
		if second, ok := top[keys[1]].(map[string]any); ok {
			if v, ok := second[keys[2]]; ok {
				return e.eval(v)
			}
		}
	}
	// The AWS::LanguageExtensions form carries a default: [map, k1, k2, {DefaultValue: v}].
	if len(a) == 4 {
		if d, ok := a[3].(map[string]any); ok {
			if v, ok := d["DefaultValue"]; ok {
				return e.eval(v)
			}
		}
	}
	return nil, fmt.Errorf("Fn::FindInMap: %s/%s/%s not found", keys[0], keys[1], keys[2])
}

// evalArgs evaluates a list argument of exactly n items.
func (e *evaluator) evalArgs(fn string, arg any, n int) ([]any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != n {
		return nil, fmt.Errorf("%s: want a list of %d arguments", fn, n)
	}
	out := make([]any, n)
	for i, v := range a {
		r, err := e.eval(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		out[i] = r
	}
	return out, nil
}

// asString accepts the scalars CloudFormation turns into strings and rejects lists and maps.
func asString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, float64, bool:
		return scalarString(x), nil
	default:
		return "", fmt.Errorf("value %v is not a string", v)
	}
}

// scalarString formats a YAML scalar the way CloudFormation sees it.
func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
