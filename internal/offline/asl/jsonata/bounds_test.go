package jsonata

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestEvaluationBounds checks the bounds an evaluation runs within (the
// step and range budgets lowered, so that each case is quick).
func TestEvaluationBounds(t *testing.T) {
	defer func(steps, ranges int) { maxSteps, maxRangeOperatorItems = steps, ranges }(maxSteps, maxRangeOperatorItems)
	maxSteps, maxRangeOperatorItems = 100000, 100

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		expr string
		ctx  context.Context
		want string // a part of the error
	}{
		{"a function that calls itself twice per level", `($f := function($n){ $n = 0 ? 0 : $f($n-1) + $f($n-1) }; $f(30))`, context.Background(), "more than 100000 steps"},
		{"a range mapped over a range", `$count([1..60].([1..60]))`, context.Background(), "range operator has too many items"},
		{"one range within the budget", `$count([1..100])`, context.Background(), ""},
		{"a recursion without end", `($f := function($n){ $f($n+1) + 1 }; $f(0))`, context.Background(), "nests deeper than 10000 levels"},
		{"a cancelled context", `$count([1..50].($string($)))`, cancelled, context.Canceled.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := Compile(tt.expr, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = x.Eval(tt.ctx, func(string) (any, bool) { return nil, false })
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want one with %q", err, tt.want)
			}
			if tt.ctx.Err() != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want one wrapping context.Canceled", err)
			}
		})
	}

	if _, err := Compile(strings.Repeat("(", maxNesting+1)+"1"+strings.Repeat(")", maxNesting+1), nil); err == nil {
		t.Error("an expression nested deeper than maxNesting compiled")
	}
	if _, err := Compile(`'((((' & "]]]]" & `+strings.Repeat("(", 10)+"1"+strings.Repeat(")", 10), nil); err != nil {
		t.Errorf("brackets inside strings counted: %v", err)
	}
}
