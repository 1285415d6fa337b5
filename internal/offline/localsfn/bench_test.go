package localsfn

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// BenchmarkStartSyncExecution measures one StartSyncExecution of a three-state Pass machine
// through the SDK client and HTTP, the path the start function takes in the offline stack.
func BenchmarkStartSyncExecution(b *testing.B) {
	env := newTestEnv(b, Config{})
	machine := env.createMachine(b, "Pass", passDefinition, types.StateMachineTypeExpress)
	in := &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(machine),
		Input:           aws.String(`{"instance_id":"i-0123456789abcdef0","action":"toggle"}`),
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := env.client.StartSyncExecution(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if out.Status != types.SyncExecutionStatusSucceeded {
			b.Fatalf("status %s: %s", out.Status, aws.ToString(out.Cause))
		}
	}
}
