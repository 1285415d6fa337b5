package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/stepgate/stepgate/internal/offline/asl/jsonata"
	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// State types.
const (
	typePass     = "Pass"
	typeTask     = "Task"
	typeChoice   = "Choice"
	typeWait     = "Wait"
	typeSucceed  = "Succeed"
	typeFail     = "Fail"
	typeParallel = "Parallel"
	typeMap      = "Map"
)

// Query languages. Only JSONPath is evaluated today; the field is parsed so
// that JSONata can be added per state without changing the model.
const (
	QueryLanguageJSONPath = "JSONPath"
	QueryLanguageJSONata  = "JSONata"
)

// defaultTaskTimeoutSeconds is what Step Functions uses when a Task state
// gives no TimeoutSeconds.
const defaultTaskTimeoutSeconds = 99999999

// StateMachine is a parsed, validated definition. It is immutable and safe
// to start any number of executions from concurrently.
type StateMachine struct {
	root           *graph
	timeoutSeconds int64
	comment        string
}

// graph is a set of states with a start: the machine itself, a Parallel
// branch or a Map's item processor.
type graph struct {
	startAt string
	states  map[string]*state
}

// state is one parsed state: what every type of state shares. What only
// one type has lives in its kind; how input and output are processed lives
// in its flow (the query language).
type state struct {
	name string
	typ  string
	kind stateKind
	next string
	end  bool

	lang       string
	flow       dataflow
	assign     *assignment
	arguments  *ataValue // JSONata
	outputTmpl *ataValue // JSONata

	inputPath      *path
	inputPathNull  bool
	outputPath     *path
	outputPathNull bool
	resultPath     *path
	resultPathNull bool
	parameters     *template
	resultSelector *template

	retry []*retrier
	catch []*catcher
}

// valueExpr is a field that is either a path or an intrinsic call
// (Fail's ErrorPath and CausePath accept both).
type valueExpr struct {
	path *path
	call evaluator
	raw  string
}

// retrier is one element of a Retry array.
type retrier struct {
	errorEquals     []string
	intervalSeconds int64
	maxAttempts     int64
	backoffRate     float64
	maxDelaySeconds int64
	jitterFull      bool
}

// catcher is one element of a Catch array.
type catcher struct {
	errorEquals    []string
	next           string
	resultPath     *path
	resultPathNull bool
	assign         *assignment
	output         *ataValue // JSONata
}

// Parse decodes and validates a definition. A definition Step Functions would
// refuse yields a *DefinitionError listing every problem found.
func Parse(definition []byte) (*StateMachine, error) {
	dec := json.NewDecoder(bytes.NewReader(definition))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSONDescription, Message: err.Error(), Location: "/"}}}
	}
	if dec.More() {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSONDescription, Message: "unexpected data after the top-level object", Location: "/"}}}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSONDescription, Message: "the definition must be a JSON object", Location: "/"}}}
	}
	d := &decoder{varNames: map[string]bool{}, lang: QueryLanguageJSONPath, order: keyOrders(definition)}
	collectVariableNames(obj, d.varNames)
	sm := &StateMachine{}
	d.fields(obj, "", []string{"StartAt", "States"}, []string{"Comment", "Version", "TimeoutSeconds", "QueryLanguage"})
	sm.comment = d.str(obj, "", "Comment", false)
	if v, ok := obj["Version"]; ok {
		if _, isStr := v.(string); !isStr {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Version' must be a STRING", "/Version")
		}
	}
	sm.timeoutSeconds = d.integer(obj, "", "TimeoutSeconds", 1, math.MaxInt32)
	d.lang = d.queryLanguage(obj, "", QueryLanguageJSONPath)
	sm.root = d.graph(obj, "")
	if sm.root != nil && len(d.problems) == 0 {
		d.terminal(sm.root, "")
	}
	if len(d.problems) > 0 {
		return nil, &DefinitionError{Problems: d.problems}
	}
	return sm, nil
}

// decoder walks the generic definition and collects problems.
type decoder struct {
	problems []Problem
	order    map[string][]string // each object's keys in definition order, by location
	varNames map[string]bool     // every name an Assign sets
	lang     string              // the query language states inherit
}

func (d *decoder) problem(code, msg, loc string) {
	if loc == "" {
		loc = "/"
	}
	d.problems = append(d.problems, Problem{Code: code, Message: msg, Location: loc})
}

