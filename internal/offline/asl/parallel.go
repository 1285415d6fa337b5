package asl

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// parallelKind runs its branches on the same input; its result is their
// outputs in branch order.
type parallelKind struct {
	branches []*graph
}

func (*parallelKind) fields(f fieldSets) (required, optional []string) {
	return []string{"Branches"}, slices.Concat(f.transition, f.io, f.assign, f.withResult, []string{"Retry", "Catch"})
}

func (k *parallelKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	arr, ok := obj["Branches"].([]any)
	switch {
	case !ok:
		d.problem(CodeSchemaValidationFailed, "The value for the field 'Branches' must be a non-empty ARRAY", loc+"/Branches")
	case len(arr) == 0:
		// AWS's words (a TestState answer it recorded).
		d.problem(CodeSchemaValidationFailed, "Value cannot be empty", loc+"/Branches")
	}
	for i, b := range arr {
		if g := d.subgraph(b, fmt.Sprintf("%s/Branches[%d]", loc, i)); g != nil {
			k.branches = append(k.branches, g)
		}
	}
	d.errorHandling(st, obj, loc)
}

// run runs every branch on the same input. The first branch to fail fails
// the state with its own error, and the other branches are stopped.
func (k *parallelKind) run(ctx context.Context, t *thread, st *state, in any, e *env) (any, string, error) {
	if m := e.mocked(); m != nil {
		return m.result(st)
	}
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
		wg.Go(func() {
			bt := &thread{exec: t.exec, last: start, vars: t.vars.child()}
			out, err := bt.runGraph(bctx, g, in)
			if err != nil {
				once.Do(func() { firstErr = err; cancel() })
				return
			}
			results[i] = out
		})
	}
	wg.Wait()
	if err := t.joined(ctx, firstErr, EventParallelStateAborted, EventParallelStateFailed, EventParallelStateSucceeded); err != nil {
		return nil, "", err
	}
	return results, st.next, nil
}

// joined records how the threads a Parallel or Map state started ended,
// once they all have: aborted (the state's context is done), failed (with
// the first failure) or succeeded. The state's thread goes on after the
// last event any of them recorded.
func (t *thread) joined(ctx context.Context, firstErr error, aborted, failed, succeeded string) error {
	t.last = t.exec.lastEventID()
	switch {
	case ctx.Err() != nil:
		t.emit(HistoryEvent{Type: aborted})
		return ctx.Err()
	case firstErr != nil:
		t.emit(HistoryEvent{Type: failed})
		return firstErr
	}
	t.emit(HistoryEvent{Type: succeeded})
	return nil
}

func (*parallelKind) hasResult() bool       { return true }
func (*parallelKind) targets() []string     { return nil }
func (k *parallelKind) subgraphs() []*graph { return k.branches }
