package asl

import (
	"context"
	"encoding/json"
	"sync"
)

// maxInlineConcurrency bounds an inline Map's parallel iterations when
// MaxConcurrency is 0 ("as many as possible"); AWS documents 40.
const maxInlineConcurrency = 40

// parallel runs every branch on the same input and returns their outputs in
// branch order. The first branch to fail fails the state with its own error,
// and the other branches are stopped.
func (t *thread) parallel(ctx context.Context, k *parallelKind, in any) (any, error) {
	t.emit(HistoryEvent{Type: EventParallelStateStarted})
	start := t.last
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]any, len(k.branches))
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for i, g := range k.branches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bt := &thread{exec: t.exec, last: start, vars: t.vars.child()}
			out, err := bt.runGraph(bctx, g, in)
			if err != nil {
				once.Do(func() { firstErr = err; cancel() })
				return
			}
			results[i] = out
		}()
	}
	wg.Wait()
	t.last = t.exec.lastEventID()
	if ctx.Err() != nil {
		t.emit(HistoryEvent{Type: EventParallelStateAborted})
		return nil, ctx.Err()
	}
	if firstErr != nil {
		t.emit(HistoryEvent{Type: EventParallelStateFailed})
		return nil, firstErr
	}
	t.emit(HistoryEvent{Type: EventParallelStateSucceeded})
	return results, nil
}

// mapState runs the item processor once per item of ItemsPath (of the
// effective input) and returns the outputs in item order.
func (t *thread) mapState(ctx context.Context, st *state, k *mapKind, in any, e *env) (any, error) {
	itemsVal := in
	if k.itemsATA != nil {
		v, err := k.itemsATA.evalRequired(e)
		if err != nil {
			return nil, err
		}
		itemsVal = v
	} else if k.itemsPath != nil {
		v, ok := e.get(k.itemsPath, in)
		if !ok {
			return nil, failf(ErrNameRuntime, "Invalid path '%s' : No results for path: %s", k.itemsPath.raw, k.itemsPath.raw)
		}
		itemsVal = v
	}
	items, ok := itemsVal.([]any)
	if !ok {
		return nil, failf(ErrNameRuntime, "Map state input must be an array but was: %s", compactJSON(itemsVal))
	}
	limit := k.maxConcurrency
	if k.maxConcATA != nil {
		v, err := k.maxConcATA.evalRequired(e)
		if err != nil {
			return nil, err
		}
		n, isNum := v.(json.Number)
		l, nerr := n.Int64()
		if !isNum || nerr != nil || l < 0 {
			return nil, failf(ErrNameQueryEvaluationError, "The JSONata expression '%s' specified for the field 'MaxConcurrency' returned %s, not a non-negative integer.", k.maxConcATA.expr, compactJSON(v))
		}
		limit = l
	} else if k.maxConcurrencyPath != nil {
		v, ok := e.get(k.maxConcurrencyPath, in)
		n, isNum := v.(json.Number)
		l, err := n.Int64()
		if !ok || !isNum || err != nil || l < 0 {
			return nil, failf(ErrNameRuntime, "The MaxConcurrencyPath field refers to value that is not a non-negative integer: %s", k.maxConcurrencyPath.raw)
		}
		limit = l
	}
	if limit == 0 || limit > maxInlineConcurrency {
		limit = maxInlineConcurrency
	}
	if limit > int64(len(items)) {
		limit = int64(len(items))
	}

	// Iteration inputs are built up front: an ItemSelector failure fails
	// the state before any iteration starts.
	inputs := items
	if k.itemSelector != nil || k.itemSelATA != nil {
		inputs = make([]any, len(items))
		for i, item := range items {
			ie := &env{exec: t.exec, stateName: st.name, enteredTime: e.enteredTime, mapItem: &mapItem{index: i, value: item}, vars: e.vars, stateInput: e.stateInput}
			var v any
			var err error
			if k.itemSelATA != nil {
				v, err = k.itemSelATA.evalRequired(ie)
			} else {
				v, err = k.itemSelector.eval(in, ie)
			}
			if err != nil {
				return nil, err
			}
			inputs[i] = v
		}
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
		wg.Add(1)
		go func() {
			defer wg.Done()
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
		}()
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
	t.last = t.exec.lastEventID()
	if ctx.Err() != nil {
		t.emit(HistoryEvent{Type: EventMapStateAborted})
		return nil, ctx.Err()
	}
	if firstErr != nil {
		t.emit(HistoryEvent{Type: EventMapStateFailed})
		return nil, firstErr
	}
	t.emit(HistoryEvent{Type: EventMapStateSucceeded})
	return results, nil
}