// keyOrders indexes the definition's objects by the location the decoder
// gives them ("/States/A/Parameters", "…/Branches[0]"), so that templates
// and literals keep the definition's key order, as AWS's outputs do.
func keyOrders(definition []byte) map[string][]string {
	doc, err := value.Decode(definition)
	if err != nil {
		return nil
	}
	out := map[string][]string{}
	var walk func(v any, loc string)
	walk = func(v any, loc string) {
		switch x := v.(type) {
		case *value.Object:
			out[loc] = x.Keys()
			for _, k := range x.Keys() {
				e, _ := x.Get(k)
				walk(e, loc+"/"+k)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", loc, i))
			}
		}
	}
	walk(doc, "")
	return out
}

// keysOf returns obj's keys in definition order when loc names it, sorted
// otherwise.
func (d *decoder) keysOf(obj map[string]any, loc string) []string {
	if keys, ok := d.order[loc]; ok && len(keys) == len(obj) {
		match := true
		for _, k := range keys {
			if _, in := obj[k]; !in {
				match = false
				break
			}
		}
		if match {
			return keys
		}
	}
	return sortedKeys(obj)
}

// ordered converts a literal from the definition to the engine's values,
// objects in definition order.
func (d *decoder) ordered(v any, loc string) any {
	switch x := v.(type) {
	case map[string]any:
		keys := d.keysOf(x, loc)
		o := value.NewObject(len(keys))
		for _, k := range keys {
			o.Set(k, d.ordered(x[k], loc+"/"+k))
		}
		return o
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = d.ordered(e, fmt.Sprintf("%s[%d]", loc, i))
		}
		return a
	}
	return v
}

// fields reports missing required fields and fields the type does not allow.
func (d *decoder) fields(obj map[string]any, loc string, required, optional []string) {
	var missing []string
	for _, f := range required {
		if _, ok := obj[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		d.problem(CodeSchemaValidationFailed, "These fields are required: ["+strings.Join(missing, ", ")+"]", loc)
	}
	for _, k := range sortedKeys(obj) {
		if slices.Contains(required, k) || slices.Contains(optional, k) {
			continue
		}
		switch k {
		case "Output", "Arguments", "Items", "Condition":
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The field \"%s\" is supported only in JSONata states (QueryLanguage \"JSONata\")", k), loc+"/"+k)
		case "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result", "ItemsPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "MaxConcurrencyPath", "ErrorPath", "CausePath", "Iterator", "Variable":
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The field \"%s\" is supported only in JSONPath states; a JSONata state uses Arguments, Output and {%% %%} expressions", k), loc+"/"+k)
		case "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath", "Label":
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The field \"%s\" belongs to a Distributed Map, which this engine does not run", k), loc+"/"+k)
		default:
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The field \"%s\" is not supported by Step Functions", k), loc+"/"+k)
		}
	}
}

// queryLanguage reads an optional QueryLanguage; inherited when absent.
func (d *decoder) queryLanguage(obj map[string]any, loc, inherited string) string {
	v, ok := obj["QueryLanguage"]
	if !ok {
		return inherited
	}
	switch v {
	case QueryLanguageJSONPath, QueryLanguageJSONata:
		return v.(string)
	}
	d.problem(CodeSchemaValidationFailed, "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]", loc+"/QueryLanguage")
	return inherited
}

func (d *decoder) str(obj map[string]any, loc, key string, nonEmpty bool) string {
	v, ok := obj[key]
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr || (nonEmpty && s == "") {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a STRING", key), loc+"/"+key)
		return ""
	}
	return s
}

// integer reads an optional integer field within [lo, hi]; 0 when absent.
func (d *decoder) integer(obj map[string]any, loc, key string, lo, hi int64) int64 {
	v, ok := obj[key]
	if !ok {
		return 0
	}
	n, isNum := v.(json.Number)
	i, err := n.Int64()
	if !isNum || err != nil || i < lo || i > hi {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be an INTEGER between %d and %d", key, lo, hi), loc+"/"+key)
		return 0
	}
	return i
}

