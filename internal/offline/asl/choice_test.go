package asl

import (
	"fmt"
	"testing"
)

// TestChoiceOperators evaluates one rule per case against a fixed input:
// the state goes to "Yes" when the rule holds and to the Default "No"
// otherwise.
func TestChoiceOperators(t *testing.T) {
	const input = `{"s":"abc","n":10,"f":1.5,"b":true,"z":null,"ts":"2024-01-02T03:04:05Z","ts2":"2024-01-02T03:04:06Z","big":12345678901234567891,"other":"abc","star":"a*b","back":"a\\b","arr":[1]}`
	tests := []struct {
		rule string
		want bool
	}{
		{`"Variable":"$.s","StringEquals":"abc"`, true},
		{`"Variable":"$.s","StringEquals":"abd"`, false},
		{`"Variable":"$.n","StringEquals":"10"`, false}, // type mismatch is false, not an error
		{`"Variable":"$.s","StringLessThan":"abd"`, true},
		{`"Variable":"$.s","StringGreaterThan":"abd"`, false},
		{`"Variable":"$.s","StringLessThanEquals":"abc"`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"abc"`, true},
		{`"Variable":"$.s","StringEqualsPath":"$.other"`, true},
		{`"Variable":"$.s","StringEqualsPath":"$.n"`, false},
		{`"Variable":"$.s","StringMatches":"a*"`, true},
		{`"Variable":"$.s","StringMatches":"*c"`, true},
		{`"Variable":"$.s","StringMatches":"*b*"`, true},
		{`"Variable":"$.s","StringMatches":"a*d"`, false},
		{`"Variable":"$.star","StringMatches":"a\\*b"`, true},
		{`"Variable":"$.s","StringMatches":"a\\*c"`, false},
		{`"Variable":"$.back","StringMatches":"a\\\\b"`, true},
		{`"Variable":"$.n","NumericEquals":10`, true},
		{`"Variable":"$.n","NumericEquals":10.0`, true},
		{`"Variable":"$.s","NumericEquals":10`, false},
		{`"Variable":"$.n","NumericLessThan":10.5`, true},
		{`"Variable":"$.n","NumericGreaterThan":9`, true},
		{`"Variable":"$.f","NumericLessThanEquals":1.5`, true},
		{`"Variable":"$.f","NumericGreaterThanEquals":1.6`, false},
		{`"Variable":"$.big","NumericGreaterThan":12345678901234567890`, true},
		{`"Variable":"$.n","NumericEqualsPath":"$.n"`, true},
		{`"Variable":"$.f","NumericLessThanPath":"$.n"`, true},
		{`"Variable":"$.b","BooleanEquals":true`, true},
		{`"Variable":"$.s","BooleanEquals":true`, false},
		{`"Variable":"$.b","BooleanEqualsPath":"$.b"`, true},
		{`"Variable":"$.ts","TimestampEquals":"2024-01-02T03:04:05Z"`, true},
		{`"Variable":"$.ts","TimestampEquals":"2024-01-02T04:04:05+01:00"`, true},
		{`"Variable":"$.ts","TimestampLessThan":"2024-01-02T03:04:06Z"`, true},
		{`"Variable":"$.ts","TimestampGreaterThan":"2024-01-02T03:04:06Z"`, false},
		{`"Variable":"$.ts","TimestampLessThanEqualsPath":"$.ts2"`, true},
		{`"Variable":"$.ts","TimestampGreaterThanEqualsPath":"$.ts2"`, false},
		{`"Variable":"$.s","TimestampEquals":"2024-01-02T03:04:05Z"`, false},
		{`"Variable":"$.z","IsNull":true`, true},
		{`"Variable":"$.s","IsNull":true`, false},
		{`"Variable":"$.s","IsPresent":true`, true},
		{`"Variable":"$.missing","IsPresent":true`, false},
		{`"Variable":"$.missing","IsPresent":false`, true},
		{`"Variable":"$.n","IsNumeric":true`, true},
		{`"Variable":"$.s","IsNumeric":false`, true},
		{`"Variable":"$.s","IsString":true`, true},
		{`"Variable":"$.b","IsBoolean":true`, true},
		{`"Variable":"$.ts","IsTimestamp":true`, true},
		{`"Variable":"$.s","IsTimestamp":true`, false},
		{`"And":[{"Variable":"$.n","NumericGreaterThan":1},{"Variable":"$.s","StringEquals":"abc"}]`, true},
		{`"And":[{"Variable":"$.n","NumericGreaterThan":1},{"Variable":"$.s","StringEquals":"x"}]`, false},
		{`"Or":[{"Variable":"$.n","NumericGreaterThan":100},{"Variable":"$.s","StringEquals":"abc"}]`, true},
		{`"Or":[{"Variable":"$.n","NumericGreaterThan":100},{"Variable":"$.s","StringEquals":"x"}]`, false},
		{`"Not":{"Variable":"$.s","StringEquals":"x"}`, true},
		{`"Not":{"Variable":"$.s","StringEquals":"abc"}`, false},
		{`"Variable":"$$.State.Name","StringEquals":"C"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{%s,"Next":"Yes"}],"Default":"No"},`+
				`"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`, tt.rule)
			res, _ := runMachine(t, def, input, nil)
			if res.Status != StatusSucceeded {
				t.Fatalf("status = %s (%s: %s)", res.Status, res.Error, res.Cause)
			}
			want := `"no"`
			if tt.want {
				want = `"yes"`
			}
			if string(res.Output) != want {
				t.Errorf("went %s, want %s", res.Output, want)
			}
		})
	}
}

func TestChoiceFailures(t *testing.T) {
	tests := []struct {
		name, choices, wantError string
	}{
		{"no rule matches and no Default", `"Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"E"}]`, ErrNameNoChoiceMatched},
		{"variable missing", `"Choices":[{"Variable":"$.missing","NumericEquals":1,"Next":"E"}],"Default":"E"`, ErrNameRuntime},
		{"comparison path missing", `"Choices":[{"Variable":"$.n","NumericEqualsPath":"$.missing","Next":"E"}],"Default":"E"`, ErrNameRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice",%s},"E":{"Type":"Succeed"}}}`, tt.choices)
			res, _ := runMachine(t, def, `{"n":2}`, nil)
			if res.Status != StatusFailed || res.Error != tt.wantError {
				t.Errorf("result = %s %s (%s), want FAILED %s", res.Status, res.Error, res.Cause, tt.wantError)
			}
		})
	}
}

func TestChoiceOutputPath(t *testing.T) {
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.in","OutputPath":"$.v","Choices":[{"Variable":"$.v","NumericEquals":1,"Next":"E"}]},"E":{"Type":"Succeed"}}}`
	res, _ := runMachine(t, def, `{"in":{"v":1}}`, nil)
	if string(res.Output) != "1" {
		t.Errorf("output = %s, want 1", res.Output)
	}
}
