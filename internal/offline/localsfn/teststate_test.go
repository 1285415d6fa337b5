package localsfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:Served"

// servedInvoker serves one function, which answers its input with a mark, and nothing else.
var servedInvoker = asl.InvokerFunc(func(_ context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	if req.Resource != fnARN {
		return nil, fmt.Errorf("%w: no local function has the ARN %s", asl.ErrUnknownResource, req.Resource)
	}
	return json.RawMessage(`{"served":` + string(req.Input) + `}`), nil
})

// TestTestStateRefuses covers the requests TestState refuses beyond AWS's recorded answers
// (TestRecordedTestStateAnswers): each with its error code and message.
func TestTestStateRefuses(t *testing.T) {
	svc := New(Config{Region: testRegion, AccountID: testAccount, Invoker: servedInvoker})
	t.Cleanup(svc.Close)
	const pass = `{"Type":"Pass","End":true}`
	task := `{"Type":"Task","Resource":"` + fnARN + `","End":true}`
	const mapState = `{"Type":"Map","ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Pass","End":true}}},"End":true}`
	mockResult := &types.MockInput{Result: aws.String(`{}`)}
	tests := []struct {
		name     string
		in       sfn.TestStateInput
		wantCode string
		wantMsg  string
	}{
		{name: "no definition", in: sfn.TestStateInput{}, wantCode: "ValidationException",
			wantMsg: "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must not be null"},
		{name: "an empty stateName", in: sfn.TestStateInput{Definition: aws.String(pass), StateName: aws.String("")}, wantCode: "ValidationException",
			wantMsg: "1 validation error detected: Value '' at 'stateName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "a role that is not an ARN", in: sfn.TestStateInput{Definition: aws.String(pass), RoleArn: aws.String("role")}, wantCode: "InvalidArn"},
		{name: "an unknown inspection level", in: sfn.TestStateInput{Definition: aws.String(pass), InspectionLevel: "LOUD"}, wantCode: "ValidationException"},
		{name: "a negative retry count", in: sfn.TestStateInput{Definition: aws.String(pass), StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(-1)}},
			wantCode: "ValidationException"},
		{name: "a context without a mock", in: sfn.TestStateInput{Definition: aws.String(pass), Context: aws.String(`{}`)}, wantCode: "ValidationException",
			wantMsg: "TestState does not support Context when a mock is not specified."},
		{name: "a mock with neither result nor error", in: sfn.TestStateInput{Definition: aws.String(task), Mock: &types.MockInput{}}, wantCode: "ValidationException",
			wantMsg: "A test mock should have only one of the following fields: [result, errorOutput]."},
		{name: "a mocked error without its name", in: sfn.TestStateInput{Definition: aws.String(task), Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Cause: aws.String("c")}}},
			wantCode: "ValidationException"},
		{name: "a .waitForTaskToken task without a mock", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}`), RoleArn: aws.String(testRole)},
			wantCode: "InvalidDefinition"},
		{name: "an activity without a mock", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:A","End":true}`), RoleArn: aws.String(testRole)},
			wantCode: "InvalidDefinition"},
		{name: "a mock for a Wait state", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Wait","Seconds":1,"End":true}`), Mock: mockResult}, wantCode: "ValidationException",
			wantMsg: "State type 'Wait' is not supported when a mock is specified"},
		{name: "an error from a state the Map state does not have", in: sfn.TestStateInput{Definition: aws.String(mapState), Mock: &types.MockInput{Result: aws.String(`[]`)},
			StateConfiguration: &types.TestStateConfiguration{ErrorCausedByState: aws.String("Elsewhere")}}, wantCode: "ValidationException"},
		{name: "input that is not JSON", in: sfn.TestStateInput{Definition: aws.String(pass), Input: aws.String(`{`)}, wantCode: "InvalidExecutionInput"},
		{name: "variables that are not an object", in: sfn.TestStateInput{Definition: aws.String(pass), Variables: aws.String(`[1]`)}, wantCode: "ValidationException"},
		{name: "a context that is not an object", in: sfn.TestStateInput{Definition: aws.String(task), Mock: mockResult, Context: aws.String(`[1]`)}, wantCode: "ValidationException",
			wantMsg: "Invalid Context object provided: the context must be a JSON object"},
		{name: "a context member of the wrong type", in: sfn.TestStateInput{Definition: aws.String(task), Mock: mockResult, Context: aws.String(`{"State":{"RetryCount":"1"}}`)}, wantCode: "ValidationException",
			wantMsg: "Invalid Context object provided: State.RetryCount must be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.TestState(context.Background(), &tt.in)
			if got := errorCode(err); got != tt.wantCode {
				t.Fatalf("error = %v, want %s", err, tt.wantCode)
			}
			if tt.wantMsg != "" && errorMessage(err) != tt.wantMsg {
				t.Errorf("message = %q\nwant      %q", errorMessage(err), tt.wantMsg)
			}
		})
	}
}

