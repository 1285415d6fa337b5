package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/stepgate/stepgate/internal/offline/asl/jsonata"
)

// Operator families. The family decides the operand's type and the type
// the variable must have for the comparison to hold at all.
const (
	famString = iota + 1
	famNumeric
	famBoolean
	famTimestamp
	famTypeTest
)

// Comparison relations.
const (
	relEq = iota + 1
	relLt
	relGt
	relLe
	relGe
	relMatches
	relIsNull
	relIsPresent
	relIsNumeric
	relIsString
	relIsBoolean
	relIsTimestamp
)

type operator struct {
	family int
	rel    int
	isPath bool
}

// operators maps every comparison operator of the Choice state to its meaning.
var operators = func() map[string]operator {
	m := map[string]operator{
		"StringMatches":     {famString, relMatches, false},
		"IsNull":            {famTypeTest, relIsNull, false},
		"IsPresent":         {famTypeTest, relIsPresent, false},
		"IsNumeric":         {famTypeTest, relIsNumeric, false},
		"IsString":          {famTypeTest, relIsString, false},
		"IsBoolean":         {famTypeTest, relIsBoolean, false},
		"IsTimestamp":       {famTypeTest, relIsTimestamp, false},
		"BooleanEquals":     {famBoolean, relEq, false},
		"BooleanEqualsPath": {famBoolean, relEq, true},
	}
	rels := map[string]int{"Equals": relEq, "LessThan": relLt, "GreaterThan": relGt, "LessThanEquals": relLe, "GreaterThanEquals": relGe}
	fams := map[string]int{"String": famString, "Numeric": famNumeric, "Timestamp": famTimestamp}
	for fn, f := range fams {
		for rn, r := range rels {
			m[fn+rn] = operator{f, r, false}
			m[fn+rn+"Path"] = operator{f, r, true}
		}
	}
	return m
}()

// choiceKind: the first rule that holds picks the next state.
type choiceKind struct {
	choices     []*choiceRule
	defaultNext string
}

func (*choiceKind) fields(f fieldSets) (required, optional []string) {
	return []string{"Choices"}, slices.Concat(f.io, f.assign, []string{"Default"})
}

func (k *choiceKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	arr, ok := obj["Choices"].([]any)
	if !ok || len(arr) == 0 {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'Choices' must be a non-empty ARRAY", loc+"/Choices")
	}
	for i, e := range arr {
		rloc := fmt.Sprintf("%s/Choices[%d]", loc, i)
		var r *choiceRule
		if d.lang == QueryLanguageJSONata {
			r = d.conditionRule(e, rloc)
		} else {
			r = d.choiceRule(e, rloc, true)
		}
		if r != nil {
			// A matched rule assigns and shapes the output with its own
			// Assign (and Output, in JSONata); the state's apply only when
			// the Default is taken.
			r.flow = st.flow.withRule(r.assign, r.output)
			k.choices = append(k.choices, r)
		}
	}
	k.defaultNext = d.str(obj, loc, "Default", true)
}

// run goes to the first rule that holds, whose flow then builds the output.
func (k *choiceKind) run(_ context.Context, _ *thread, _ *state, in any, e *env) (any, string, error) {
	for _, r := range k.choices {
		ok, err := r.eval(in, e)
		if err != nil {
			return nil, "", err
		}
		if ok {
			e.outputFlow = r.flow
			return in, r.next, nil
		}
	}
	if k.defaultNext != "" {
		return in, k.defaultNext, nil
	}
	return nil, "", failf(ErrNameNoChoiceMatched, "No Matches!")
}

func (*choiceKind) hasResult() bool     { return false }
func (*choiceKind) subgraphs() []*graph { return nil }

func (k *choiceKind) targets() []string {
	out := []string{k.defaultNext}
	for _, c := range k.choices {
		out = append(out, c.next)
	}
	return out
}

// choiceRule is a Choice Rule: a comparison, or And/Or/Not of nested rules.
type choiceRule struct {
	next string

	// Top-level rules may assign variables, and in JSONata give the output:
	// flow is the state's flow with these.
	assign    *field
	output    *field
	flow      dataflow
	condition *field // JSONata: "Condition": "{% … %}" or a boolean

	and []*choiceRule
	or  []*choiceRule
	not *choiceRule

	variable  *path
	op        operator
	opName    string
	str       string
	num       json.Number
	boolean   bool
	ts        time.Time
	pattern   []string // StringMatches: literal segments between '*'
	valuePath *path
}