// ataField compiles a JSONata state's field given as "{% … %}"; ok false
// when the field is absent or not an expression (then it is read as a
// literal by the caller).
func (d *decoder) ataField(st *state, obj map[string]any, loc, key string) (*ataValue, bool) {
	if st.lang != QueryLanguageJSONata {
		return nil, false
	}
	s, isStr := obj[key].(string)
	if !isStr || !jsonata.IsExpression(s) {
		return nil, false
	}
	return d.compileATA(s, loc+"/"+key), true
}

func (d *decoder) boolean(obj map[string]any, loc, key string) bool {
	v, ok := obj[key]
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a BOOLEAN", key), loc+"/"+key)
	}
	return b
}

// pathField reads an optional path field. null is allowed where AWS gives it
// a meaning (InputPath, OutputPath, ResultPath).
func (d *decoder) pathField(obj map[string]any, loc, key string, reference, nullable bool) (p *path, isNull bool) {
	v, ok := obj[key]
	if !ok {
		return nil, false
	}
	if v == nil && nullable {
		return nil, true
	}
	s, isStr := v.(string)
	kind := "JSONPath"
	if reference {
		kind = "ReferencePath"
	}
	if !isStr {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid %s", key, kind), loc+"/"+key)
		return nil, false
	}
	p, err := parsePath(s, reference)
	if err != nil {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid %s", key, kind), loc+"/"+key)
		return nil, false
	}
	return p, false
}

// notVariable refuses a variable as ResultPath: it names where the result
// goes in the state's output, and variables are set only by Assign.
func (d *decoder) notVariable(p *path, loc string) {
	if p != nil && p.variable != "" {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'ResultPath' must be a valid ReferencePath into the state's input, not a variable", loc)
	}
}

func (d *decoder) graph(obj map[string]any, loc string) *graph {
	g := &graph{states: map[string]*state{}}
	g.startAt = d.str(obj, loc, "StartAt", true)
	statesVal, ok := obj["States"]
	if !ok {
		return nil
	}
	states, isObj := statesVal.(map[string]any)
	if !isObj {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'States' must be an OBJECT", loc+"/States")
		return nil
	}
	if len(states) == 0 {
		d.problem(CodeSchemaValidationFailed, "The field 'States' must contain at least one state", loc+"/States")
		return nil
	}
	names := sortedKeys(states)
	for _, name := range names {
		sloc := loc + "/States/" + name
		if len(name) > 80 {
			d.problem(CodeSchemaValidationFailed, "State names must be at most 80 characters long", sloc)
		}
		so, isObj := states[name].(map[string]any)
		if !isObj {
			d.problem(CodeSchemaValidationFailed, "A state must be an OBJECT", sloc)
			continue
		}
		if st := d.state(name, so, sloc); st != nil {
			g.states[name] = st
		}
	}
	if g.startAt != "" {
		if _, ok := states[g.startAt]; !ok {
			d.problem(CodeMissingTransitionTarget, "Missing 'Next' target: "+g.startAt, loc+"/StartAt")
		}
	}
	d.transitions(g, states, loc)
	return g
}

