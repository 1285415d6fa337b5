package asl

import (
	"context"
	"time"
)

// stateKind is what one type of state owns: its own fields, how they are
// decoded, and its work between the effective input and the result. The
// fields every state shares (name, transition, query language, retry and
// catch) stay on state; the query language's processing is state.flow.
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
	jsonata    bool
	transition []string // Next, End
	io         []string // InputPath, OutputPath | Output
	withResult []string // ResultPath, Parameters, ResultSelector | Arguments
	assign     []string
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

func (*passKind) fields(f fieldSets) (required, optional []string) {
	return nil, concat(f.transition, f.io, f.assign, f.pick([]string{"ResultPath", "Parameters", "Result"}, nil))
}

func (*taskKind) fields(f fieldSets) (required, optional []string) {
	return []string{"Resource"}, concat(f.transition, f.io, f.assign, f.withResult, []string{"TimeoutSeconds", "HeartbeatSeconds", "Retry", "Catch", "Credentials"},
		f.pick([]string{"TimeoutSecondsPath", "HeartbeatSecondsPath"}, nil))
}

func (*choiceKind) fields(f fieldSets) (required, optional []string) {
	return []string{"Choices"}, concat(f.io, f.assign, []string{"Default"})
}

func (*waitKind) fields(f fieldSets) (required, optional []string) {
	return nil, concat(f.transition, f.io, f.assign, []string{"Seconds", "Timestamp"}, f.pick([]string{"SecondsPath", "TimestampPath"}, nil))
}

func (succeedKind) fields(f fieldSets) (required, optional []string) {
	return nil, f.io
}

func (*failKind) fields(f fieldSets) (required, optional []string) {
	return nil, concat([]string{"Error", "Cause"}, f.pick([]string{"ErrorPath", "CausePath"}, nil))
}

func (*parallelKind) fields(f fieldSets) (required, optional []string) {
	return []string{"Branches"}, concat(f.transition, f.io, f.assign, f.withResult, []string{"Retry", "Catch"})
}

func (*mapKind) fields(f fieldSets) (required, optional []string) {
	return nil, concat(f.transition, f.io, f.assign, []string{"ItemSelector", "ItemProcessor", "MaxConcurrency", "Retry", "Catch"},
		f.pick([]string{"ResultPath", "Parameters", "ResultSelector", "ItemsPath", "Iterator", "MaxConcurrencyPath"}, []string{"Items"}))
}

// passKind: Result, or the effective input.
type passKind struct {
	result   any
	hasFixed bool // Result is set
}

func (k *passKind) decode(d *decoder, _ *state, obj map[string]any, loc string) {
	k.result, k.hasFixed = obj["Result"]
	k.result = d.ordered(k.result, loc+"/Result")
}

func (k *passKind) run(_ context.Context, _ *thread, st *state, in any, _ *env) (any, string, error) {
	if k.hasFixed {
		return k.result, st.next, nil
	}
	return in, st.next, nil
}

func (*passKind) hasResult() bool   { return true }
func (*passKind) targets() []string { return nil }

// taskKind: a resource called with the effective input.
type taskKind struct {
	resource           string
	timeoutSeconds     int64
	timeoutSecondsPath *path
	timeoutATA         *ataValue // JSONata TimeoutSeconds
	heartbeatSeconds   int64
}

func (k *taskKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	d.task(st, k, obj, loc)
}

func (k *taskKind) run(ctx context.Context, t *thread, st *state, in any, e *env) (any, string, error) {
	out, err := t.task(ctx, st, k, in, e)
	return out, st.next, err
}

func (*taskKind) hasResult() bool   { return true }
func (*taskKind) targets() []string { return nil }

// choiceKind: the first rule that holds picks the next state.
type choiceKind struct {
	choices     []*choiceRule
	defaultNext string
}

func (k *choiceKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	d.choice(st, k, obj, loc)
}

// run records the matched rule in e, whose Assign and Output replace the
// state's.
func (k *choiceKind) run(_ context.Context, _ *thread, _ *state, in any, e *env) (any, string, error) {
	rule, err := k.choose(in, e)
	if err != nil {
		return nil, "", err
	}
	if rule == nil {
		return in, k.defaultNext, nil
	}
	e.matched = rule
	return in, rule.next, nil
}

func (*choiceKind) hasResult() bool { return false }

func (k *choiceKind) targets() []string {
	out := []string{k.defaultNext}
	for _, c := range k.choices {
		out = append(out, c.next)
	}
	return out
}

// waitKind: a delay or a time to wait for.
type waitKind struct {
	seconds       int64
	hasSeconds    bool
	secondsPath   *path
	secondsATA    *ataValue
	timestamp     time.Time
	hasTimestamp  bool
	timestampPath *path
	stampATA      *ataValue
}

func (k *waitKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	d.wait(st, k, obj, loc)
}

func (k *waitKind) run(ctx context.Context, t *thread, st *state, in any, e *env) (any, string, error) {
	return in, st.next, t.wait(ctx, k, in, e)
}

func (*waitKind) hasResult() bool   { return false }
func (*waitKind) targets() []string { return nil }

// succeedKind ends its graph with its effective input.
type succeedKind struct{}

func (succeedKind) decode(*decoder, *state, map[string]any, string) {}

func (succeedKind) run(_ context.Context, _ *thread, _ *state, in any, _ *env) (any, string, error) {
	return in, "", nil
}

func (succeedKind) hasResult() bool   { return false }
func (succeedKind) targets() []string { return nil }

// failKind fails its graph with an error name and a cause.
type failKind struct {
	errorName string
	cause     string
	errorExpr *valueExpr
	causeExpr *valueExpr
	errorATA  *ataValue
	causeATA  *ataValue
}

func (k *failKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	d.fail(st, k, obj, loc)
}

func (k *failKind) run(_ context.Context, _ *thread, _ *state, raw any, e *env) (any, string, error) {
	return nil, "", k.failure(raw, e)
}

func (*failKind) hasResult() bool   { return false }
func (*failKind) targets() []string { return nil }

// parallelKind runs its branches on the same input.
type parallelKind struct {
	branches []*graph
}

func (k *parallelKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	d.parallel(st, k, obj, loc)
}

func (k *parallelKind) run(ctx context.Context, t *thread, st *state, in any, _ *env) (any, string, error) {
	out, err := t.parallel(ctx, k, in)
	return out, st.next, err
}

func (*parallelKind) hasResult() bool   { return true }
func (*parallelKind) targets() []string { return nil }

// mapKind runs its item processor once per item.
type mapKind struct {
	processor          *graph
	itemsPath          *path
	itemsATA           *ataValue
	itemSelector       *template
	itemSelATA         *ataValue
	maxConcurrency     int64
	maxConcurrencyPath *path
	maxConcATA         *ataValue
}

func (k *mapKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	d.mapState(st, k, obj, loc)
}

func (k *mapKind) run(ctx context.Context, t *thread, st *state, in any, e *env) (any, string, error) {
	out, err := t.mapState(ctx, st, k, in, e)
	return out, st.next, err
}

func (*mapKind) hasResult() bool   { return true }
func (*mapKind) targets() []string { return nil }