// TestTestStateRuns covers the runs TestState answers beyond AWS's recorded answers.
func TestTestStateRuns(t *testing.T) {
	env := newTestEnv(t, Config{Invoker: servedInvoker})
	tests := []struct {
		name  string
		in    sfn.TestStateInput
		check func(t *testing.T, out *sfn.TestStateOutput)
	}{
		{
			name: "an unmocked task calls what executions call",
			in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"` + fnARN + `","ResultPath":"$.r","Next":"After"}`),
				Input: aws.String(`{"a":1}`), RoleArn: aws.String(testRole)},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `{"a":1,"r":{"served":{"a":1}}}` ||
					aws.ToString(out.NextState) != "After" || out.InspectionData != nil {
					t.Errorf("%+v", out)
				}
			},
		},
		{
			name: "a resource the offline stack does not serve fails as an unreachable one, naming the mock to pass",
			in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"m"},"End":true}`),
				RoleArn: aws.String(testRole)},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				if out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "States.Permissions" ||
					!strings.Contains(aws.ToString(out.Cause), "arn:aws:states:::sqs:sendMessage") || !strings.Contains(aws.ToString(out.Cause), "mock") {
					t.Errorf("%+v: %s", out, aws.ToString(out.Cause))
				}
			},
		},
		{
			name: "which a catcher may catch",
			in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:Other","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"End":true}`),
				RoleArn: aws.String(testRole), InspectionLevel: types.InspectionLevelDebug},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "Handle" ||
					aws.ToInt32(out.InspectionData.ErrorDetails.CatchIndex) != 0 || out.InspectionData.ErrorDetails.RetryIndex != nil {
					t.Errorf("%+v %+v", out, out.InspectionData.ErrorDetails)
				}
			},
		},
		{
			name: "a task that waits for a token finds one in the context object built for it",
			in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token","state.$":"$$.State.Name","retries.$":"$$.State.RetryCount"}},"End":true}`),
				Mock: &types.MockInput{Result: aws.String(`{"done":true}`)}, StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(2)},
				InspectionLevel: types.InspectionLevelTrace},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				var params struct {
					MessageBody struct {
						Token, State string
						Retries      int
					}
				}
				if err := json.Unmarshal([]byte(aws.ToString(out.InspectionData.AfterParameters)), &params); err != nil {
					t.Fatal(err)
				}
				if b := params.MessageBody; b.Token == "" || b.State != "StateName" || b.Retries != 2 || aws.ToString(out.Output) != `{"done":true}` {
					t.Errorf("%+v, output %s", b, aws.ToString(out.Output))
				}
			},
		},
		{
			name: "variables assigned are reported with those given",
			in: sfn.TestStateInput{Definition: aws.String(`{"StartAt":"S","States":{"S":{"Type":"Pass","Assign":{"b.$":"$.x"},"End":true}}}`), StateName: aws.String("S"),
				Input: aws.String(`{"x":2}`), Variables: aws.String(`{"a":1}`), InspectionLevel: types.InspectionLevelDebug},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				if aws.ToString(out.InspectionData.Variables) != `{"a":1,"b":2}` {
					t.Errorf("variables = %s", aws.ToString(out.InspectionData.Variables))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := env.client.TestState(context.Background(), &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, out)
		})
	}
}

// TestTestStateWaitsOnTheClock: a Wait state waits on the service's clock, and a state that
// runs longer than the API's five minutes fails with States.Timeout.
func TestTestStateWaitsOnTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := New(Config{Region: testRegion, AccountID: testAccount})
		defer svc.Close()
		for _, tt := range []struct {
			seconds   int
			wantError string
		}{{seconds: 60}, {seconds: 600, wantError: asl.ErrNameTimeout}} {
			out, err := svc.TestState(context.Background(), &sfn.TestStateInput{Definition: aws.String(fmt.Sprintf(`{"Type":"Wait","Seconds":%d,"Next":"N"}`, tt.seconds))})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Error) != tt.wantError {
				t.Errorf("Wait %d s: %+v %s", tt.seconds, out, aws.ToString(out.Cause))
			}
		}
	})
}

// TestTestStateLeavesNothingRunning: a client that goes away ends the run.
func TestTestStateLeavesNothingRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := New(Config{Region: testRegion, AccountID: testAccount})
		defer svc.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := svc.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Wait","Seconds":60,"End":true}`)})
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	})
}

// TestTestDefinitionCache: a definition is parsed once per form (one state, or a whole
// machine), and the cache starts again empty rather than outgrow its bound.
func TestTestDefinitionCache(t *testing.T) {
	var c testDefinitionCache
	const def = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	a, err := c.parse(def, true)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.parse(def, true); b != a {
		t.Error("the same definition was parsed twice")
	}
	if _, err := c.parse(def, false); err == nil {
		t.Error("a whole machine was accepted as one state: the form is part of the key")
	}
	big := `{"Type":"Pass","Comment":"` + strings.Repeat("x", maxTestDefinitionBytes-50) + `","End":true}`
	if _, err := c.parse(big, false); err != nil {
		t.Fatal(err)
	}
	if len(c.m) != 1 || c.bytes != len(big) {
		t.Errorf("%d entries, %d bytes after outgrowing the bound", len(c.m), c.bytes)
	}
}
