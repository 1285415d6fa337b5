package offline

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/localsfn"
	"github.com/stepgate/stepgate/internal/offline/mockconfig"
)

const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:Real"

// mockedStack is the part of a stack the mocks use: the registry (a real Lambda function that
// answers {"real":true}), the mock configuration, and a local Step Functions whose executions
// get their invokers from it, run by the Go methods in the caller's synctest bubble.
func mockedStack(t *testing.T, mocks string) *localsfn.Service {
	t.Helper()
	cfg, err := mockconfig.Parse([]byte(mocks))
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{log: slog.New(slog.DiscardHandler), mocks: cfg, integrations: []integration{{
		resourcePrefix: "arn:aws:lambda:",
		invoke: func(context.Context, asl.TaskRequest) (json.RawMessage, error) {
			return json.RawMessage(`{"real":true}`), nil
		},
	}}}
	svc := localsfn.New(localsfn.Config{Region: Region, AccountID: AccountID, ExecutionInvoker: s.executionInvoker})
	t.Cleanup(svc.Close)
	return svc
}

func runMocked(t *testing.T, svc *localsfn.Service, definition, testCase string) (*sfn.DescribeExecutionOutput, []types.HistoryEvent) {
	t.Helper()
	ctx := context.Background()
	created, err := svc.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("M"), Definition: aws.String(definition),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	if err != nil {
		t.Fatal(err)
	}
	started, err := svc.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(aws.ToString(created.StateMachineArn) + "#" + testCase)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := svc.ExecutionDone(aws.ToString(started.ExecutionArn))
	if err != nil {
		t.Fatal(err)
	}
	<-done
	out, err := svc.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	h, err := svc.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	return out, h.Events
}

func TestMockedResponses(t *testing.T) {
	task := func(resource, extra string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + resource + `",` + extra + `"End":true}}}`
	}
	invoke := task("arn:aws:states:::lambda:invoke", `"Parameters":{"FunctionName":"`+fnARN+`","Payload":{}},"ResultSelector":{"p.$":"$.Payload","code.$":"$.StatusCode"},`)
	tests := []struct {
		name, definition, response string
		status, error, cause       string
		output                     string
		types                      []string // when set, the whole history
	}{
		{name: "lambda:invoke: Return is the Invoke response; Payload is the function's answer",
			definition: invoke, response: `{"0":{"Return":{"StatusCode":200,"Payload":{"ok":1}}}}`,
			status: "SUCCEEDED", output: `{"p":{"ok":1},"code":200}`},
		{name: "a function ARN resource: the Payload",
			definition: task(fnARN, ""), response: `{"0":{"Return":{"StatusCode":200,"Payload":{"ok":2}}}}`,
			status: "SUCCEEDED", output: `{"ok":2}`},
		{name: "a Return with FunctionError is the function's error",
			definition: task(fnARN, ""), response: `{"0":{"Return":{"StatusCode":200,"FunctionError":"Unhandled","Payload":{"errorType":"OrderInvalid","errorMessage":"no"}}}}`,
			status: "FAILED", error: "OrderInvalid", cause: `{"errorType":"OrderInvalid","errorMessage":"no"}`},
		{name: "a Return without Payload: the function answered nothing",
			definition: task(fnARN, ""), response: `{"0":{"Return":{"StatusCode":200}}}`,
			status: "SUCCEEDED", output: `null`},
		{name: "a Throw is retried and caught as a real error",
			definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnARN + `","End":true,
				"Retry":[{"ErrorEquals":["Busy"],"MaxAttempts":1,"IntervalSeconds":1}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}]},
				"Caught":{"Type":"Pass","End":true}}}`,
			response: `{"0":{"Throw":{"Error":"Busy","Cause":"try again"}},"1":{"Throw":{"Error":"Broken","Cause":"give up"}}}`,
			status:   "SUCCEEDED", output: `{"Error":"Broken","Cause":"give up"}`},
		{name: "past the last numbered response the execution fails",
			definition: task(fnARN, `"Retry":[{"ErrorEquals":["Busy"],"MaxAttempts":3,"IntervalSeconds":1}],`),
			response:   `{"0":{"Throw":{"Error":"Busy","Cause":"try again"}}}`,
			status:     "FAILED", error: "States.Runtime"},
		{name: "a mocked callback task does not wait: Return is what comes back with the token",
			definition: task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", `"Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"HeartbeatSeconds":5,`),
			response:   `{"0":{"Return":{"approved":true}}}`,
			status:     "SUCCEEDED", output: `{"approved":true}`,
			types: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}},
		{name: "a mocked callback task's Throw fails it as SendTaskFailure would",
			definition: task("arn:aws:states:::lambda:invoke.waitForTaskToken", `"Parameters":{"FunctionName":"F","Payload":{"token.$":"$$.Task.Token"}},`),
			response:   `{"0":{"Throw":{"Error":"Rejected","Cause":"no"}}}`,
			status:     "FAILED", error: "Rejected", cause: "no"},
		{name: "a mocked .sync job: Return is its end",
			definition: task("arn:aws:states:::glue:startJobRun.sync", `"Parameters":{"JobName":"j"},`),
			response:   `{"0":{"Return":{"JobRunState":"SUCCEEDED"}}}`,
			status:     "SUCCEEDED", output: `{"JobRunState":"SUCCEEDED"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := mockedStack(t, `{"StateMachines":{"M":{"TestCases":{"Case":{"T":"R"}}}},"MockedResponses":{"R":`+tt.response+`}}`)
				out, events := runMocked(t, svc, tt.definition, "Case")
				if string(out.Status) != tt.status || aws.ToString(out.Error) != tt.error {
					t.Fatalf("%s %s (%s), want %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), tt.status, tt.error)
				}
				if tt.cause != "" && aws.ToString(out.Cause) != tt.cause {
					t.Errorf("cause %s, want %s", aws.ToString(out.Cause), tt.cause)
				}
				if tt.output != "" && aws.ToString(out.Output) != tt.output {
					t.Errorf("output %s, want %s", aws.ToString(out.Output), tt.output)
				}
				if tt.error == "States.Runtime" && !strings.Contains(aws.ToString(out.Cause), `add a response for "1"`) {
					t.Errorf("cause %s: want it to name the response to add", aws.ToString(out.Cause))
				}
				if tt.types != nil {
					var got []string
					for _, ev := range events {
						got = append(got, string(ev.Type))
					}
					if !slices.Equal(got, tt.types) {
						t.Errorf("history %v, want %v", got, tt.types)
					}
				}
			})
		})
	}
}

// A state the test case does not mock runs on the emulated services.
func TestUnmockedStatesRunForReal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := mockedStack(t, `{"StateMachines":{"M":{"TestCases":{"Case":{"Other":"R"}}}},"MockedResponses":{"R":{"0":{"Return":1}}}}`)
		out, _ := runMocked(t, svc, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`","Next":"Other"},
			"Other":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","ResultPath":"$.other","End":true}}}`, "Case")
		if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"real":true,"other":1}` {
			t.Fatalf("%s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Cause))
		}
	})
}
