package localsfn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// TestExpressRefusalMessages pins, over the wire, the code and message AWS gives when an Express
// execution is passed where only Standard executions have state (DescribeExecution,
// GetExecutionHistory, StopExecution: the ARN's resource type "express" is refused as InvalidArn)
// and when an Express machine is listed (ListExecutions: StateMachineTypeNotSupported). So no
// local test of the status routes can pass where AWS would refuse.
func TestExpressRefusalMessages(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	machine := env.createMachine(t, "ExpressRefusals", passDefinition, types.StateMachineTypeExpress)
	out, err := env.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatal(err)
	}
	const invalidArn = "Invalid Arn: 'Resource type not valid in this context: express'"
	calls := []struct {
		name, code, message string
		call                func() error
	}{
		{"DescribeExecution", "InvalidArn", invalidArn, func() error {
			_, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
			return err
		}},
		{"GetExecutionHistory", "InvalidArn", invalidArn, func() error {
			_, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, ReverseOrder: true})
			return err
		}},
		{"StopExecution", "InvalidArn", invalidArn, func() error {
			_, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn})
			return err
		}},
		{"ListExecutions", "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine: EXPRESS", func() error {
			_, err := env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			var apiErr smithy.APIError
			if err := c.call(); !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.code || apiErr.ErrorMessage() != c.message {
				t.Errorf("got %v, want %s: %s", err, c.code, c.message)
			}
		})
	}
}

// An EXPRESS machine may not wait for a callback or a job: CreateStateMachine refuses it with
// AWS's messages (AWS-recorded: LocalStack's test_sfn_api_express.snapshot.json,
// test_illegal_callbacks, on its templates SNS_PUBLIC_WAIT_FOR_TASK_TOKEN and
// SFN_START_EXECUTION_SYNC), wherever the task is; a STANDARD machine may.
func TestExpressRefusesCallbacks(t *testing.T) {
	env := newTestEnv(t, Config{})
	tests := []struct{ name, definition, message string }{
		{"WAIT_FOR_TASK_TOKEN", `{"StartAt":"Publish","States":{"Publish":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
			"Parameters":{"TopicArn.$":"$.TopicArn","Message":{"TaskToken.$":"$$.Task.Token"}},"End":true}}}`,
			"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/Publish/Resource'"},
		{"SYNC", strings.Replace(startTemplate, "%s", ".sync", 1),
			"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/StartExecution/Resource'"},
		{"SYNC:2 in a Parallel branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"S","States":{
			"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"x"},"End":true}}}]}}}`,
			"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/P/Branches[0]/States/S/Resource'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String("E"),
				Definition: aws.String(tt.definition), RoleArn: aws.String(testRole), Type: types.StateMachineTypeExpress})
			var invalid *types.InvalidDefinition
			if !errors.As(err, &invalid) || aws.ToString(invalid.Message) != tt.message {
				t.Fatalf("CreateStateMachine: %v\nwant InvalidDefinition %q", err, tt.message)
			}
			env.createMachine(t, "S"+strings.NewReplacer(" ", "", ":", "").Replace(tt.name), tt.definition, types.StateMachineTypeStandard)
		})
	}
}
