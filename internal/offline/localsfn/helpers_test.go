package localsfn

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stepgate/stepgate/internal/devtools/sdktest"
	"github.com/stepgate/stepgate/internal/offline/asl"
)

const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
	testRole    = "arn:aws:iam::123456789012:role/StatesExecutionRole"
)

// Definitions used across the tests. They need nothing from the Invoker.
const (
	passDefinition = `{"StartAt":"One","States":{
		"One":{"Type":"Pass","Result":{"step":1},"ResultPath":"$.one","Next":"Two"},
		"Two":{"Type":"Pass","Result":{"step":2},"ResultPath":"$.two","Next":"Three"},
		"Three":{"Type":"Pass","Result":{"step":3},"ResultPath":"$.three","End":true}}}`
	// waitDefinition stays RUNNING until it is stopped (the wait is far longer than any test).
	waitDefinition = `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":86400,"End":true}}}`
	failDefinition = `{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"InstanceNotFound","Cause":"no such instance"}}}`
	// contextDefinition reports the context object's fields the service fills in.
	contextDefinition = `{"StartAt":"Ctx","States":{"Ctx":{"Type":"Pass","Parameters":{
		"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","startTime.$":"$$.Execution.StartTime",
		"roleArn.$":"$$.Execution.RoleArn","input.$":"$$.Execution.Input",
		"machineId.$":"$$.StateMachine.Id","machineName.$":"$$.StateMachine.Name"},"End":true}}}`
)

// askDefinition waits for a person: its callback task hands its token to the test's worker.
const askDefinition = `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
	"Parameters":{"QueueUrl":"q","MessageBody":{"TaskToken.$":"$$.Task.Token","input.$":"$"}},"End":true}}}`

// workerQueue stands for the queue a callback task writes to: each request goes to the test,
// which plays the worker.
type workerQueue chan asl.TaskRequest

func (q workerQueue) Invoke(_ context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	q <- req
	return json.RawMessage(`{"MessageId":"m-1"}`), nil
}

// testEnv is a Service behind an httptest server and a real SDK client pointed at it.
type testEnv struct {
	svc    *Service
	srv    *httptest.Server
	client *sfn.Client
}

func newTestEnv(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	cfg.Region, cfg.AccountID = testRegion, testAccount
	svc := New(cfg)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
	})
	return &testEnv{svc: svc, srv: srv, client: newClient(srv)}
}

// newClient builds an SDK client for the test server: no retries (each call is one request, so
// fault tests see every injected error), hence sdktest's HTTP client, and no "sync-" host prefix,
// which would otherwise turn 127.0.0.1 into sync-127.0.0.1 for StartSyncExecution.
func newClient(srv *httptest.Server) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:       sdktest.HTTPClient(srv.Client()),
		RetryMaxAttempts: 1,
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
}

func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// createMachine registers a state machine through the SDK and returns its ARN.
func (e *testEnv) createMachine(t testing.TB, name, definition string, typ types.StateMachineType) string {
	t.Helper()
	out, err := e.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(definition), RoleArn: aws.String(testRole),
		Type: typ,
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

// waitFinished blocks until the service has recorded the end of a STANDARD execution. It has no
// deadline of its own (the test's -timeout bounds a hung engine): a loaded machine makes it wait
// longer, never fail.
func (e *testEnv) waitFinished(t testing.TB, executionARN string) {
	t.Helper()
	e.svc.mu.Lock()
	ex, ok := e.svc.executions[executionARN]
	e.svc.mu.Unlock()
	if !ok {
		t.Fatalf("execution %s is not stored", executionARN)
	}
	<-ex.finishedDone
}

// errorCode is the AWS error code of an SDK error, or "" for success.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return "non-API error: " + err.Error()
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := errorCode(err); got != want {
		t.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}