// transitions checks that every target exists within the graph and that
// every state is reachable from StartAt.
func (d *decoder) transitions(g *graph, raw map[string]any, loc string) {
	target := func(name, field, at string) {
		if name == "" {
			return
		}
		if _, ok := raw[name]; !ok {
			d.problem(CodeMissingTransitionTarget, "Missing '"+field+"' target: "+name, at)
		}
	}
	for _, name := range sortedKeys(g.states) {
		st := g.states[name]
		sloc := loc + "/States/" + name
		target(st.next, "Next", sloc+"/Next")
		if ck, ok := st.kind.(*choiceKind); ok {
			target(ck.defaultNext, "Default", sloc+"/Default")
			for i, c := range ck.choices {
				target(c.next, "Next", fmt.Sprintf("%s/Choices[%d]/Next", sloc, i))
			}
		}
		for i, c := range st.catch {
			target(c.next, "Next", fmt.Sprintf("%s/Catch[%d]/Next", sloc, i))
		}
	}
	if _, ok := g.states[g.startAt]; !ok {
		return
	}
	seen := map[string]bool{g.startAt: true}
	queue := []string{g.startAt}
	for len(queue) > 0 {
		st := g.states[queue[0]]
		queue = queue[1:]
		if st == nil {
			continue
		}
		visit := func(n string) {
			if n != "" && !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
		visit(st.next)
		for _, n := range st.kind.targets() {
			visit(n)
		}
		for _, c := range st.catch {
			visit(c.next)
		}
	}
	for _, name := range sortedKeys(raw) {
		if !seen[name] {
			d.problem(CodeMissingTransitionTarget, fmt.Sprintf("State \"%s\" is not reachable.", name), loc+"/States/"+name)
		}
	}
}

// terminal checks that a graph can end: at least one state ends it.
func (d *decoder) terminal(g *graph, loc string) {
	for _, st := range g.states {
		if st.end || st.typ == typeSucceed || st.typ == typeFail {
			return
		}
	}
	d.problem(CodeSchemaValidationFailed, "No terminal state found in machine", loc+"/States")
}

var commonFields = []string{"Comment", "QueryLanguage"}

func (d *decoder) state(name string, obj map[string]any, loc string) *state {
	typ, ok := obj["Type"].(string)
	if !ok {
		if _, present := obj["Type"]; !present {
			d.problem(CodeSchemaValidationFailed, "These fields are required: [Type]", loc)
		} else {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Type' must be a STRING", loc+"/Type")
		}
		return nil
	}
	st := &state{name: name, typ: typ, kind: newKind(typ), lang: d.queryLanguage(obj, loc, d.lang)}
	ata := st.lang == QueryLanguageJSONata
	// Nested states (Parallel branches, a Map's processor) inherit it.
	outer := d.lang
	d.lang = st.lang
	defer func() { d.lang = outer }()
	if st.kind == nil {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map], not \"%s\"", typ), loc+"/Type")
		return nil
	}
	required, optional := st.kind.fields(fieldSetsFor(st.lang))
	d.fields(obj, loc, concat([]string{"Type"}, required), concat(commonFields, optional))

	if slices.Contains(optional, "End") {
		st.next = d.str(obj, loc, "Next", true)
		st.end = d.boolean(obj, loc, "End")
		_, hasNext := obj["Next"]
		switch {
		case hasNext && st.end:
			d.problem(CodeSchemaValidationFailed, "Only one of 'Next' or 'End' may be set", loc)
		case !hasNext && !st.end:
			d.problem(CodeSchemaValidationFailed, "Exactly one of 'Next' or 'End: true' must be set", loc)
		}
	}
	st.assign = d.assign(obj, loc, st.lang)
	if ata {
		st.flow = jsonataFlow{}
		if v, ok := obj["Arguments"]; ok {
			st.arguments = d.compileATA(v, loc+"/Arguments")
		}
		if v, ok := obj["Output"]; ok {
			st.outputTmpl = d.compileATA(v, loc+"/Output")
		}
	} else {
		st.flow = jsonPathFlow{}
	}
	st.inputPath, st.inputPathNull = d.pathField(obj, loc, "InputPath", false, true)
	st.outputPath, st.outputPathNull = d.pathField(obj, loc, "OutputPath", false, true)
	st.resultPath, st.resultPathNull = d.pathField(obj, loc, "ResultPath", true, true)
	d.notVariable(st.resultPath, loc+"/ResultPath")
	if v, ok := obj["Parameters"]; ok {
		st.parameters = d.payload(v, loc, "Parameters")
	}
	if v, ok := obj["ResultSelector"]; ok {
		st.resultSelector = d.payload(v, loc, "ResultSelector")
	}
	st.kind.decode(d, st, obj, loc)
	return st
}

// payload compiles a Parameters-like template, which must be an object.
func (d *decoder) payload(v any, loc, key string) *template {
	if _, ok := v.(map[string]any); !ok && key != "Parameters" {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be an OBJECT", key), loc+"/"+key)
		return nil
	}
	return compileTemplate(v, loc+"/"+key, d)
}

