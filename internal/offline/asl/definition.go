package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

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

// Query languages: each state has one, set on it or inherited from the
// machine or the enclosing state. It decides how the state's fields compile
// (decoder.field, decoder.template) and its data flow (dataflow).
const (
	QueryLanguageJSONPath = "JSONPath"
	QueryLanguageJSONata  = "JSONata"
)

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

// state is one parsed state: what every type of state shares. What only one
// type has lives in its kind (one file per kind: pass.go, task.go, …); how
// its input and output are processed lives in its flow, compiled by its
// query language (dataflow.go).
type state struct {
	name string
	typ  string
	kind stateKind
	next string
	end  bool
	flow dataflow

	retry []*retrier
	catch []*catcher
}

// stateKind is what one type of state owns: its own fields, how they are
// decoded and checked, and its work between the effective input and the
// result.
type stateKind interface {
	// fields are the fields the kind requires and allows besides Type,
	// Comment and QueryLanguage, in the state's query language.
	fields(f fieldSets) (required, optional []string)
	// decode reads the kind's own fields; problems go to d.
	decode(d *decoder, st *state, obj map[string]any, loc string)
	// run does the state's work on its effective input and returns its
	// result and where to go next (st.next unless the kind decides).
	run(ctx context.Context, t *thread, st *state, in any, e *env) (result any, next string, err error)
	// hasResult tells whether the state has a result distinct from its
	// effective input (ResultPath, $states.result).
	hasResult() bool
	// targets are the transitions the kind adds to Next (Choice rules).
	targets() []string
	// subgraphs are the graphs the kind runs (Parallel branches, a Map's
	// item processor).
	subgraphs() []*graph
}

// newKind returns the empty kind for a Type, or nil for an unknown one.
func newKind(typ string) stateKind {
	switch typ {
	case typePass:
		return &passKind{}
	case typeTask:
		return &taskKind{}
	case typeChoice:
		return &choiceKind{}
	case typeWait:
		return &waitKind{}
	case typeSucceed:
		return succeedKind{}
	case typeFail:
		return &failKind{}
	case typeParallel:
		return &parallelKind{}
	case typeMap:
		return &mapKind{}
	}
	return nil
}

// fieldSets are the field groups whose names depend on the query language.
type fieldSets struct {
	jsonata     bool
	distributed bool     // a Distributed Map's fields are allowed (decoder.distributed)
	transition  []string // Next, End
	io          []string // InputPath, OutputPath | Output
	withResult  []string // ResultPath, Parameters, ResultSelector | Arguments
	assign      []string
}

func fieldSetsFor(lang string) fieldSets {
	f := fieldSets{
		transition: []string{"Next", "End"},
		io:         []string{"InputPath", "OutputPath"},
		withResult: []string{"ResultPath", "Parameters", "ResultSelector"},
		assign:     []string{"Assign"},
	}
	if lang == QueryLanguageJSONata {
		f.jsonata = true
		f.io = []string{"Output"}
		f.withResult = []string{"Arguments"}
	}
	return f
}

// pick returns jsonPath or jsonata as the language asks.
func (f fieldSets) pick(jsonPath, jsonata []string) []string {
	if f.jsonata {
		return jsonata
	}
	return jsonPath
}

// Parse decodes and validates a definition. A definition Step Functions would
// refuse yields a *DefinitionError listing every problem found.
func Parse(definition []byte) (*StateMachine, error) {
	return parse(definition, &decoder{})
}

// parse decodes a definition with d, whose options (single, distributed)
// the caller has set.
func parse(definition []byte, d *decoder) (*StateMachine, error) {
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
	d.varNames, d.lang, d.order = map[string]bool{}, QueryLanguageJSONPath, keyOrders(definition)
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
	if sm.root != nil && len(d.problems) == 0 && !d.single {
		d.terminal(sm.root, "")
	}
	if len(d.problems) > 0 {
		return nil, &DefinitionError{Problems: d.problems}
	}
	return sm, nil
}

// find returns the state called name, in the machine's own states or, for
// a name they do not have, in a Parallel branch or a Map's item processor
// (state names are unique in a whole machine).
func (g *graph) find(name string) *state {
	if st, ok := g.states[name]; ok {
		return st
	}
	for _, st := range g.states {
		for _, sub := range st.kind.subgraphs() {
			if found := sub.find(name); found != nil {
				return found
			}
		}
	}
	return nil
}

// decoder walks the generic definition and collects problems.
type decoder struct {
	problems []Problem
	order    map[string][]string // each object's keys in definition order, by location
	varNames map[string]bool     // every name an Assign sets
	lang     string              // the query language of the state being decoded

	// single marks a definition of one state (TestState): its transitions
	// may name states the definition does not have.
	single bool
	// distributed accepts a Distributed Map's fields (TestState, which runs
	// a Map state only with a mock).
	distributed bool
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
	return slices.Sorted(maps.Keys(obj))
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
	for _, k := range slices.Sorted(maps.Keys(obj)) {
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
	for _, name := range slices.Sorted(maps.Keys(states)) {
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
		if name == "" || (d.single && loc == "") {
			return
		}
		if _, ok := raw[name]; !ok {
			d.problem(CodeMissingTransitionTarget, "Missing '"+field+"' target: "+name, at)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(g.states)) {
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
	for _, name := range slices.Sorted(maps.Keys(raw)) {
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

// state decodes one state: the fields every state has, its data flow in
// its query language, then its kind's own fields.
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
	st := &state{name: name, typ: typ, kind: newKind(typ)}
	if st.kind == nil {
		d.problem(CodeSchemaValidationFailed, "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]", loc+"/Type")
		return nil
	}
	// The state's language; nested states (Parallel branches, a Map's
	// processor) inherit it.
	outer := d.lang
	d.lang = d.queryLanguage(obj, loc, outer)
	defer func() { d.lang = outer }()
	sets := fieldSetsFor(d.lang)
	sets.distributed = d.distributed
	required, optional := st.kind.fields(sets)
	d.fields(obj, loc, slices.Concat([]string{"Type"}, required), slices.Concat(commonFields, optional))

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
	st.flow = d.flow(st, obj, loc)
	st.kind.decode(d, st, obj, loc)
	return st
}

// subgraph decodes a Parallel branch or a Map's item processor.
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
		if mode, _ := pc["Mode"].(string); mode == "DISTRIBUTED" && !d.distributed {
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
