package asl

import (
	"fmt"
	"testing"
)

// TestIntrinsicsInPayloads checks the engine's wiring of intrinsic calls:
// path arguments resolve against the input and the context object, and a
// failing call fails the state with States.IntrinsicFailure. The functions
// themselves are tested in package intrinsic.
func TestIntrinsicsInPayloads(t *testing.T) {
	pass := func(params string) string {
		return fmt.Sprintf(`{"StartAt":"S","States":{"S":{"Type":"Pass","Parameters":%s,"End":true}}}`, params)
	}
	tests := []struct {
		name, def, input, wantStatus, wantError, wantOutput string
	}{
		{"Format with input and context paths", pass(`{"msg.$":"States.Format('{} in {}', $.who, $$.State.Name)"}`), `{"who":"me"}`, StatusSucceeded, "", `{"msg":"me in S"}`},
		{"MathAdd increments a counter", pass(`{"attempt.$":"States.MathAdd($.attempt, 1)"}`), `{"attempt":2}`, StatusSucceeded, "", `{"attempt":3}`},
		{"failing call", pass(`{"x.$":"States.StringToJson($.s)"}`), `{"s":"{not json"}`, StatusFailed, ErrNameIntrinsicFailure, ""},
		{"missing path argument", pass(`{"x.$":"States.Format('{}', $.missing)"}`), `{}`, StatusFailed, ErrNameIntrinsicFailure, ""},
		{"Fail CausePath as intrinsic", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","CausePath":"States.Format('bad {}', $.id)"}}}`, `{"id":"i-1"}`, StatusFailed, "E", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRun(t, tt.def, tt.input, tt.wantStatus, tt.wantError, tt.wantOutput)
		})
	}
}

func TestIntrinsicSyntaxIsADefinitionError(t *testing.T) {
	_, err := Parse([]byte(`{"StartAt":"S","States":{"S":{"Type":"Pass","Parameters":{"x.$":"States.Nope($.a)"},"End":true}}}`))
	if err == nil {
		t.Fatal("Parse accepted an unknown intrinsic function")
	}
}