func (d *decoder) task(st *state, k *taskKind, obj map[string]any, loc string) {
	k.resource = d.str(obj, loc, "Resource", true)
	if k.resource != "" && !strings.HasPrefix(k.resource, "arn:") {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'Resource' must be a valid ARN", loc+"/Resource")
	}
	_, hasT := obj["TimeoutSeconds"]
	_, hasTP := obj["TimeoutSecondsPath"]
	if hasT && hasTP {
		d.problem(CodeSchemaValidationFailed, "Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' may be set", loc)
	}
	if x, ok := d.ataField(st, obj, loc, "TimeoutSeconds"); ok {
		k.timeoutATA, hasT = x, false
	} else {
		k.timeoutSeconds = d.integer(obj, loc, "TimeoutSeconds", 1, defaultTaskTimeoutSeconds)
	}
	if k.timeoutSeconds == 0 {
		k.timeoutSeconds = defaultTaskTimeoutSeconds
	}
	k.timeoutSecondsPath, _ = d.pathField(obj, loc, "TimeoutSecondsPath", true, false)
	_, hasH := obj["HeartbeatSeconds"]
	_, hasHP := obj["HeartbeatSecondsPath"]
	if hasH && hasHP {
		d.problem(CodeSchemaValidationFailed, "Only one of 'HeartbeatSeconds' or 'HeartbeatSecondsPath' may be set", loc)
	}
	if _, ok := d.ataField(st, obj, loc, "HeartbeatSeconds"); !ok {
		// An expression is accepted; without heartbeats it has no effect.
		k.heartbeatSeconds = d.integer(obj, loc, "HeartbeatSeconds", 1, defaultTaskTimeoutSeconds)
	}
	d.pathField(obj, loc, "HeartbeatSecondsPath", true, false)
	if hasT && k.heartbeatSeconds >= k.timeoutSeconds && k.heartbeatSeconds > 0 {
		d.problem(CodeSchemaValidationFailed, "'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'", loc+"/HeartbeatSeconds")
	}
	d.errorHandling(st, obj, loc)
}

func (d *decoder) errorHandling(st *state, obj map[string]any, loc string) {
	if v, ok := obj["Retry"]; ok {
		arr, isArr := v.([]any)
		if !isArr {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Retry' must be an ARRAY", loc+"/Retry")
		}
		for i, e := range arr {
			rloc := fmt.Sprintf("%s/Retry[%d]", loc, i)
			ro, isObj := e.(map[string]any)
			if !isObj {
				d.problem(CodeSchemaValidationFailed, "A Retrier must be an OBJECT", rloc)
				continue
			}
			d.fields(ro, rloc, []string{"ErrorEquals"}, []string{"IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"})
			r := &retrier{intervalSeconds: 1, maxAttempts: 3, backoffRate: 2}
			r.errorEquals = d.errorEquals(ro, rloc, i == len(arr)-1)
			if _, ok := ro["IntervalSeconds"]; ok {
				r.intervalSeconds = d.integer(ro, rloc, "IntervalSeconds", 1, math.MaxInt32)
			}
			if _, ok := ro["MaxAttempts"]; ok {
				r.maxAttempts = d.integer(ro, rloc, "MaxAttempts", 0, math.MaxInt32)
			}
			if bv, ok := ro["BackoffRate"]; ok {
				n, isNum := bv.(json.Number)
				f, err := n.Float64()
				if !isNum || err != nil || f < 1 {
					d.problem(CodeSchemaValidationFailed, "The value for the field 'BackoffRate' must be a NUMBER greater than or equal to 1.0", rloc+"/BackoffRate")
				}
				r.backoffRate = f
			}
			r.maxDelaySeconds = d.integer(ro, rloc, "MaxDelaySeconds", 1, 31622400)
			switch js := d.str(ro, rloc, "JitterStrategy", false); js {
			case "", "NONE":
			case "FULL":
				r.jitterFull = true
			default:
				d.problem(CodeSchemaValidationFailed, "The value for the field 'JitterStrategy' must be one of [FULL, NONE]", rloc+"/JitterStrategy")
			}
			st.retry = append(st.retry, r)
		}
	}
	if v, ok := obj["Catch"]; ok {
		arr, isArr := v.([]any)
		if !isArr {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Catch' must be an ARRAY", loc+"/Catch")
		}
		for i, e := range arr {
			cloc := fmt.Sprintf("%s/Catch[%d]", loc, i)
			co, isObj := e.(map[string]any)
			if !isObj {
				d.problem(CodeSchemaValidationFailed, "A Catcher must be an OBJECT", cloc)
				continue
			}
			optional := []string{"ResultPath", "Assign", "Comment"}
			if st.lang == QueryLanguageJSONata {
				optional = []string{"Output", "Assign", "Comment"}
			}
			d.fields(co, cloc, []string{"ErrorEquals", "Next"}, optional)
			c := &catcher{errorEquals: d.errorEquals(co, cloc, i == len(arr)-1), next: d.str(co, cloc, "Next", true)}
			c.resultPath, c.resultPathNull = d.pathField(co, cloc, "ResultPath", true, true)
			d.notVariable(c.resultPath, cloc+"/ResultPath")
			c.assign = d.assign(co, cloc, st.lang)
			if v, ok := co["Output"]; ok && st.lang == QueryLanguageJSONata {
				c.output = d.compileATA(v, cloc+"/Output")
			}
			st.catch = append(st.catch, c)
		}
	}
}

