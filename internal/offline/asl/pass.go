package asl

import (
	"context"
	"slices"
)

// passKind passes its effective input on, or its Result (JSONPath).
type passKind struct {
	result   any
	isResult bool // Result is set
}

func (*passKind) fields(f fieldSets) (required, optional []string) {
	return nil, slices.Concat(f.transition, f.io, f.assign, f.pick([]string{"ResultPath", "Parameters", "Result"}, nil))
}

func (k *passKind) decode(d *decoder, _ *state, obj map[string]any, loc string) {
	k.result, k.isResult = obj["Result"]
	k.result = d.ordered(k.result, loc+"/Result")
}

func (k *passKind) run(_ context.Context, _ *thread, st *state, in any, _ *env) (any, string, error) {
	if k.isResult {
		return k.result, st.next, nil
	}
	return in, st.next, nil
}

func (*passKind) hasResult() bool     { return true }
func (*passKind) targets() []string   { return nil }
func (*passKind) subgraphs() []*graph { return nil }
