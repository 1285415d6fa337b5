package asl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Workflows written from the AWS documentation's JSONata and variables
// examples ("Transforming data with JSONata in Step Functions", "Passing
// data between states with variables").
func TestJSONataAndVariables(t *testing.T) {
	tests := []struct {
		name, def, input, status, err, output string
	}{
		{"Output expression", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"total":"{% $sum($states.input.items.price) %}","n":"{% $count($states.input.items) %}","fixed":1},"End":true}}}`,
			`{"items":[{"price":1.5},{"price":2}]}`, StatusSucceeded, "", `{"total":3.5,"n":2,"fixed":1}`},
		{"Pass without Output passes its input", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
			`{"a":1}`, StatusSucceeded, "", `{"a":1}`},
		{"Assign then read in a later state", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":"{% $states.input.v * 2 %}","name":"lit"},"Output":{},"Next":"B"},
			"B":{"Type":"Pass","Output":"{% {'x': $x, 'name': $name} %}","End":true}}}`,
			`{"v":21}`, StatusSucceeded, "", `{"x":42,"name":"lit"}`},
		{"Assign and Output see the old value", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},
			"B":{"Type":"Pass","Assign":{"x":"{% $x + 1 %}"},"Output":"{% $x %}","Next":"C"},
			"C":{"Type":"Pass","Output":"{% $x %}","End":true}}}`,
			`{}`, StatusSucceeded, "", `2`},
		{"Choice Condition", `{"QueryLanguage":"JSONata","StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Next":"Big","Output":"big"}],"Default":"Small"},
			"Big":{"Type":"Succeed"},"Small":{"Type":"Pass","Output":"small","End":true}}}`,
			`{"n":11}`, StatusSucceeded, "", `"big"`},
		{"Choice Default", `{"QueryLanguage":"JSONata","StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Next":"Big"}],"Default":"Small"},
			"Big":{"Type":"Succeed"},"Small":{"Type":"Pass","Output":"small","End":true}}}`,
			`{"n":1}`, StatusSucceeded, "", `"small"`},
		{"Condition not boolean", `{"QueryLanguage":"JSONata","StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n %}","Next":"Big"}]},"Big":{"Type":"Succeed"}}}`,
			`{"n":1}`, StatusFailed, ErrNameQueryEvaluationError, ""},
		{"Map Items and ItemSelector", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}",
			"ItemSelector":{"v":"{% $states.context.Map.Item.Value * 10 %}","i":"{% $states.context.Map.Item.Index %}"},
			"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.v + $states.input.i %}","End":true}}},"End":true}}}`,
			`{"xs":[1,2,3]}`, StatusSucceeded, "", `[10,21,32]`},
		{"inner states read outer variables, not the reverse", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"k":5},"Next":"M"},
			"M":{"Type":"Map","Items":[1,2],"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"inner":1},"Output":"{% $states.input * $k %}","End":true}}},"Next":"B"},
			"B":{"Type":"Pass","Output":"{% {'m': $states.input, 'inner': $exists($inner)} %}","End":true}}}`,
			`{}`, StatusSucceeded, "", `{"m":[5,10],"inner":false}`},
		{"Fail Error and Cause", `{"QueryLanguage":"JSONata","StartAt":"F","States":{"F":{"Type":"Fail","Error":"{% 'E.' & $states.input.code %}","Cause":"{% $string($states.input) %}"}}}`,
			`{"code":"X"}`, StatusFailed, "E.X", ""},
		{"Wait Seconds expression", `{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","End":true}}}`,
			`{"s":1}`, StatusSucceeded, "", `{"s":1}`},
		{"undefined Output fails", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.missing %}","End":true}}}`,
			`{}`, StatusFailed, ErrNameQueryEvaluationError, ""},
		{"runtime error", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% 1 + 'a' %}","End":true}}}`,
			`{}`, StatusFailed, ErrNameQueryEvaluationError, ""},
		{"AWS functions", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"p":"{% $partition([1,2,3,4,5], 2) %}","r":"{% $range(0, 10, 5) %}","h":"{% $hash('input data', 'SHA-1') %}","j":"{% $parse('{\"a\":[1]}') %}","u":"{% $length($uuid()) %}","x":"{% $random() < 1 %}"},"End":true}}}`,
			`{}`, StatusSucceeded, "", `{"p":[[1,2],[3,4],[5]],"r":[0,5,10],"h":"aaff4a450a104cd177d28d18d74485e8cae074b7","j":{"a":[1]},"u":36,"x":true}`},
		{"null kept", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"n":"{% $states.input.n %}"},"End":true}}}`,
			`{"n":null}`, StatusSucceeded, "", `{"n":null}`},
		{"JSONPath Assign from the result and $var paths", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Result":{"id":7},"ResultPath":"$.r","Assign":{"id.$":"$.id","const":"c"},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"id.$":"$id","c.$":"$const","both.$":"States.Format('{}-{}', $id, $const)"},"End":true}}}`,
			`{}`, StatusSucceeded, "", `{"id":7,"c":"c","both":"7-c"}`},
		{"JSONPath Choice on a variable", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"n":3},"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$n","NumericEquals":3,"Next":"Y","Assign":{"picked":"yes"}}],"Default":"N"},
			"Y":{"Type":"Pass","Parameters":{"p.$":"$picked"},"End":true},"N":{"Type":"Fail"}}}`,
			`{}`, StatusSucceeded, "", `{"p":"yes"}`},
		{"mixed languages per state", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Parameters":{"v.$":"$.v"},"Assign":{"seen.$":"$.v"},"Next":"B"},
			"B":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $states.input.v + $seen %}","End":true}}}`,
			`{"v":2}`, StatusSucceeded, "", `4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectRun(t, tc.def, tc.input, tc.status, tc.err, tc.output)
		})
	}
}

func TestJSONataTaskArgumentsResultAndCatch(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	inv := fakeInvoker{fn: func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		if strings.Contains(string(in), "fail") {
			return nil, &Failure{Name: "Custom", Cause: "bad"}
		}
		return json.RawMessage(`{"echo":` + string(in) + `}`), nil
	}}
	def := `{"QueryLanguage":"JSONata","StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + fn + `","Arguments":{"x":"{% $states.input.x %}"},
		     "Output":{"got":"{% $states.result.echo.x %}","in":"{% $states.input.x %}"},"Assign":{"last":"{% $states.result.echo %}"},
		     "Catch":[{"ErrorEquals":["States.ALL"],"Output":"{% $states.errorOutput %}","Assign":{"err":"{% $states.errorOutput.Error %}"},"Next":"C"}],"End":true},
		"C":{"Type":"Pass","Output":"{% {'caught': $states.input, 'err': $err} %}","End":true}}}`
	res, hist := runMachine(t, def, `{"x":"ok"}`, inv)
	if res.Status != StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	jsonEqual(t, res.Output, `{"got":"ok","in":"ok"}`)
	var exited *StateExitedEventDetails
	for _, ev := range hist {
		if ev.Type == "TaskStateExited" {
			exited = ev.StateExitedEventDetails
		}
	}
	if exited == nil || exited.AssignedVariables["last"] != `{"x":"ok"}` || exited.AssignedVariablesDetails == nil {
		t.Fatalf("TaskStateExited details = %+v, want assignedVariables last={\"x\":\"ok\"}", exited)
	}
	b, _ := json.Marshal(exited)
	if !strings.Contains(string(b), `"assignedVariables":{"last":"{\"x\":\"ok\"}"},"assignedVariablesDetails":{"truncated":false}`) {
		t.Errorf("wire shape = %s", b)
	}

	res, _ = runMachine(t, def, `{"x":"fail"}`, inv)
	if res.Status != StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	jsonEqual(t, res.Output, `{"caught":{"Error":"Custom","Cause":"bad"},"err":"Custom"}`)
}

func TestVariableSizeLimit(t *testing.T) {
	big := strings.Repeat("x", maxVariableBytes)
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":"` + big + `"},"End":true}}}`
	expectRun(t, def, `{}`, StatusFailed, ErrNameRuntime, "")
}