func (d *decoder) errorEquals(obj map[string]any, loc string, last bool) []string {
	v, ok := obj["ErrorEquals"]
	if !ok {
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr || len(arr) == 0 {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'ErrorEquals' must be a non-empty ARRAY of STRINGs", loc+"/ErrorEquals")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'ErrorEquals' must be a non-empty ARRAY of STRINGs", loc+"/ErrorEquals")
			return nil
		}
		out = append(out, s)
	}
	if slices.Contains(out, ErrNameAll) {
		if len(out) != 1 {
			d.problem(CodeSchemaValidationFailed, "States.ALL must appear alone in 'ErrorEquals'", loc+"/ErrorEquals")
		}
		if !last {
			d.problem(CodeSchemaValidationFailed, "The Retrier or Catcher with States.ALL must be the last one", loc+"/ErrorEquals")
		}
	}
	return out
}

func (d *decoder) wait(st *state, k *waitKind, obj map[string]any, loc string) {
	n := 0
	for _, k := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if _, ok := obj[k]; ok {
			n++
		}
	}
	if n != 1 {
		d.problem(CodeSchemaValidationFailed, "Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' must be set", loc)
	}
	if x, ok := d.ataField(st, obj, loc, "Seconds"); ok {
		k.secondsATA = x
	} else if _, ok := obj["Seconds"]; ok {
		k.hasSeconds = true
		k.seconds = d.integer(obj, loc, "Seconds", 0, 31536000*1000)
	}
	k.secondsPath, _ = d.pathField(obj, loc, "SecondsPath", true, false)
	if x, ok := d.ataField(st, obj, loc, "Timestamp"); ok {
		k.stampATA = x
	} else if _, ok := obj["Timestamp"]; ok {
		s := d.str(obj, loc, "Timestamp", true)
		ts, ok := parseTimestamp(s)
		if !ok {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Timestamp' must be a valid ISO-8601 timestamp", loc+"/Timestamp")
		}
		k.timestamp, k.hasTimestamp = ts, true
	}
	k.timestampPath, _ = d.pathField(obj, loc, "TimestampPath", true, false)
}

func (d *decoder) fail(st *state, k *failKind, obj map[string]any, loc string) {
	for _, pair := range [][2]string{{"Error", "ErrorPath"}, {"Cause", "CausePath"}} {
		_, a := obj[pair[0]]
		_, b := obj[pair[1]]
		if a && b {
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("Only one of '%s' or '%s' may be set", pair[0], pair[1]), loc)
		}
	}
	if x, ok := d.ataField(st, obj, loc, "Error"); ok {
		k.errorATA = x
	} else {
		k.errorName = d.str(obj, loc, "Error", false)
	}
	if x, ok := d.ataField(st, obj, loc, "Cause"); ok {
		k.causeATA = x
	} else {
		k.cause = d.str(obj, loc, "Cause", false)
	}
	k.errorExpr = d.valueExpr(obj, loc, "ErrorPath")
	k.causeExpr = d.valueExpr(obj, loc, "CausePath")
}

func (d *decoder) valueExpr(obj map[string]any, loc, key string) *valueExpr {
	v, ok := obj[key]
	if !ok {
		return nil
	}
	s, isStr := v.(string)
	if !isStr {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid JSONPath or intrinsic function", key), loc+"/"+key)
		return nil
	}
	e := &valueExpr{raw: s}
	var err error
	if isIntrinsic(s) {
		e.call, err = parseIntrinsic(s)
	} else {
		e.path, err = parsePath(s, false)
	}
	if err != nil {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be a valid JSONPath or intrinsic function", key), loc+"/"+key)
		return nil
	}
	return e
}

