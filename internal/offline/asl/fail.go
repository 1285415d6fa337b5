package asl

import (
	"context"
	"slices"
)

// failKind fails its graph with an error name and a cause: literals, or in
// JSONPath ErrorPath and CausePath (a path or an intrinsic call), or in
// JSONata expressions.
type failKind struct {
	errorName, cause *field
}

func (*failKind) fields(f fieldSets) (required, optional []string) {
	return nil, slices.Concat([]string{"Error", "Cause"}, f.pick([]string{"ErrorPath", "CausePath"}, nil))
}

func (k *failKind) decode(d *decoder, _ *state, obj map[string]any, loc string) {
	literal := func(key string) func(any, string) {
		return func(any, string) { d.str(obj, loc, key, false) }
	}
	k.errorName = d.field(obj, loc, "Error", true, literal("Error"))
	k.cause = d.field(obj, loc, "Cause", true, literal("Cause"))
}

func (k *failKind) run(_ context.Context, _ *thread, _ *state, in any, e *env) (any, string, error) {
	f := &Failure{}
	var err error
	if k.errorName != nil {
		if f.Name, err = k.errorName.str(in, e); err != nil {
			return nil, "", err
		}
	}
	if k.cause != nil {
		if f.Cause, err = k.cause.str(in, e); err != nil {
			return nil, "", err
		}
	}
	return nil, "", f
}

func (*failKind) hasResult() bool     { return false }
func (*failKind) targets() []string   { return nil }
func (*failKind) subgraphs() []*graph { return nil }
