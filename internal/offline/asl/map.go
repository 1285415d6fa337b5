package asl

import (
	"context"
	"math"
	"slices"
	"sync"
)

// maxInlineConcurrency bounds an inline Map's parallel iterations when
// MaxConcurrency is 0 ("as many as possible"); AWS documents 40.
const maxInlineConcurrency = 40

// mapKind runs its item processor once per item; its result is the
// iterations' outputs in item order.
type mapKind struct {
	processor *graph
	// items are ItemsPath (JSONPath) or Items (JSONata), or the effective
	// input when the state gives neither.
	items          *field
	itemSelector   *field // nil: each item is its iteration's input
	maxConcurrency *field // nil: as many as possible
	// distributed holds a Distributed Map's fields, which only TestState
	// parses (teststate.go); nil otherwise.
	distributed *distributedMap
}

func (*mapKind) fields(f fieldSets) (required, optional []string) {
	return nil, slices.Concat(f.transition, f.io, f.assign, []string{"ItemSelector", "ItemProcessor", "MaxConcurrency", "Retry", "Catch"},
		f.pick([]string{"ResultPath", "Parameters", "ResultSelector", "ItemsPath", "Iterator", "MaxConcurrencyPath"}, []string{"Items"}),
		f.distributedMapFields())
}

func (k *mapKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
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

	k.items = d.field(obj, loc, "Items", false, func(v any, at string) {
		if _, isArr := v.([]any); !isArr {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Items' must be an ARRAY or a JSONata expression", at)
		}
	})
	if k.items == nil {
		k.items = d.inputField("Items")
	}

	selector, hasSelector := obj["ItemSelector"]
	params, hasParams := obj["Parameters"] // JSONPath: ItemSelector's former name
	switch {
	case hasSelector && hasParams:
		d.problem(CodeSchemaValidationFailed, "Only one of 'ItemSelector' or 'Parameters' may be set", loc)
	case hasSelector && d.lang == QueryLanguageJSONata:
		k.itemSelector = d.template(selector, loc+"/ItemSelector", "ItemSelector")
	case hasSelector:
		k.itemSelector = d.objectTemplate(selector, loc, "ItemSelector")
	case hasParams:
		k.itemSelector = d.template(params, loc+"/Parameters", "Parameters")
	}

	k.maxConcurrency = d.field(obj, loc, "MaxConcurrency", false, func(any, string) {
		d.integer(obj, loc, "MaxConcurrency", 0, math.MaxInt32)
	})
	if d.distributed {
		k.distributed = d.distributedMap(obj, loc)
	}
	d.errorHandling(st, obj, loc)
}

// run runs the item processor once per item, at most maxConcurrency at a
// time, and returns the outputs in item order. The first iteration to fail
// fails the state and stops the others.
func (k *mapKind) run(ctx context.Context, t *thread, st *state, in any, e *env) (any, string, error) {
	items, err := k.itemsOf(in, e)
	if err != nil {
		return nil, "", err
	}
	limit := int64(0)
	if k.maxConcurrency != nil {
		if limit, err = k.maxConcurrency.integer(in, e, 0, "a non-negative integer"); err != nil {
			return nil, "", err
		}
	}
	e.inspect.maxConcurrency(limit)
	if limit == 0 || limit > maxInlineConcurrency {
		limit = maxInlineConcurrency
	}
	limit = min(limit, int64(len(items)))

	// Iteration inputs are built up front: an ItemSelector failure fails
	// the state before any iteration starts.
	inputs := items
	if k.itemSelector != nil {
		inputs = make([]any, len(items))
		for i, item := range items {
			ie := &env{ctx: e.ctx, exec: t.exec, stateName: st.name, enteredTime: e.enteredTime, retryCount: e.retryCount, mapItem: &mapItem{index: i, value: item}, vars: e.vars, stateInput: e.stateInput}
			if inputs[i], err = k.itemSelector.value(in, ie); err != nil {
				return nil, "", err
			}
		}
		e.record(stepAfterItemSelector, inputs)
	}
	if m := e.mocked(); m != nil {
		return k.mockedRun(st, in, items, inputs, e, m)
	}

	t.emit(HistoryEvent{Type: EventMapStateStarted, MapStateStartedEventDetails: &MapStateStartedEventDetails{Length: len(items)}})
	start := t.last
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]any, len(items))
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		next     = make(chan int)
	)
	for range limit {
		wg.Go(func() {
			for i := range next {
				it := &thread{exec: t.exec, last: start, vars: t.vars.child()}
				details := func() *MapIterationEventDetails { return &MapIterationEventDetails{Name: st.name, Index: i} }
				it.emit(HistoryEvent{Type: EventMapIterationStarted, MapIterationStartedEventDetails: details()})
				out, err := it.runGraph(mctx, k.processor, inputs[i])
				switch {
				case err == nil:
					results[i] = out
					it.emit(HistoryEvent{Type: EventMapIterationSucceeded, MapIterationSucceededEventDetails: details()})
				case mctx.Err() != nil:
					it.emit(HistoryEvent{Type: EventMapIterationAborted, MapIterationAbortedEventDetails: details()})
				default:
					it.emit(HistoryEvent{Type: EventMapIterationFailed, MapIterationFailedEventDetails: details()})
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range items {
		select {
		case next <- i:
		case <-mctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := t.joined(ctx, firstErr, EventMapStateAborted, EventMapStateFailed, EventMapStateSucceeded); err != nil {
		return nil, "", err
	}
	return results, st.next, nil
}

func (*mapKind) hasResult() bool       { return true }
func (*mapKind) targets() []string     { return nil }
func (k *mapKind) subgraphs() []*graph { return []*graph{k.processor} }
