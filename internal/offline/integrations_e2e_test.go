package offline_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline"
)

// integrationsStack starts testdata/integrations.yaml with a mock configuration.
func integrationsStack(t *testing.T, mocks string, defaults map[string]string) *offline.Stack {
	t.Helper()
	return startStack(t, func(c *offline.Config) {
		c.Template = filepath.Join("testdata", "integrations.yaml")
		c.MockConfig = mocks
		c.MockTestCases = defaults
	})
}

// sfnClient is an SDK client of the stack's AWS endpoint, as any tool would use it.
func sfnClient(s *offline.Stack) *sfn.Client {
	return sfn.New(sfn.Options{
		Region: offline.Region, BaseEndpoint: aws.String(s.AWSURL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), RetryMaxAttempts: 1,
	})
}

// runToEnd starts an execution through the AWS endpoint and waits for its end.
func runToEnd(t *testing.T, s *offline.Stack, machineARN, input string) *sfn.DescribeExecutionOutput {
	t.Helper()
	client := sfnClient(s)
	started, err := client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machineARN), Input: aws.String(input)})
	if err != nil {
		t.Fatal(err)
	}
	return waitEnd(t, s, aws.ToString(started.ExecutionArn))
}

// waitEnd waits for the execution's end event, then describes it through the endpoint.
func waitEnd(t *testing.T, s *offline.Stack, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	done, err := s.SFN.ExecutionDone(arn)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	out, err := sfnClient(s).DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func historyTypes(t *testing.T, s *offline.Stack, arn string) []string {
	t.Helper()
	h, err := sfnClient(s).GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range h.Events {
		out = append(out, string(ev.Type))
	}
	return out
}

func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s %q: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s\nwant %s", what, got, want)
	}
}

// AWS's own example of Step Functions Local's mock configuration ("Using mocked service
// integrations for testing in Step Functions Local": LambdaSQSIntegration and its
// MockConfigFile.json, unchanged in internal/offline/mockconfig/testdata) runs each of its test
// cases on the offline stack, chosen as AWS documents with "<stateMachineArn>#<TestCaseName>".
func TestAWSMockExample(t *testing.T) {
	s := integrationsStack(t, filepath.Join("mockconfig", "testdata", "MockConfigFile.json"), nil)
	machine := s.StateMachineARNs["LambdaSQSIntegration"]
	sqsReturn := `{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}`

	t.Run("HappyPath: both states mocked", func(t *testing.T) {
		out := runToEnd(t, s, machine+"#HappyPath", `{"order":1}`)
		if out.Status != sfntypes.ExecutionStatusSucceeded {
			t.Fatalf("%s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		sameJSON(t, "output", aws.ToString(out.Output), sqsReturn)
		if got := aws.ToString(out.StateMachineArn); got != machine {
			t.Errorf("stateMachineArn = %s, want %s (without the test case)", got, machine)
		}
		want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
			"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
		if got := historyTypes(t, s, aws.ToString(out.ExecutionArn)); !slices.Equal(got, want) {
			t.Errorf("history %v\nwant %v", got, want)
		}
	})
	t.Run("RetryPath: the mocked errors are retried until invocation 3 returns", func(t *testing.T) {
		out := runToEnd(t, s, machine+"#RetryPath", `{"order":2}`)
		if out.Status != sfntypes.ExecutionStatusSucceeded {
			t.Fatalf("%s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		sameJSON(t, "output", aws.ToString(out.Output), sqsReturn)
		h, err := sfnClient(s).GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		var failures []string
		for _, ev := range h.Events {
			if d := ev.TaskFailedEventDetails; d != nil {
				failures = append(failures, aws.ToString(d.Error))
			}
		}
		want := []string{"Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"}
		if !slices.Equal(failures, want) {
			t.Errorf("the Lambda task failed with %v, want %v", failures, want)
		}
	})
	t.Run("HybridPath: SQSState calls SQS, which the offline stack does not emulate", func(t *testing.T) {
		out := runToEnd(t, s, machine+"#HybridPath", `{"order":3}`)
		cause := aws.ToString(out.Cause)
		if out.Status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" {
			t.Fatalf("%s %s %s, want FAILED States.Runtime", out.Status, aws.ToString(out.Error), cause)
		}
		// The cause names the state, the resource and the entry that mocks it.
		for _, want := range []string{"'SQSState'", "arn:aws:states:::sqs:sendMessage",
			`{"StateMachines":{"LambdaSQSIntegration":{"TestCases":{"HybridPath":{"SQSState":"MockedSQSState"}}}},"MockedResponses":{"MockedSQSState":{"0":{"Return":{}}}}}`} {
			if !strings.Contains(cause, want) {
				t.Errorf("cause %q\nlacks %s", cause, want)
			}
		}
	})
	t.Run("a test case the configuration does not have", func(t *testing.T) {
		_, err := sfnClient(s).StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine + "#NoSuchCase")})
		var invalid *sfntypes.InvalidName
		if err == nil || !strings.Contains(err.Error(), "NoSuchCase") || !errors.As(err, &invalid) {
			t.Errorf("StartExecution: %v, want InvalidName naming the test case", err)
		}
	})
}

