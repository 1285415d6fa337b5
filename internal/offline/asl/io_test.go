package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

const helloARN = "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction"

// helloInvoker is the Lambda function of the AWS documentation's ResultPath
// walkthrough: it answers "Hello, <who>!".
var helloInvoker = fakeInvoker{
	helloARN: func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var v struct{ Who string }
		if err := json.Unmarshal(in, &v); err != nil {
			return nil, err
		}
		return json.Marshal("Hello, " + v.Who + "!")
	},
	emrARN: func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"resourceType":"elasticmapreduce","resource":"createCluster.sync","output":{"SdkHttpMetadata":{"HttpHeaders":{"Content-Length":"1112","Content-Type":"application/x-amz-JSON-1.1"},"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":"1234"},"ClusterId":"AKIAIOSFODNN7EXAMPLE"}}`), nil
	},
}

// emrARN stands for the EMR integration of the ResultSelector example.
const emrARN = "arn:aws:states:::elasticmapreduce:createCluster.sync"

// TestInputOutputProcessing replays the AWS documentation's examples for
// InputPath, Parameters, ResultSelector, ResultPath and OutputPath.
func TestInputOutputProcessing(t *testing.T) {
	task := func(fields string) string {
		return fmt.Sprintf(`{"StartAt":"S","States":{"S":{"Type":"Task","Resource":%q,%s"End":true}}}`, helloARN, fields)
	}
	pass := func(fields string) string {
		return fmt.Sprintf(`{"StartAt":"S","States":{"S":{"Type":"Pass",%s"End":true}}}`, fields)
	}
	const resultPathInput = `{"comment":"This is a test of the input and output of a Task state.","details":"Default example","who":"AWS Step Functions"}`
	tests := []struct {
		name, def, input, want string
	}{
		{
			name:  "InputPath selects a dataset",
			def:   pass(`"InputPath":"$.dataset2",`),
			input: `{"comment":"Example for InputPath.","dataset1":{"val1":1,"val2":2,"val3":3},"dataset2":{"val1":"a","val2":"b","val3":"c"}}`,
			want:  `{"val1":"a","val2":"b","val3":"c"}`,
		},
		{
			name:  "InputPath slice yields an array",
			def:   pass(`"InputPath":"$.a[0:2]",`),
			input: `{"a":[1,2,3,4]}`,
			want:  `[1,2]`,
		},
		{
			name:  "Parameters select and add values",
			def:   pass(`"Parameters":{"comment":"Selecting what I care about.","MyDetails":{"size.$":"$.product.details.size","exists.$":"$.product.availability","StaticValue":"foo"}},`),
			input: `{"comment":"Example for Parameters.","product":{"details":{"color":"blue","size":"small","material":"cotton"},"availability":"in stock","sku":"2317","cost":"$23"}}`,
			want:  `{"comment":"Selecting what I care about.","MyDetails":{"size":"small","exists":"in stock","StaticValue":"foo"}}`,
		},
		{
			name:  "Parameters read the context object",
			def:   pass(`"Parameters":{"execution.$":"$$.Execution.Id","name.$":"$$.Execution.Name","state.$":"$$.State.Name","machine.$":"$$.StateMachine.Name","start.$":"$$.Execution.StartTime","input.$":"$$.Execution.Input.x"},`),
			input: `{"x":7}`,
			want:  fmt.Sprintf(`{"execution":%q,"name":"e1","state":"S","machine":"M","start":"2024-01-02T03:04:05.000Z","input":7}`, testExecutionARN),
		},
		{
			name:  "ResultSelector then ResultPath (EMR example)",
			def:   fmt.Sprintf(`{"StartAt":"S","States":{"S":{"Type":"Task","Resource":%q,"ResultSelector":{"ClusterId.$":"$.output.ClusterId","ResourceType.$":"$.resourceType"},"ResultPath":"$.EMROutput","End":true}}}`, emrARN),
			input: `{"foo":"bar"}`,
			want:  `{"foo":"bar","EMROutput":{"ClusterId":"AKIAIOSFODNN7EXAMPLE","ResourceType":"elasticmapreduce"}}`,
		},
		{
			name:  "ResultPath $ replaces the input",
			def:   task(``),
			input: resultPathInput,
			want:  `"Hello, AWS Step Functions!"`,
		},
		{
			name:  "ResultPath null keeps the input",
			def:   task(`"ResultPath":null,`),
			input: resultPathInput,
			want:  resultPathInput,
		},
		{
			name:  "ResultPath adds the result to the input",
			def:   task(`"ResultPath":"$.taskresult",`),
			input: resultPathInput,
			want:  `{"comment":"This is a test of the input and output of a Task state.","details":"Default example","who":"AWS Step Functions","taskresult":"Hello, AWS Step Functions!"}`,
		},
		{
			name:  "ResultPath replaces an existing node",
			def:   task(`"ResultPath":"$.who",`),
			input: resultPathInput,
			want:  `{"comment":"This is a test of the input and output of a Task state.","details":"Default example","who":"Hello, AWS Step Functions!"}`,
		},
		{
			name:  "InputPath, ResultPath and OutputPath together",
			def:   task(`"InputPath":"$.lambda","ResultPath":"$.data.lambdaresult","OutputPath":"$.data",`),
			input: `{"comment":"An input comment.","data":{"val1":23,"val2":17},"extra":"foo","lambda":{"who":"AWS Step Functions"}}`,
			want:  `{"val1":23,"val2":17,"lambdaresult":"Hello, AWS Step Functions!"}`,
		},
		{
			name:  "ResultPath creates missing objects",
			def:   pass(`"Result":1,"ResultPath":"$.a.b.c",`),
			input: `{"x":true}`,
			want:  `{"x":true,"a":{"b":{"c":1}}}`,
		},
		{
			name:  "Parameters keep integers beyond 2^53",
			def:   pass(`"Parameters":{"v.$":"$.n"},`),
			input: `{"n":12345678901234567890}`,
			want:  `{"v":12345678901234567890}`,
		},
		{
			name:  "InputPath null and OutputPath null give {}",
			def:   pass(`"InputPath":null,"Parameters":{"k.$":"$"},"ResultPath":"$.r",`),
			input: `{"a":1}`,
			want:  `{"a":1,"r":{"k":{}}}`,
		},
		{
			name:  "OutputPath null",
			def:   pass(`"OutputPath":null,`),
			input: `{"a":1}`,
			want:  `{}`,
		},
		{
			name:  "filter path with numbers",
			def:   pass(`"Parameters":{"cheap.$":"$.items[?(@.price < 10)].name"},`),
			input: `{"items":[{"name":"a","price":5},{"name":"b","price":15},{"name":"c","price":9.5}]}`,
			want:  `{"cheap":["a","c"]}`,
		},
		{
			name:  "Pass Result ignores Parameters output",
			def:   pass(`"Parameters":{"a":1},"Result":{"b":2},"ResultPath":"$.out",`),
			input: `{"in":0}`,
			want:  `{"in":0,"out":{"b":2}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runMachine(t, tt.def, tt.input, helloInvoker)
			if res.Status != StatusSucceeded {
				t.Fatalf("status = %s (%s: %s), want SUCCEEDED", res.Status, res.Error, res.Cause)
			}
			jsonEqual(t, res.Output, tt.want)
		})
	}
}

