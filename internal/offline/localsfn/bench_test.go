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

// BenchmarkTestState measures TestState calls: through the SDK client and HTTP (what a test
// suite pays per call against make local's endpoint) and on the Service directly (the engine and
// the request's checks), for a Choice state, a mocked lambda:invoke Task with its input and
// output processing at DEBUG, and a JSONata Pass state. calls/s is b.N over the elapsed time;
// `-cpu 1` runs it on one core.
func BenchmarkTestState(b *testing.B) {
	env := newTestEnv(b, Config{})
	cases := []struct {
		name string
		in   sfn.TestStateInput
	}{
		{"Choice", sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Choice","Choices":[{"Variable":"$.state","StringEquals":"running","Next":"Stop"},{"And":[{"Variable":"$.state","StringEquals":"stopped"},{"Variable":"$.attempt","NumericLessThan":3}],"Next":"Start"}],"Default":"Wait"}`),
			Input:      aws.String(`{"instance_id":"i-0123456789abcdef0","state":"stopped","attempt":1}`),
		}},
		{"mocked Task at DEBUG", sfn.TestStateInput{
			Definition:      aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload":{"instance_id.$":"$.instance_id","operation":"check"}},"ResultSelector":{"code.$":"$.StatusCode","state.$":"States.StringToJson($.Payload)"},"ResultPath":"$.check","Retry":[{"ErrorEquals":["Lambda.ServiceException"]}],"Next":"Decide"}`),
			Input:           aws.String(`{"instance_id":"i-0123456789abcdef0","action":"toggle"}`),
			Mock:            &types.MockInput{Result: aws.String(`{"StatusCode":200,"Payload":"{\"state\":\"stopped\"}"}`)},
			InspectionLevel: types.InspectionLevelDebug,
		}},
		{"JSONata Pass", sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Pass","QueryLanguage":"JSONata","Output":{"total":"{% $sum($states.input.items.price) %}","n":"{% $count($states.input.items) %}"},"Assign":{"seen":"{% $states.input.id %}"},"End":true}`),
			Input:      aws.String(`{"id":"o-1","items":[{"price":3},{"price":4.5},{"price":10}]}`),
		}},
	}
	ctx := context.Background()
	for _, c := range cases {
		for _, via := range []struct {
			name string
			call func(context.Context, *sfn.TestStateInput, ...func(*sfn.Options)) (*sfn.TestStateOutput, error)
		}{{"SDK over HTTP", env.client.TestState}, {"Service", env.svc.TestState}} {
			b.Run(c.name+"/"+via.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					out, err := via.call(ctx, &c.in)
					if err != nil {
						b.Fatal(err)
					}
					if out.Status != types.TestExecutionStatusSucceeded {
						b.Fatalf("status %s: %s", out.Status, aws.ToString(out.Cause))
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
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