func TestVariablesInJSONPathReadPaths(t *testing.T) {
	def := `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"xs":[1,2],"wait":0},"Next":"W"},
		"W":{"Type":"Wait","SecondsPath":"$wait","Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$xs","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	expectRun(t, def, `{}`, StatusSucceeded, "", `[1,2]`)
	if _, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$v","End":true}}}`)); err == nil || !strings.Contains(err.Error(), "not a variable") {
		t.Errorf("ResultPath $v: Parse error = %v, want a refusal", err)
	}
}

// Which value Assign reads, and when a Choice state's own Assign applies,
// as LocalStack's AWS-validated snapshots record it.
func TestAssignSources(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	inv := fakeInvoker{fn: func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"raw":1,"nested":{"v":2}}`), nil
	}}
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + fn + `","ResultSelector":{"sel.$":"$.nested.v"},"Assign":{"fromRaw.$":"$.raw"},"ResultPath":"$.r","Next":"C"},
		"C":{"Type":"Choice","Assign":{"viaDefault":true},"Choices":[{"Variable":"$.r.sel","NumericEquals":2,"Next":"D","Assign":{"rule":"matched"}}],"Default":"D"},
		"D":{"Type":"Pass","Parameters":{"fromRaw.$":"$fromRaw","rule.$":"$rule","r.$":"$.r"},"End":true}}}`
	res, _ := runMachine(t, def, `{}`, inv)
	if res.Status != StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	jsonEqual(t, res.Output, `{"fromRaw":1,"rule":"matched","r":{"sel":2}}`)
	// viaDefault was not assigned: the rule matched.
	def2 := strings.Replace(def, `"fromRaw.$":"$fromRaw",`, `"d.$":"$viaDefault",`, 1)
	res, _ = runMachine(t, def2, `{}`, inv)
	if res.Status != StatusFailed || res.Error != ErrNameParameterPathFailure {
		t.Errorf("reading $viaDefault after a matched rule = %s %s, want %s", res.Status, res.Error, ErrNameParameterPathFailure)
	}
}

func TestJSONataFailuresAsAWSRecordsThem(t *testing.T) {
	res, hist := runMachine(t, `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.missing %}","End":true}}}`, `{}`, nil)
	// AWS's recorded wording names the field, and the EvaluationFailed event its location
	// (localstack tests/aws/services/stepfunctions/v2/assign/test_assign_reference_variables.snapshot.json,
	// test_undefined_reference[BASE_UNDEFINED_OUTPUT]).
	wantCause := "An error occurred while executing the state 'A' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined)."
	if res.Status != StatusFailed || res.Error != ErrNameQueryEvaluationError || res.Cause != wantCause {
		t.Fatalf("result = %s %s %q, want cause %q", res.Status, res.Error, res.Cause, wantCause)
	}
	var ev *EvaluationFailedEventDetails
	for _, h := range hist {
		if h.Type == EventEvaluationFailed {
			ev = h.EvaluationFailedEventDetails
		}
	}
	if ev == nil || ev.State != "A" || ev.Cause != wantCause || ev.Location != "Output" {
		t.Errorf("EvaluationFailed details = %+v", ev)
	}

	expectRun(t, `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% function($x){$x} %}","End":true}}}`, `{}`, StatusFailed, ErrNameQueryEvaluationError, "")
	// "$eval is not available—use $parse instead" (Transforming data with JSONata in Step
	// Functions, "Supported JSONata version").
	expectRun(t, `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $eval('1 + 2') %}","End":true}}}`, `{}`, StatusFailed, ErrNameQueryEvaluationError, "")

	// An iteration may read but not rebind an outer variable.
	expectRun(t, `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"k":1},"Next":"M"},
		"M":{"Type":"Map","Items":[1],"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"k":2},"End":true}}},"End":true}}}`, `{}`, StatusFailed, ErrNameRuntime, "")
}
