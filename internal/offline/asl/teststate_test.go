package asl

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseTestDefinition(t *testing.T) {
	tests := []struct {
		name       string
		definition string
		whole      bool
		wantErr    string // a part of the DefinitionError's message; "" for none
		wantType   string // the type of SingleStateName (one state) or of "S" (whole)
	}{
		{
			name:       "one state whose transitions name states that are not there",
			definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"f"},"QueryLanguage":"JSONata","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"Next":"After"}`,
			wantType:   "Task",
		},
		{
			name:       "a Choice state alone",
			definition: `{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"One"}],"Default":"Other"}`,
			wantType:   "Choice",
		},
		{
			name:       "a Distributed Map state alone",
			definition: `{"Type":"Map","ItemsPath":"$.xs","ToleratedFailureCount":1,"Label":"L","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket":"b","Key":"k"}},"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"}},"ItemBatcher":{"MaxItemsPerBatch":2},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`,
			wantType:   "Map",
		},
		{
			name:       "a state's problems are located under /States/StateName",
			definition: `{"Type":"Parallel","Branches":[],"End":true}`,
			wantErr:    "SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches",
		},
		{
			name:       "an unknown type, in AWS's words",
			definition: `{"Type":"Nope","End":true}`,
			wantErr:    "SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /States/StateName/Type",
		},
		{
			name:       "a state must be an object",
			definition: `[1]`,
			wantErr:    "INVALID_JSON_DESCRIPTION",
		},
		{
			name:       "a whole machine still needs its targets",
			definition: `{"StartAt":"S","States":{"S":{"Type":"Pass","Next":"Gone"}}}`,
			whole:      true,
			wantErr:    "MISSING_TRANSITION_TARGET",
		},
		{
			name:       "a whole machine with a Distributed Map",
			definition: `{"StartAt":"S","States":{"S":{"Type":"Map","ToleratedFailurePercentage":5,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			whole:      true,
			wantType:   "Map",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, err := ParseTestDefinition([]byte(tt.definition), tt.whole)
			if tt.wantErr != "" {
				var de *DefinitionError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a DefinitionError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			name := SingleStateName
			if tt.whole {
				name = "S"
			}
			if info, ok := sm.StateInfo(name); !ok || info.Type != tt.wantType {
				t.Errorf("StateInfo(%q) = %+v, %t; want type %s", name, info, ok, tt.wantType)
			}
		})
	}
	// Executions still refuse what only TestState accepts.
	if _, err := Parse([]byte(`{"StartAt":"S","States":{"S":{"Type":"Map","ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`)); err == nil {
		t.Error("Parse accepted a Distributed Map field")
	}
}

func TestStateInfo(t *testing.T) {
	sm, err := ParseTestDefinition([]byte(`{"StartAt":"P","States":{
		"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}],"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`), true)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := sm.StateInfo("P")
	if p.Type != "Parallel" || p.Branches != 2 || !slices.Equal(p.Inner, []string{"A", "M", "I"}) {
		t.Errorf("P = %+v", p)
	}
	if tk, _ := sm.StateInfo("T"); tk.Resource != "arn:aws:states:::sqs:sendMessage.waitForTaskToken" {
		t.Errorf("T = %+v", tk)
	}
	if _, ok := sm.StateInfo("Nope"); ok {
		t.Error("an unknown state was found")
	}
}

// TestRunStateMocks runs states whose work is mocked: the mock is the
// result of a Task (not unwrapped), of a Parallel state's branches, of a
// Map state's iterations, or their error; the rest of the state runs.
func TestRunStateMocks(t *testing.T) {
	var calls atomic.Int32
	inv := InvokerFunc(func(context.Context, TaskRequest) (json.RawMessage, error) {
		calls.Add(1)
		return json.RawMessage(`"called"`), nil
	})
	const mapState = `{"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"b":1}},"ToleratedFailureCount":1,"ToleratedFailurePercentage":50,"MaxConcurrency":3,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:F","End":true}}},
		"Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"Over"}],"ResultPath":"$.r","End":true}`
	tests := []struct {
		name       string
		definition string
		run        StateRun
		wantOutput string
		wantError  string
		check      func(t *testing.T, res StateResult)
	}{
		{
			name:       "a lambda:invoke task answers the mock as it is",
			definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"End":true}`,
			run:        StateRun{Input: json.RawMessage(`{"a":1}`), Mock: &Mock{Result: json.RawMessage(`{"Payload":"out","StatusCode":200}`)}},
			wantOutput: `{"p":"out"}`,
			check: func(t *testing.T, res StateResult) {
				if res.Inspection.Result != `{"Payload":"out","StatusCode":200}` || res.Inspection.AfterParameters != `{"FunctionName":"f","Payload":{"a":1}}` {
					t.Errorf("inspection = %+v", res.Inspection)
				}
			},
		},
		{
			name:       "a mocked error is retried",
			definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":3}],"End":true}`,
			run:        StateRun{Mock: &Mock{Failure: &Failure{Name: "Boom", Cause: "mocked"}}},
			wantError:  "Boom",
			check: func(t *testing.T, res StateResult) {
				if e := res.Inspection.Error; e == nil || !e.Retrying || e.RetryIndex != 0 || e.RetryBackoff.Seconds() != 3 {
					t.Errorf("error = %+v", e)
				}
			},
		},
		{
			name:       "a Parallel state's branches are mocked",
			definition: `{"Type":"Parallel","InputPath":"$.in","ResultPath":"$.out","Branches":[{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:F","End":true}}}],"End":true}`,
			run:        StateRun{Input: json.RawMessage(`{"in":1}`), Mock: &Mock{Result: json.RawMessage(`["b"]`)}},
			wantOutput: `{"in":1,"out":["b"]}`,
			check: func(t *testing.T, res StateResult) {
				want := Inspection{Input: `{"in":1}`, AfterResultSelector: `["b"]`, AfterResultPath: `{"in":1,"out":["b"]}`}
				got := res.Inspection
				got.Variables, got.Error = "", nil
				if got != want {
					t.Errorf("inspection = %+v\nwant %+v", got, want)
				}
			},
		},
		{
			name:       "a Map state's iterations are mocked, its batches built",
			definition: mapState,
			run:        StateRun{Input: json.RawMessage(`{"xs":[1,2,3]}`), Mock: &Mock{Result: json.RawMessage(`[10,20]`)}, MapIterationFailureCount: 1},
			wantOutput: `{"xs":[1,2,3],"r":[10,20]}`,
			check: func(t *testing.T, res StateResult) {
				in := res.Inspection
				if in.AfterItemsPath != `[1,2,3]` || in.AfterItemSelector != `[{"v":1},{"v":2},{"v":3}]` ||
					in.AfterItemBatcher != `[{"Items":[{"v":1},{"v":2}],"BatchInput":{"b":1}},{"Items":[{"v":3}],"BatchInput":{"b":1}}]` ||
					*in.MaxConcurrency != 3 || *in.ToleratedFailureCount != 1 || *in.ToleratedFailurePercentage != 50 || in.Result != "" {
					t.Errorf("inspection = %+v", in)
				}
			},
		},
		{
			name:       "more failed iterations than tolerated",
			definition: mapState,
			run:        StateRun{Input: json.RawMessage(`{"xs":[1,2,3]}`), Mock: &Mock{Result: json.RawMessage(`[1,2,3]`)}, MapIterationFailureCount: 2},
			wantOutput: `{"Error":"States.ExceedToleratedFailureThreshold","Cause":"The specified tolerated failure threshold was exceeded"}`,
			wantError:  ErrNameExceedToleratedFailureThreshold,
		},
		{
			name:       "without a threshold, failed iterations do not fail the state",
			definition: `{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`,
			run:        StateRun{Input: json.RawMessage(`[1,2]`), Mock: &Mock{Result: json.RawMessage(`[0,0]`)}, MapIterationFailureCount: 2},
			wantOutput: `[0,0]`,
		},
		{
			name:       "an ItemReader reads the data given, to MaxItems",
			definition: `{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","MaxItems":2},"Parameters":{"Bucket":"b","Key":"k"}},"ItemSelector":{"n.$":"$$.Map.Item.Value.name"},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`,
			run:        StateRun{Input: json.RawMessage(`{}`), Mock: &Mock{Result: json.RawMessage(`[1,2]`)}, MapItemReaderData: "name,size\na,1\nb,2\nc,3\n"},
			wantOutput: `[1,2]`,
			check: func(t *testing.T, res StateResult) {
				if res.Inspection.AfterItemSelector != `[{"n":"a"},{"n":"b"}]` || res.Inspection.AfterItemsPath != "" {
					t.Errorf("inspection = %+v", res.Inspection)
				}
			},
		},
		{
			name:       "a Map state whose items are not an array, in AWS's words and without an event id",
			definition: `{"Type":"Map","ItemsPath":"$$.Execution","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`,
			run:        StateRun{Input: json.RawMessage(`{}`), Context: json.RawMessage(`{"Execution":{"Id":"x"}}`), Mock: &Mock{Result: json.RawMessage(`[]`)}},
			wantError:  ErrNameRuntime,
			check: func(t *testing.T, res StateResult) {
				if res.Failure.Cause != `Reference path "$.Execution" must point to array.` {
					t.Errorf("cause = %q", res.Failure.Cause)
				}
			},
		},
		{
			name:       "a Pass state with a Result reports no input processing",
			definition: `{"Type":"Pass","InputPath":"$.a","Result":{"r":1},"ResultPath":"$.b","End":true}`,
			run:        StateRun{Input: json.RawMessage(`{"a":1}`)},
			wantOutput: `{"a":1,"b":{"r":1}}`,
			check: func(t *testing.T, res StateResult) {
				want := Inspection{Input: `{"a":1}`, Result: `{"r":1}`, AfterResultSelector: `{"r":1}`, AfterResultPath: `{"a":1,"b":{"r":1}}`}
				got := res.Inspection
				got.Variables = ""
				if got != want {
					t.Errorf("inspection = %+v\nwant %+v", got, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, err := ParseTestDefinition([]byte(tt.definition), false)
			if err != nil {
				t.Fatal(err)
			}
			tt.run.Name = SingleStateName
			res, err := sm.RunState(context.Background(), tt.run, Config{Invoker: inv, Clock: fastClock})
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Output) != tt.wantOutput {
				t.Errorf("output = %s, want %s", res.Output, tt.wantOutput)
			}
			gotError := ""
			if res.Failure != nil {
				gotError = res.Failure.Name
			}
			if gotError != tt.wantError {
				t.Errorf("failure = %+v, want %s", res.Failure, tt.wantError)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the invoker was called %d times; mocks replace every call", n)
	}
}

// TestLambdaInvokeNullPayload: a null Payload invokes the function with {},
// as AWS's recorded answer shows (the function saw two bytes).
func TestLambdaInvokeNullPayload(t *testing.T) {
	var got string
	inv := InvokerFunc(func(_ context.Context, req TaskRequest) (json.RawMessage, error) {
		got = string(req.Input)
		return req.Input, nil
	})
	res, _ := runMachine(t, `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload":null},"OutputPath":"$.Payload","End":true}}}`, `{}`, inv)
	if res.Status != StatusSucceeded || got != "{}" {
		t.Fatalf("result %+v, payload %q", res, got)
	}
}