// conditionRule decodes a JSONata Choice rule: Condition, Next, and
// optionally Assign and Output.
func (d *decoder) conditionRule(v any, loc string) *choiceRule {
	obj, ok := v.(map[string]any)
	if !ok {
		d.problem(CodeSchemaValidationFailed, "A Choice Rule must be an OBJECT", loc)
		return nil
	}
	d.fields(obj, loc, []string{"Condition", "Next"}, []string{"Comment", "Assign", "Output"})
	r := &choiceRule{next: d.str(obj, loc, "Next", true), assign: d.assign(obj, loc)}
	switch c := obj["Condition"].(type) {
	case bool:
		r.condition = &field{kind: fieldLiteral, name: "Condition", literal: c}
	case string:
		if !jsonata.IsExpression(c) {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Condition' must be a JSONata expression {% … %} or a BOOLEAN", loc+"/Condition")
			return nil
		}
		r.condition = d.expression(c, loc+"/Condition", "Condition")
	default:
		d.problem(CodeSchemaValidationFailed, "The value for the field 'Condition' must be a JSONata expression {% … %} or a BOOLEAN", loc+"/Condition")
		return nil
	}
	if v, ok := obj["Output"]; ok {
		r.output = d.template(v, loc+"/Output", "Output")
	}
	return r
}

func (d *decoder) choiceRule(v any, loc string, top bool) *choiceRule {
	obj, ok := v.(map[string]any)
	if !ok {
		d.problem(CodeSchemaValidationFailed, "A Choice Rule must be an OBJECT", loc)
		return nil
	}
	r := &choiceRule{}
	var opNames []string
	for k := range obj {
		if _, ok := operators[k]; ok || k == "And" || k == "Or" || k == "Not" {
			opNames = append(opNames, k)
		}
	}
	if len(opNames) != 1 {
		d.problem(CodeSchemaValidationFailed, "A Choice Rule must have exactly one comparison operator, or one of 'And', 'Or', 'Not'", loc)
		return nil
	}
	name := opNames[0]
	allowed := []string{"Comment", name}
	if top {
		allowed = append(allowed, "Next", "Assign")
	}
	isCombinator := name == "And" || name == "Or" || name == "Not"
	if !isCombinator {
		allowed = append(allowed, "Variable")
	}
	var required []string
	if top {
		required = append(required, "Next")
	}
	if !isCombinator {
		required = append(required, "Variable")
	}
	d.fields(obj, loc, required, allowed)
	r.next = d.str(obj, loc, "Next", true)
	if top {
		r.assign = d.assign(obj, loc)
	}

	switch name {
	case "And", "Or":
		arr, ok := obj[name].([]any)
		if !ok || len(arr) == 0 {
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a non-empty ARRAY", name), loc+"/"+name)
			return nil
		}
		var subs []*choiceRule
		for i, e := range arr {
			if s := d.choiceRule(e, fmt.Sprintf("%s/%s[%d]", loc, name, i), false); s != nil {
				subs = append(subs, s)
			}
		}
		if name == "And" {
			r.and = subs
		} else {
			r.or = subs
		}
		return r
	case "Not":
		r.not = d.choiceRule(obj["Not"], loc+"/Not", false)
		return r
	}
	r.opName = name
	r.op = operators[name]
	r.variable, _ = d.pathField(obj, loc, "Variable", false, false)
	operand := obj[name]
	bad := func(kind string) {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a %s", name, kind), loc+"/"+name)
	}
	if r.op.isPath {
		r.valuePath, _ = d.pathField(obj, loc, name, false, false)
		return r
	}
	switch r.op.family {
	case famString:
		s, ok := operand.(string)
		if !ok {
			bad("STRING")
		}
		r.str = s
		if r.op.rel == relMatches {
			r.pattern = compilePattern(s)
		}
	case famNumeric:
		n, ok := operand.(json.Number)
		if !ok {
			bad("NUMBER")
		}
		r.num = n
	case famBoolean, famTypeTest:
		b, ok := operand.(bool)
		if !ok {
			bad("BOOLEAN")
		}
		r.boolean = b
	case famTimestamp:
		s, _ := operand.(string)
		ts, ok := parseTimestamp(s)
		if !ok {
			bad("valid ISO-8601 timestamp")
		}
		r.ts = ts
	}
	return r
}