// A workflow that uses DynamoDB and SQS (mocked), a nested machine (real, its own mocks chosen
// by its default test case) and a callback (mocked: it does not wait) runs under the offline
// stack, started through the endpoint with a test case and through its HTTP route with the
// default one; a mocked Throw is retried and caught as a real error; a state no mock answers
// fails the execution with the entry to add.
func TestMockedWorkflow(t *testing.T) {
	s := integrationsStack(t, filepath.Join("testdata", "integrations-mocks.json"),
		map[string]string{"stepgate_Order": "HappyPath", "stepgate_Shipment": "Booked"})
	order := s.StateMachineARNs["OrderStateMachine"]
	shipped := `{"id":"o-1","notified":{"messageId":"5fea7756-0ea4-451a-a703-a558b933e274"},
		"shipped":{"status":"SUCCEEDED","shipment":{"booked":"booked"}},"approval":{"approved":true,"by":"ada"}}`

	tests := []struct {
		name, testCase       string
		status, error, cause string
		output               string
	}{
		{name: "every service", testCase: "HappyPath", status: "SUCCEEDED", output: shipped},
		{name: "a throttled put is retried", testCase: "SaveThrottled", status: "SUCCEEDED", output: shipped},
		{name: "a failed put is caught", testCase: "SaveConflict", status: "SUCCEEDED",
			output: `{"id":"o-1","error":{"Error":"DynamoDB.ConditionalCheckFailedException","Cause":"The conditional request failed"}}`},
		{name: "the approver rejects", testCase: "Rejected", status: "FAILED", error: "Rejected", cause: "over budget"},
		{name: "the default test case", status: "SUCCEEDED", output: shipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := order
			if tt.testCase != "" {
				arn += "#" + tt.testCase
			}
			out := runToEnd(t, s, arn, `{"id":"o-1"}`)
			if string(out.Status) != tt.status || aws.ToString(out.Error) != tt.error || aws.ToString(out.Cause) != tt.cause {
				t.Fatalf("%s %s (%s), want %s %s (%s)", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), tt.status, tt.error, tt.cause)
			}
			if tt.output != "" {
				sameJSON(t, "output", aws.ToString(out.Output), tt.output)
			}
		})
	}
	t.Run("the nested execution is a real one", func(t *testing.T) {
		list, err := sfnClient(s).ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.StateMachineARNs["ShipmentStateMachine"])})
		if err != nil || len(list.Executions) == 0 {
			t.Fatalf("ListExecutions of the shipment machine: %v, %v", list, err)
		}
		child := waitEnd(t, s, aws.ToString(list.Executions[0].ExecutionArn))
		if child.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(child.Input) != `{"order":"o-1"}` {
			t.Errorf("child: %s input %s", child.Status, aws.ToString(child.Input))
		}
	})
	t.Run("an order the HTTP route starts runs the default test case", func(t *testing.T) {
		r := call(t, s, "POST", "/orders", `{"id":"o-2"}`, "Idempotency-Key", "o-2")
		if r.status != 202 {
			t.Fatalf("POST /orders: %d %s", r.status, r.raw)
		}
		arn, _ := r.body["executionArn"].(string)
		out := waitEnd(t, s, arn)
		if out.Status != sfntypes.ExecutionStatusSucceeded {
			t.Fatalf("%s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		sameJSON(t, "output", aws.ToString(out.Output), strings.ReplaceAll(shipped, "o-1", "o-2"))
	})
	t.Run("a state no mock answers", func(t *testing.T) {
		out := runToEnd(t, s, order+"#NotifyUnmocked", `{"id":"o-3"}`)
		cause := aws.ToString(out.Cause)
		if out.Status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" {
			t.Fatalf("%s %s %s", out.Status, aws.ToString(out.Error), cause)
		}
		for _, want := range []string{"'Notify'", "arn:aws:states:::sqs:sendMessage", `"NotifyUnmocked":{"Notify":"MockedNotify"}`, `"MockedNotify":{"0":{"Return":{}}}`} {
			if !strings.Contains(cause, want) {
				t.Errorf("cause %q\nlacks %s", cause, want)
			}
		}
	})
}

