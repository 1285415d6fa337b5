package asl

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestTaskRequestCarriesItsContext checks what an Invoker learns of the
// call: the state, the attempt ($$.State.RetryCount), the execution and
// machine, the timeout and heartbeat, and for lambda:invoke the unwrapped
// function and payload. It runs in a synctest bubble: at the test clock's scale the Task's 30 s
// timeout is 30 µs, which a busy machine could spend between two calls; in the bubble no time passes
// while the invoker answers.
func TestTaskRequestCarriesItsContext(t *testing.T) {
	synctest.Test(t, testTaskRequestCarriesItsContext)
}

func testTaskRequestCarriesItsContext(t *testing.T) {
	var (
		mu   sync.Mutex
		reqs []TaskRequest
	)
	inv := InvokerFunc(func(_ context.Context, req TaskRequest) (json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		reqs = append(reqs, req)
		if len(reqs) == 1 {
			return nil, &Failure{Name: "Flaky"}
		}
		return json.RawMessage(`{"ok":true}`), nil
	})
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + fnARN + `","TimeoutSecondsPath":"$.t","HeartbeatSeconds":5,"Retry":[{"ErrorEquals":["Flaky"]}],"Next":"L"},
		"L":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"Fn","Payload":{"x":1}},"End":true}}}`
	res, _ := runMachine(t, def, `{"t":30}`, inv)
	if res.Status != StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	want := []TaskRequest{
		{Resource: fnARN, StateResource: fnARN, Input: json.RawMessage(`{"t":30}`), StateName: "T", Attempt: 0, Timeout: 30 * time.Second, Heartbeat: 5 * time.Second},
		{Resource: fnARN, StateResource: fnARN, Input: json.RawMessage(`{"t":30}`), StateName: "T", Attempt: 1, Timeout: 30 * time.Second, Heartbeat: 5 * time.Second},
		{Resource: fnARN, StateResource: lambdaInvokeARN, Input: json.RawMessage(`{"x":1}`), StateName: "L"},
	}
	if len(reqs) != len(want) {
		t.Fatalf("%d calls, want %d: %+v", len(reqs), len(want), reqs)
	}
	for i, w := range want {
		w.ExecutionARN = testExecutionARN
		w.StateMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:M"
		got := reqs[i]
		if string(got.Input) != string(w.Input) {
			t.Errorf("call %d input = %s, want %s", i, got.Input, w.Input)
		}
		got.Input, w.Input = nil, nil
		if !reflect.DeepEqual(got, w) {
			t.Errorf("call %d = %+v\nwant %+v", i, got, w)
		}
	}
}

