package localsfn

import (
	"context"
	"errors"
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
