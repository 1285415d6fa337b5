package localsfn

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// A workflow waits for a person; SendTaskSuccess through the SDK resumes it, and the history
// the SDK reads has the task's submission and its outcome.
func TestCallbackOverTheAPI(t *testing.T) {
	ctx := context.Background()
	worker := make(workerQueue, 1)
	env := newTestEnv(t, Config{Invoker: worker})
	machine := env.createMachine(t, "Ask", askDefinition, types.StateMachineTypeStandard)
	started, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(`{"order":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	req := <-worker
	if _, err := env.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(req.TaskToken)}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(req.TaskToken), Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatal(err)
	}
	env.waitFinished(t, aws.ToString(started.ExecutionArn))
	out, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil || out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `{"approved":true}` {
		t.Fatalf("DescribeExecution: %+v, %v", out, err)
	}
	history, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var typesSeen []string
	for _, ev := range history.Events {
		typesSeen = append(typesSeen, string(ev.Type))
		if d := ev.TaskScheduledEventDetails; d != nil && !strings.Contains(aws.ToString(d.Parameters), req.TaskToken) {
			t.Errorf("TaskScheduled parameters %s lack the token", aws.ToString(d.Parameters))
		}
		if d := ev.TaskSubmittedEventDetails; d != nil && (aws.ToString(d.Output) != `{"MessageId":"m-1"}` || aws.ToString(d.Resource) != "sendMessage.waitForTaskToken") {
			t.Errorf("TaskSubmitted = %+v", d)
		}
	}
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if !slices.Equal(typesSeen, want) {
		t.Errorf("history %v, want %v", typesSeen, want)
	}
}

// What SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat answer for a token they cannot
// deliver to, through the SDK.
func TestCallbackErrors(t *testing.T) {
	ctx := context.Background()
	worker := make(workerQueue, 4)
	env := newTestEnv(t, Config{Invoker: worker, Clock: asl.NewScaledClock(1000)})
	ask := env.createMachine(t, "Ask", askDefinition, types.StateMachineTypeStandard)
	brief := env.createMachine(t, "Brief", strings.Replace(askDefinition, `"End":true`, `"TimeoutSeconds":1,"End":true`, 1), types.StateMachineTypeStandard)
	start := func(machine string) (string, string) {
		out, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ExecutionArn), (<-worker).TaskToken
	}
	waiting, waitingToken := start(ask)
	_ = waiting
	timedOut, timedOutToken := start(brief)
	env.waitFinished(t, timedOut)
	stopped, stoppedToken := start(ask)
	if _, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(stopped)}); err != nil {
		t.Fatal(err)
	}
	other := newTestEnv(t, Config{Invoker: worker})
	otherMachine := other.createMachine(t, "Ask", askDefinition, types.StateMachineTypeStandard)
	if _, err := other.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(otherMachine)}); err != nil {
		t.Fatal(err)
	}
	otherToken := (<-worker).TaskToken

	success := func(token, output string) error {
		_, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(output)})
		return err
	}
	failure := func(token, output string) error {
		_, err := env.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String(output)})
		return err
	}
	heartbeat := func(token, _ string) error {
		_, err := env.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
		return err
	}
	tests := []struct {
		name  string
		call  func(token, arg string) error
		token string
		arg   string
		want  string
	}{
		{"a token never issued", success, "not-a-token", `{}`, "InvalidToken"},
		{"a token never issued (heartbeat)", heartbeat, "AAAA", "", "InvalidToken"},
		{"another endpoint's token", failure, otherToken, "E", "TaskDoesNotExist"},
		{"a task that timed out", success, timedOutToken, `{}`, "TaskTimedOut"},
		{"a task that timed out (heartbeat)", heartbeat, timedOutToken, "", "TaskTimedOut"},
		{"a stopped execution's task", failure, stoppedToken, "E", "TaskTimedOut"},
		{"output not JSON", success, waitingToken, `{"a":`, "InvalidOutput"},
		{"an empty token", success, "", `{}`, "ValidationException"},
		{"a token over 2048 characters", heartbeat, strings.Repeat("A", 2049), "", "ValidationException"},
		{"an error over 256 characters", failure, waitingToken, strings.Repeat("E", 257), "ValidationException"},
		{"output over 256 KiB", success, waitingToken, `"` + strings.Repeat("x", 262144) + `"`, "ValidationException"},
		{"the waiting task", success, waitingToken, `{}`, ""},
		{"the same task again", success, waitingToken, `{}`, "TaskTimedOut"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.call(tt.token, tt.arg), tt.want)
		})
	}
	t.Run("output is required", func(t *testing.T) {
		_, err := env.svc.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(waitingToken)})
		wantCode(t, err, "ValidationException")
	})
}

// The context object's token is in the task's input however it is built: JSONata Arguments
// read it from $states.context.
func TestTaskTokenInJSONata(t *testing.T) {
	worker := make(workerQueue, 1)
	env := newTestEnv(t, Config{Invoker: worker})
	machine := env.createMachine(t, "Ask", `{"QueryLanguage":"JSONata","StartAt":"Ask","States":{"Ask":{"Type":"Task",
		"Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Arguments":{"MessageBody":{"token":"{% $states.context.Task.Token %}"}},"End":true}}}`,
		types.StateMachineTypeStandard)
	if _, err := env.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)}); err != nil {
		t.Fatal(err)
	}
	req := <-worker
	var in struct{ MessageBody struct{ Token string } }
	if err := json.Unmarshal(req.Input, &in); err != nil || in.MessageBody.Token != req.TaskToken || req.TaskToken == "" {
		t.Errorf("input %s, token %q", req.Input, req.TaskToken)
	}
}
