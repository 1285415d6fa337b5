package asl

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, def, want string
	}{
		{"not JSON", `{`, "INVALID_JSON_DESCRIPTION"},
		{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, "SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /"},
		{"StartAt target missing", `{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}`, "MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt"},
		{"Next target missing and unreachable state (AWS example)", `{"StartAt":"pass1","States":{"pass1":{"Type":"Pass","Next":"pass3"},"pass2":{"Type":"Pass","End":true}}}`,
			`Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2'`},
		{"unknown field", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Foo":1}}}`, `The field "Foo" is not supported by Step Functions at /States/A/Foo`},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Nope"}}}`, "at /States/A/Type"},
		{"Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, "Only one of 'Next' or 'End' may be set at /States/A"},
		{"neither Next nor End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "at /States/A"},
		{"Task without Resource", `{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}`, "These fields are required: [Resource] at /States/A"},
		{"Succeed with Next", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}}`, `The field "Next" is not supported by Step Functions at /States/A/Next`},
		{"bad InputPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a.b","End":true}}}`, "The value for the field 'InputPath' must be a valid JSONPath at /States/A/InputPath"},
		{"ResultPath not a reference path", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, "must be a valid ReferencePath at /States/A/ResultPath"},
		{"bad Parameters path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"nope"},"End":true}}}`, "at /States/A/Parameters/x.$"},
		{"Choice without Choices", `{"StartAt":"A","States":{"A":{"Type":"Choice","Default":"B"},"B":{"Type":"Succeed"}}}`, "These fields are required: [Choices] at /States/A"},
		{"Choice rule with two operators", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x","NumericEquals":1,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, "at /States/A/Choices[0]"},
		{"Choice rule without Next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x"}],"Default":"B"},"B":{"Type":"Succeed"}}}`, "These fields are required: [Next] at /States/A/Choices[0]"},
		{"nested rule with Next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","StringEquals":"x","Next":"B"},"Next":"B"}]},"B":{"Type":"Succeed"}}}`, `The field "Next" is not supported by Step Functions at /States/A/Choices[0]/Not/Next`},
		{"wrong operand type", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"1","Next":"B"}]},"B":{"Type":"Succeed"}}}`, "The value for the field 'NumericEquals' must be a NUMBER at /States/A/Choices[0]/NumericEquals"},
		{"Choice Default missing target", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"B"}],"Default":"Z"},"B":{"Type":"Succeed"}}}`, "Missing 'Default' target: Z at /States/A/Default"},
		{"States.ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.ALL","X"]}],"End":true}}}`, "States.ALL must appear alone in 'ErrorEquals' at /States/A/Retry[0]/ErrorEquals"},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"},{"ErrorEquals":["X"],"Next":"B"}],"End":true},"B":{"Type":"Succeed"}}}`, "must be the last one at /States/A/Catch[0]/ErrorEquals"},
		{"BackoffRate below 1", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}}}`, "at /States/A/Retry[0]/BackoffRate"},
		{"bad JitterStrategy", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}],"End":true}}}`, "at /States/A/Retry[0]/JitterStrategy"},
		{"Catch missing target", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["X"],"Next":"Z"}],"End":true}}}`, "Missing 'Next' target: Z at /States/A/Catch[0]/Next"},
		{"Wait with two durations", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, "at /States/A"},
		{"Wait bad Timestamp", `{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"tomorrow","End":true}}}`, "at /States/A/Timestamp"},
		{"Fail with Error and ErrorPath", `{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`, "Only one of 'Error' or 'ErrorPath' may be set at /States/A"},
		{"Parallel branch target outside", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","Next":"Done"}}}],"Next":"Done"},"Done":{"Type":"Succeed"}}}`, "Missing 'Next' target: Done at /States/P/Branches[0]/States/B1/Next"},
		{"Map without processor", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`, "These fields are required: [ItemProcessor] at /States/M"},
		{"JSONPath field in a JSONata state", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}`, `The field "InputPath" is supported only in JSONPath states`},
		{"JSONata field in a JSONPath state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":1},"End":true}}}`, `The field "Output" is supported only in JSONata states`},
		{"reserved variable", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"states":1},"End":true}}}`, `The variable name 'states' is reserved`},
		{"bad JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input. %}","End":true}}}`, `is not valid`},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`, "No terminal state found in machine at /States"},
		{"TimeoutSeconds and TimeoutSecondsPath", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":1,"TimeoutSecondsPath":"$.t","End":true}}}`, "at /States/A"},
		{"Resource not an ARN", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"fn","End":true}}}`, "at /States/A/Resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.def))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("Parse error = %v, want *DefinitionError", err)
			}
			if !strings.HasPrefix(err.Error(), "Invalid State Machine Definition: '") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, def string }{
		{"every state type", `{"Comment":"c","Version":"1.0","TimeoutSeconds":5,"StartAt":"P","States":{
			"P":{"Type":"Pass","Result":1,"ResultPath":"$.r","Next":"T"},
			"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"TimeoutSeconds":3,"HeartbeatSeconds":1,
				"Retry":[{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":2,"MaxAttempts":6,"BackoffRate":2,"MaxDelaySeconds":10,"JitterStrategy":"FULL"},{"ErrorEquals":["States.ALL"]}],
				"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"F"}],"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.a","IsPresent":true},{"Not":{"Variable":"$.a","StringMatches":"x*"}}],"Next":"W"}],"Default":"M"},
			"W":{"Type":"Wait","SecondsPath":"$.s","Next":"M"},
			"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value"},"MaxConcurrency":2,"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"Par"},
			"Par":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],"Next":"S"},
			"S":{"Type":"Succeed"},
			"F":{"Type":"Fail","ErrorPath":"$.error.Error","CausePath":"$.error.Cause"}}}`},
		{"legacy Iterator and Parameters", `{"StartAt":"M","States":{"M":{"Type":"Map","Parameters":{"i.$":"$$.Map.Item.Index"},"Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.def)); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}
