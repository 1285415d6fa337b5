package asl

import (
	"errors"

	"github.com/stepgate/stepgate/internal/offline/asl/intrinsic"
)

// isIntrinsic, parseIntrinsic and intrinsicFailure are the engine's only
// links to the intrinsic package, which owns the States.* function grammar.
func isIntrinsic(s string) bool { return intrinsic.IsCall(s) }

func parseIntrinsic(s string) (evaluator, error) {
	call, err := intrinsic.Parse(s)
	if err != nil {
		return nil, err
	}
	return intrinsicCall{call}, nil
}

type intrinsicCall struct{ call *intrinsic.Call }

func (c intrinsicCall) Eval(resolve func(path string) (any, error)) (any, error) {
	return c.call.Eval(resolve)
}

// intrinsicFailure classifies an evaluation error: the engine's own failure
// from resolving a path argument is kept, an intrinsic rule violation keeps
// its name, anything else is States.IntrinsicFailure.
func intrinsicFailure(err error) error {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	var ie *intrinsic.Error
	if errors.As(err, &ie) {
		return &Failure{Name: ie.Name, Cause: ie.Message}
	}
	return &Failure{Name: ErrNameIntrinsicFailure, Cause: err.Error()}
}