func TestRunState(t *testing.T) {
	const okARN = "arn:aws:lambda:us-east-1:123456789012:function:Ok"
	const def = `{"StartAt":"P","States":{
		"P":{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.v","k.$":"$known","s.$":"$$.State.Name"},"ResultPath":"$.r","Assign":{"seen.$":"$.v"},"Next":"C"},
		"C":{"Type":"Choice","Choices":[
			{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big","Assign":{"rule":1}},
			{"Variable":"$.n","NumericEquals":-1,"Next":"T"},{"Variable":"$.n","NumericEquals":-2,"Next":"J"},
			{"Variable":"$.n","NumericEquals":-3,"Next":"M"},{"Variable":"$.n","NumericEquals":-4,"Next":"F"},
			{"Variable":"$.n","NumericEquals":-5,"Next":"S"}],"Default":"Small"},
		"Big":{"Type":"Succeed"},"Small":{"Type":"Succeed"},
		"T":{"Type":"Task","Resource":"` + fnARN + `","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Small"}],"End":true},
		"S":{"Type":"Task","Resource":"` + okARN + `","ResultSelector":{"w.$":"$.got"},"ResultPath":"$.r","End":true},
		"J":{"Type":"Task","QueryLanguage":"JSONata","Resource":"` + okARN + `","Arguments":{"a":"{% $states.input.x %}"},"Output":"{% $states.result.got %}","End":true},
		"M":{"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"i.$":"$$.Map.Item.Index","c.$":"$$.Execution.Name"},"MaxConcurrency":2,"ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Pass","End":true}}},"End":true},
		"F":{"Type":"Fail","Error":"Mine","Cause":"why"}}}`
	sm := mustParse(t, def)
	inv := InvokerFunc(func(_ context.Context, req TaskRequest) (json.RawMessage, error) {
		if req.Resource == okARN {
			return json.RawMessage(`{"got":` + string(req.Input) + `}`), nil
		}
		return nil, &Failure{Name: "Flaky", Cause: "again"}
	})
	tests := []struct {
		name       string
		run        StateRun
		wantOutput string
		wantNext   string
		wantError  string
		want       Inspection // Variables and Error compared separately
		wantVars   string
		wantErr    *InspectionError
	}{
		{
			name:       "JSONPath steps, variables and the context object",
			run:        StateRun{Name: "P", Input: json.RawMessage(`{"in":{"v":7}}`), Variables: json.RawMessage(`{"known":"k"}`)},
			wantOutput: `{"in":{"v":7},"r":{"v":7,"k":"k","s":"P"}}`, wantNext: "C",
			want: Inspection{Input: `{"in":{"v":7}}`, AfterInputPath: `{"v":7}`, AfterParameters: `{"v":7,"k":"k","s":"P"}`,
				AfterResultSelector: `{"v":7,"k":"k","s":"P"}`, AfterResultPath: `{"in":{"v":7},"r":{"v":7,"k":"k","s":"P"}}`},
			wantVars: `{"known":"k","seen":7}`,
		},
		{
			name:       "a given context object",
			run:        StateRun{Name: "P", Input: json.RawMessage(`{"in":{"v":1}}`), Variables: json.RawMessage(`{"known":0}`), Context: json.RawMessage(`{"State":{"Name":"Elsewhere"}}`)},
			wantOutput: `{"in":{"v":1},"r":{"v":1,"k":0,"s":"Elsewhere"}}`, wantNext: "C",
			want: Inspection{Input: `{"in":{"v":1}}`, AfterInputPath: `{"v":1}`, AfterParameters: `{"v":1,"k":0,"s":"Elsewhere"}`,
				AfterResultSelector: `{"v":1,"k":0,"s":"Elsewhere"}`, AfterResultPath: `{"in":{"v":1},"r":{"v":1,"k":0,"s":"Elsewhere"}}`},
			wantVars: `{"known":0,"seen":1}`,
		},
		{
			name:       "Choice picks the next state and its rule assigns",
			run:        StateRun{Name: "C", Input: json.RawMessage(`{"n":2}`)},
			wantOutput: `{"n":2}`, wantNext: "Big",
			want:     Inspection{Input: `{"n":2}`, AfterInputPath: `{"n":2}`},
			wantVars: `{"rule":1}`,
		},
		{
			name:      "a retrier that would retry is reported with its backoff",
			run:       StateRun{Name: "T", Input: json.RawMessage(`{}`), RetryCount: 1},
			wantError: "Flaky",
			want:      Inspection{Input: `{}`, AfterInputPath: `{}`, AfterParameters: `{}`},
			wantVars:  `{}`,
			wantErr:   &InspectionError{RetryIndex: 0, Retrying: true, RetryBackoff: 6 * time.Second, CatchIndex: -1},
		},
		{
			name:       "retries used up: the catcher, the retrier still named",
			run:        StateRun{Name: "T", Input: json.RawMessage(`{}`), RetryCount: 2},
			wantOutput: `{"err":{"Error":"Flaky","Cause":"again"}}`, wantNext: "Small", wantError: "Flaky",
			want:     Inspection{Input: `{}`, AfterInputPath: `{}`, AfterParameters: `{}`},
			wantVars: `{}`,
			wantErr:  &InspectionError{RetryIndex: 0, CatchIndex: 0},
		},
		{
			name:       "ResultSelector",
			run:        StateRun{Name: "S", Input: json.RawMessage(`{"x":3}`)},
			wantOutput: `{"x":3,"r":{"w":{"x":3}}}`,
			want: Inspection{Input: `{"x":3}`, AfterInputPath: `{"x":3}`, AfterParameters: `{"x":3}`, Result: `{"got":{"x":3}}`,
				AfterResultSelector: `{"w":{"x":3}}`, AfterResultPath: `{"x":3,"r":{"w":{"x":3}}}`},
			wantVars: `{}`,
		},
		{
			name:       "JSONata steps",
			run:        StateRun{Name: "J", Input: json.RawMessage(`{"x":3}`)},
			wantOutput: `{"a":3}`,
			want:       Inspection{Input: `{"x":3}`, AfterArguments: `{"a":3}`, Result: `{"got":{"a":3}}`},
			wantVars:   `{}`,
		},
		{
			name:       "a Map state inside runs its iterations",
			run:        StateRun{Name: "M", Input: json.RawMessage(`{"xs":["a","b"]}`)},
			wantOutput: `[{"i":0,"c":"e1"},{"i":1,"c":"e1"}]`,
			want: Inspection{Input: `{"xs":["a","b"]}`, AfterInputPath: `{"xs":["a","b"]}`, AfterItemsPath: `["a","b"]`,
				AfterItemSelector: `[{"i":0,"c":"e1"},{"i":1,"c":"e1"}]`, AfterResultSelector: `[{"i":0,"c":"e1"},{"i":1,"c":"e1"}]`,
				AfterResultPath: `[{"i":0,"c":"e1"},{"i":1,"c":"e1"}]`},
			wantVars: `{}`,
		},
		{
			name:      "a Fail state",
			run:       StateRun{Name: "F", Input: json.RawMessage(`{}`)},
			wantError: "Mine",
			want:      Inspection{Input: `{}`, AfterInputPath: `{}`},
			wantVars:  `{}`,
			wantErr:   &InspectionError{RetryIndex: -1, CatchIndex: -1},
		},
		{
			name:       "a state of a Map's item processor",
			run:        StateRun{Name: "Inner", Input: json.RawMessage(`5`)},
			wantOutput: `5`,
			want:       Inspection{Input: `5`, AfterInputPath: `5`, AfterParameters: `5`, AfterResultSelector: `5`, AfterResultPath: `5`},
			wantVars:   `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := sm.RunState(context.Background(), tt.run, Config{Invoker: inv, Clock: fastClock, Context: ContextObject{Execution: ExecutionContext{Name: "e1"}}})
			if err != nil {
				t.Fatalf("RunState: %v", err)
			}
			if string(res.Output) != tt.wantOutput || res.Next != tt.wantNext {
				t.Errorf("output %s next %q, want %s %q", res.Output, res.Next, tt.wantOutput, tt.wantNext)
			}
			gotError := ""
			if res.Failure != nil {
				gotError = res.Failure.Name
			}
			if gotError != tt.wantError {
				t.Errorf("failure = %+v, want %s", res.Failure, tt.wantError)
			}
			if res.Inspection.Variables != tt.wantVars {
				t.Errorf("variables = %s, want %s", res.Inspection.Variables, tt.wantVars)
			}
			switch got := res.Inspection.Error; {
			case (got == nil) != (tt.wantErr == nil):
				t.Errorf("inspection error = %+v, want %+v", got, tt.wantErr)
			case got != nil && *got != *tt.wantErr:
				t.Errorf("inspection error = %+v, want %+v", *got, *tt.wantErr)
			}
			got := res.Inspection
			got.Variables, got.Error, got.MaxConcurrency = "", nil, nil
			if got != tt.want {
				t.Errorf("inspection = %+v\nwant %+v", got, tt.want)
			}
		})
	}

	if _, err := sm.RunState(context.Background(), StateRun{Name: "Nope"}, Config{}); !errors.Is(err, ErrNoSuchState) {
		t.Errorf("unknown state: err = %v, want ErrNoSuchState", err)
	}
	if _, err := sm.RunState(context.Background(), StateRun{Name: "P", Variables: json.RawMessage(`[1]`)}, Config{}); err == nil {
		t.Error("variables that are not an object were accepted")
	}
}
