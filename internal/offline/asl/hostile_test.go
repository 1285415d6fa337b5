package asl

import (
	"strings"
	"testing"
)

// TestHostileWorkflows runs definitions and inputs written to exhaust the
// engine: each must end its execution with an error (or succeed), never
// overflow the Go stack or exhaust the memory, both of which end the process
// and, with it, `make local`. The evaluation budgets (steps, range items,
// context) are tested with lowered bounds in the jsonata package; a long
// evaluation stopped with its execution is in TestStopEndsEverything.
func TestHostileWorkflows(t *testing.T) {
	jsonata := func(expr string) string {
		return `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% ` + expr + ` %}","End":true}}}`
	}
	tests := []struct {
		name, def, input string
		wantStatus       string
		wantError        string
		wantCause        string // a part of the cause
	}{
		{"a JSONata function that recurses without end", jsonata(`($f := function($n){ $f($n+1) + 1 }; $f(0))`), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "nests deeper than 10000 levels"},
		{"a recursion through $map", jsonata(`($f := function($n){ $map([$n], function($v){ $f($v + 1) }) }; $f(0))`), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "nests deeper"},
		{"a recursion through a $sort comparator", jsonata(`($f := function($n){ $sort([1, 2], function($a, $b){ $f($n + 1) }) }; $f(0))`), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "nests deeper"},
		{"an expression of 100,000 additions", jsonata(`1` + strings.Repeat(`+1`, 100000)), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "nests deeper"},
		{"$range of a billion items", jsonata(`$range(0, 1000000000, 1)`), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "more than 1000 items"},
		{"a range operator of a hundred million items", jsonata(`$count([1..100000000])`), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "range operator has too many items"},
		{"a string doubled forty times", jsonata(`($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f('x', 40)))`), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "a string is longer than 16777216 bytes"},
		{"$pad to a billion characters", jsonata(`$length($pad('x', 1000000000))`), `{}`,
			StatusFailed, ErrNameQueryEvaluationError, "longer than 16777216 bytes"},
		{"an input nested 20,000 deep", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
			StatusFailed, ErrNameRuntime, "exceeded max depth"},
		{"Parameters nested 5,000 deep", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":` + strings.Repeat(`{"a":`, 5000) + `{"b.$":"$"}` + strings.Repeat("}", 5000) + `,"End":true}}}`, `{}`,
			StatusSucceeded, "", ""},
		{"a JSONPath of 100,000 steps", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"$` + strings.Repeat(".a", 100000) + `"},"End":true}}}`, `{}`,
			StatusFailed, ErrNameParameterPathFailure, ""},
		{"JSONPath filters nested 2,000 deep", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"$` + strings.Repeat("[?(@.a", 2000) + strings.Repeat(")]", 2000) + `"},"End":true}}}`, `{}`,
			StatusSucceeded, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runMachine(t, tt.def, tt.input, nil)
			if res.Status != tt.wantStatus || res.Error != tt.wantError || !strings.Contains(res.Cause, tt.wantCause) {
				t.Errorf("result = %s %s %.300q, want %s %s with %q", res.Status, res.Error, res.Cause, tt.wantStatus, tt.wantError, tt.wantCause)
			}
		})
	}

	// An expression nested a hundred thousand brackets deep is refused with
	// the definition, before the library's recursive parser sees it.
	_, err := Parse([]byte(jsonata(strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000))))
	if err == nil || !strings.Contains(err.Error(), "nests 100000 brackets deep") {
		t.Errorf("Parse of a 100,000-deep expression: err = %.300v", err)
	}
}