// eval decides the rule against the Choice state's effective input. A
// variable that is absent is an error (States.Runtime), except for
// IsPresent; a variable of the wrong type makes a comparison false.
func (r *choiceRule) eval(input any, env *env) (bool, error) {
	switch {
	case r.condition != nil:
		v, found, err := r.condition.lookup(input, env)
		if err != nil {
			return false, err
		}
		b, isBool := v.(bool)
		if !found || !isBool {
			return false, r.condition.queryFailure("The Condition '%s' must evaluate to a boolean, but returned %s", r.condition.expr, compactJSON(v))
		}
		return b, nil
	case r.and != nil:
		for _, s := range r.and {
			ok, err := s.eval(input, env)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, s := range r.or {
			ok, err := s.eval(input, env)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.eval(input, env)
		return !ok && err == nil, err
	}
	v, found := env.get(r.variable, input)
	if r.op.rel == relIsPresent {
		return found == r.boolean, nil
	}
	if !found {
		return false, failf(ErrNameRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.raw)
	}
	if r.op.family == famTypeTest {
		var is bool
		switch r.op.rel {
		case relIsNull:
			is = v == nil
		case relIsNumeric:
			_, is = v.(json.Number)
		case relIsString:
			_, is = v.(string)
		case relIsBoolean:
			_, is = v.(bool)
		case relIsTimestamp:
			s, isStr := v.(string)
			_, is = parseTimestamp(s)
			is = is && isStr
		}
		return is == r.boolean, nil
	}
	if r.op.isPath {
		other, ok := env.get(r.valuePath, input)
		if !ok {
			return false, failf(ErrNameRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.valuePath.raw)
		}
		return compareDynamic(r.op, v, other), nil
	}
	switch r.op.family {
	case famString:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		if r.op.rel == relMatches {
			return matchPattern(r.pattern, s), nil
		}
		return holds(r.op.rel, strings.Compare(s, r.str)), nil
	case famNumeric:
		n, ok := v.(json.Number)
		if !ok {
			return false, nil
		}
		return holds(r.op.rel, compareNumbers(n, r.num)), nil
	case famBoolean:
		b, ok := v.(bool)
		return ok && b == r.boolean, nil
	case famTimestamp:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		t, ok := parseTimestamp(s)
		if !ok {
			return false, nil
		}
		return holds(r.op.rel, t.Compare(r.ts)), nil
	}
	return false, nil
}

// compareDynamic compares two values taken from the input (…Path forms):
// both must have the operator's type.
func compareDynamic(op operator, a, b any) bool {
	switch op.family {
	case famString:
		x, ok1 := a.(string)
		y, ok2 := b.(string)
		return ok1 && ok2 && holds(op.rel, strings.Compare(x, y))
	case famNumeric:
		x, ok1 := a.(json.Number)
		y, ok2 := b.(json.Number)
		return ok1 && ok2 && holds(op.rel, compareNumbers(x, y))
	case famBoolean:
		x, ok1 := a.(bool)
		y, ok2 := b.(bool)
		return ok1 && ok2 && x == y
	case famTimestamp:
		x, ok1 := a.(string)
		y, ok2 := b.(string)
		if !ok1 || !ok2 {
			return false
		}
		tx, ok1 := parseTimestamp(x)
		ty, ok2 := parseTimestamp(y)
		return ok1 && ok2 && holds(op.rel, tx.Compare(ty))
	}
	return false
}

func holds(rel, cmp int) bool {
	switch rel {
	case relEq:
		return cmp == 0
	case relLt:
		return cmp < 0
	case relGt:
		return cmp > 0
	case relLe:
		return cmp <= 0
	case relGe:
		return cmp >= 0
	}
	return false
}

// compareNumbers compares two JSON numbers exactly: as int64 when both are,
// otherwise as float64, falling back to arbitrary precision on a tie.
func compareNumbers(a, b json.Number) int {
	if x, err := a.Int64(); err == nil {
		if y, err := b.Int64(); err == nil {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	x, _ := a.Float64()
	y, _ := b.Float64()
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	// Equal as float64: decide exactly, for integers beyond int64 and
	// decimals that round to the same float.
	bx, okx := new(big.Float).SetPrec(512).SetString(string(a))
	by, oky := new(big.Float).SetPrec(512).SetString(string(b))
	if okx && oky {
		return bx.Cmp(by)
	}
	return 0
}

// parseTimestamp accepts the RFC 3339 profile ASL requires: an uppercase T
// between date and time, and Z or a numeric offset.
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// compilePattern splits a StringMatches pattern into the literal segments
// between unescaped '*'. "\*" is a literal star and "\\" a literal
// backslash; the result alternates segments around each wildcard.
func compilePattern(p string) []string {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p) && (p[i+1] == '*' || p[i+1] == '\\'):
			cur.WriteByte(p[i+1])
			i++
		case c == '*':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(segs, cur.String())
}

// matchPattern matches s against segments separated by wildcards: the first
// must be a prefix, the last a suffix, the others appear in order between.
func matchPattern(segs []string, s string) bool {
	if len(segs) == 1 {
		return s == segs[0]
	}
	if !strings.HasPrefix(s, segs[0]) {
		return false
	}
	s = s[len(segs[0]):]
	last := segs[len(segs)-1]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