func TestResultSelectorOnTask(t *testing.T) {
	def := fmt.Sprintf(`{"StartAt":"S","States":{"S":{"Type":"Task","Resource":%q,"ResultSelector":{"greeting.$":"$","fixed":1},"ResultPath":"$.r","End":true}}}`, helloARN)
	res, _ := runMachine(t, def, `{"who":"you"}`, helloInvoker)
	jsonEqual(t, res.Output, `{"who":"you","r":{"greeting":"Hello, you!","fixed":1}}`)
}

// TestProcessingFailures covers the errors input and output processing raise.
func TestProcessingFailures(t *testing.T) {
	pass := func(fields string) string {
		return fmt.Sprintf(`{"StartAt":"S","States":{"S":{"Type":"Pass",%s"End":true}}}`, fields)
	}
	tests := []struct {
		name, def, input, wantError, wantCause string
	}{
		{"Parameters path missing", pass(`"Parameters":{"a.$":"$.missing"},`), `{"b":1}`, ErrNameParameterPathFailure,
			`An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'a.$' could not be found in the input '{"b":1}'`},
		{"InputPath missing", pass(`"InputPath":"$.missing",`), `{}`, ErrNameRuntime,
			`An error occurred while executing the state 'S' (entered at the event id #2). Invalid path '$.missing' : No results for path: $.missing`},
		{"OutputPath missing", pass(`"OutputPath":"$.missing",`), `{}`, ErrNameRuntime,
			`An error occurred while executing the state 'S' (entered at the event id #2). Invalid path '$.missing' : No results for path: $.missing`},
		{"ResultPath into a string", pass(`"Result":1,"ResultPath":"$.a.b",`), `{"a":"text"}`, ErrNameResultPathMatchFailure, ""},
		{"ResultPath into a non-object input", pass(`"Result":1,"ResultPath":"$.a",`), `[1,2]`, ErrNameResultPathMatchFailure, ""},
		{"input too large", pass(``), `{"a":"` + string(make([]byte, 0)) + repeat("x", maxPayloadBytes) + `"}`, ErrNameDataLimitExceeded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runMachine(t, tt.def, tt.input, nil)
			if res.Status != StatusFailed || res.Error != tt.wantError {
				t.Fatalf("result = %s %s (%s), want FAILED %s", res.Status, res.Error, res.Cause, tt.wantError)
			}
			if tt.wantCause != "" && res.Cause != tt.wantCause {
				t.Errorf("cause = %q, want %q", res.Cause, tt.wantCause)
			}
		})
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, n*len(s))
	for range n {
		b = append(b, s...)
	}
	return string(b)
}
