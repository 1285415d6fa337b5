package asl

import "context"

// succeedKind ends its graph with its effective input.
type succeedKind struct{}

func (succeedKind) fields(f fieldSets) (required, optional []string) {
	return nil, f.io
}

func (succeedKind) decode(*decoder, *state, map[string]any, string) {}

func (succeedKind) run(_ context.Context, _ *thread, _ *state, in any, _ *env) (any, string, error) {
	return in, "", nil
}

func (succeedKind) hasResult() bool     { return false }
func (succeedKind) targets() []string   { return nil }
func (succeedKind) subgraphs() []*graph { return nil }