// Without a mock configuration, a service the offline stack does not emulate fails the
// execution at once, naming the mock entry and how to run it: never a hang.
func TestUnmockedIntegration(t *testing.T) {
	s := integrationsStack(t, "", nil)
	out := runToEnd(t, s, s.StateMachineARNs["OrderStateMachine"], `{"id":"o-1"}`)
	cause := aws.ToString(out.Cause)
	if out.Status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" {
		t.Fatalf("%s %s %s", out.Status, aws.ToString(out.Error), cause)
	}
	for _, want := range []string{"'Save'", "arn:aws:states:::dynamodb:putItem",
		`{"StateMachines":{"stepgate_Order":{"TestCases":{"Offline":{"Save":"MockedSave"}}}},"MockedResponses":{"MockedSave":{"0":{"Return":{}}}}}`,
		"SFN_MOCK_CONFIG", "#Offline", "MOCK_TEST_CASE=stepgate_Order=Offline"} {
		if !strings.Contains(cause, want) {
			t.Errorf("cause %q\nlacks %s", cause, want)
		}
	}
	if _, err := sfnClient(s).StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARNs["OrderStateMachine"] + "#HappyPath")}); err == nil || !strings.Contains(err.Error(), "no mock configuration") {
		t.Errorf("a test case without a mock configuration: %v", err)
	}
}

// A default test case must exist: make local refuses to start otherwise.
func TestMockDefaultsAreChecked(t *testing.T) {
	tests := []struct {
		name     string
		mocks    string
		defaults map[string]string
		want     string
	}{
		{"no configuration", "", map[string]string{"stepgate_Order": "HappyPath"}, "need a mock configuration"},
		{"no such machine", filepath.Join("testdata", "integrations-mocks.json"), map[string]string{"stepgate_Nope": "HappyPath"}, `no state machine of that name`},
		{"no such test case", filepath.Join("testdata", "integrations-mocks.json"), map[string]string{"stepgate_Order": "Nope"}, `no test case "Nope"`},
		{"a broken file", filepath.Join("testdata", "integrations.yaml"), nil, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := offline.Start(context.Background(), offline.Config{
				Template: filepath.Join("testdata", "integrations.yaml"), BuildDir: buildDir,
				APIAddr: "127.0.0.1:0", AWSAddr: "127.0.0.1:0", MockConfig: tt.mocks, MockTestCases: tt.defaults,
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