func (d *decoder) parallel(st *state, k *parallelKind, obj map[string]any, loc string) {
	arr, ok := obj["Branches"].([]any)
	if !ok || len(arr) == 0 {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'Branches' must be a non-empty ARRAY", loc+"/Branches")
	}
	for i, b := range arr {
		bloc := fmt.Sprintf("%s/Branches[%d]", loc, i)
		g := d.subgraph(b, bloc)
		if g != nil {
			k.branches = append(k.branches, g)
		}
	}
	d.errorHandling(st, obj, loc)
}

func (d *decoder) subgraph(v any, loc string) *graph {
	bo, ok := v.(map[string]any)
	if !ok {
		d.problem(CodeSchemaValidationFailed, "The value must be an OBJECT with 'StartAt' and 'States'", loc)
		return nil
	}
	d.fields(bo, loc, []string{"StartAt", "States"}, []string{"Comment", "ProcessorConfig", "QueryLanguage"})
	outer := d.lang
	d.lang = d.queryLanguage(bo, loc, outer)
	defer func() { d.lang = outer }()
	if pc, ok := bo["ProcessorConfig"].(map[string]any); ok {
		if mode, _ := pc["Mode"].(string); mode == "DISTRIBUTED" {
			d.problem(CodeSchemaValidationFailed, "Distributed Map is not run by this engine; use Mode INLINE", loc+"/ProcessorConfig/Mode")
		}
	}
	before := len(d.problems)
	g := d.graph(bo, loc)
	if g != nil && len(d.problems) == before {
		d.terminal(g, loc)
	}
	return g
}

func (d *decoder) mapState(st *state, k *mapKind, obj map[string]any, loc string) {
	_, hasIt := obj["Iterator"]
	_, hasIP := obj["ItemProcessor"]
	switch {
	case hasIt && hasIP:
		d.problem(CodeSchemaValidationFailed, "Only one of 'ItemProcessor' or 'Iterator' may be set", loc)
	case hasIP:
		k.processor = d.subgraph(obj["ItemProcessor"], loc+"/ItemProcessor")
	case hasIt:
		k.processor = d.subgraph(obj["Iterator"], loc+"/Iterator")
	default:
		d.problem(CodeSchemaValidationFailed, "These fields are required: [ItemProcessor]", loc)
	}
	if st.lang == QueryLanguageJSONata {
		if v, ok := obj["Items"]; ok {
			if _, isArr := v.([]any); !isArr && !d.isExpression(v) {
				d.problem(CodeSchemaValidationFailed, "The value for the field 'Items' must be an ARRAY or a JSONata expression", loc+"/Items")
			}
			k.itemsATA = d.compileATA(v, loc+"/Items")
		}
		if v, ok := obj["ItemSelector"]; ok {
			k.itemSelATA = d.compileATA(v, loc+"/ItemSelector")
		}
		if x, ok := d.ataField(st, obj, loc, "MaxConcurrency"); ok {
			k.maxConcATA = x
		} else {
			k.maxConcurrency = d.integer(obj, loc, "MaxConcurrency", 0, math.MaxInt32)
		}
		d.errorHandling(st, obj, loc)
		return
	}
	if _, ok := obj["ItemSelector"]; ok {
		if _, ok := obj["Parameters"]; ok {
			d.problem(CodeSchemaValidationFailed, "Only one of 'ItemSelector' or 'Parameters' may be set", loc)
		}
		k.itemSelector = d.payload(obj["ItemSelector"], loc, "ItemSelector")
	} else if st.parameters != nil {
		// In a Map state the legacy Parameters field is the item selector.
		k.itemSelector, st.parameters = st.parameters, nil
	}
	k.itemsPath, _ = d.pathField(obj, loc, "ItemsPath", true, false)
	_, hasMC := obj["MaxConcurrency"]
	_, hasMCP := obj["MaxConcurrencyPath"]
	if hasMC && hasMCP {
		d.problem(CodeSchemaValidationFailed, "Only one of 'MaxConcurrency' or 'MaxConcurrencyPath' may be set", loc)
	}
	k.maxConcurrency = d.integer(obj, loc, "MaxConcurrency", 0, math.MaxInt32)
	k.maxConcurrencyPath, _ = d.pathField(obj, loc, "MaxConcurrencyPath", true, false)
	d.errorHandling(st, obj, loc)
}

func (d *decoder) isExpression(v any) bool {
	s, ok := v.(string)
	return ok && jsonata.IsExpression(s)
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
