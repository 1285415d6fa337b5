package localsfn

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline/asl"
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

// BenchmarkCallbackRoundTrip measures SendTaskSuccess → the execution leaves the waiting task:
// from the SDK client's call over HTTP to the engine's TaskStateExited event (the event a
// watcher sees). Each execution is started and its task submitted outside the timer; p50-µs
// and p90-µs are the distribution's percentiles.
func BenchmarkCallbackRoundTrip(b *testing.B) {
	worker := make(workerQueue, 1)
	exited := make(chan struct{}, 1)
	env := newTestEnv(b, Config{Invoker: worker, OnExecutionEvent: func(_ string, ev asl.HistoryEvent) {
		if ev.Type == "TaskStateExited" {
			exited <- struct{}{}
		}
	}})
	machine := env.createMachine(b, "Ask", askDefinition, types.StateMachineTypeStandard)
	ctx := context.Background()
	var took []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if _, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)}); err != nil {
			b.Fatal(err)
		}
		token := (<-worker).TaskToken
		b.StartTimer()
		began := time.Now()
		if _, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"approved":true}`)}); err != nil {
			b.Fatal(err)
		}
		<-exited
		took = append(took, time.Since(began))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*9/10].Microseconds()), "p90-µs")
}
