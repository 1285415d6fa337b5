package localsfn

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

const (
	slowFunction = "arn:aws:lambda:us-east-1:123456789012:function:lambda_1_func"
	sendMessage  = "arn:aws:states:::sqs:sendMessage"
)

// nestedEnv is a Service whose Task states start its own executions, with a Lambda function
// that outlasts any timeout and a queue the test reads, run by the Go methods in the caller's
// synctest bubble.
type nestedEnv struct {
	svc   *Service
	queue chan asl.TaskRequest
}

func newNestedEnv(t *testing.T) *nestedEnv {
	t.Helper()
	env := &nestedEnv{queue: make(chan asl.TaskRequest, 1)}
	env.svc = New(Config{Region: testRegion, AccountID: testAccount, Invoker: asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		switch {
		case strings.HasPrefix(req.Resource, StartExecutionResource):
			return env.svc.StartExecutionTask(ctx, req)
		case req.Resource == slowFunction:
			<-ctx.Done()
			return nil, ctx.Err()
		case req.Resource == sendMessage:
			env.queue <- req
			return json.RawMessage(`{"MessageId":"m-1"}`), nil
		}
		return nil, asl.ErrUnknownResource
	})})
	t.Cleanup(env.svc.Close)
	return env
}

func (env *nestedEnv) create(t *testing.T, name, definition string, typ types.StateMachineType) string {
	t.Helper()
	out, err := env.svc.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(definition), RoleArn: aws.String(testRole), Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.StateMachineArn)
}

// run starts machine on input and waits for it to end.
func (env *nestedEnv) run(t *testing.T, machine, input string) (*sfn.DescribeExecutionOutput, []types.HistoryEvent) {
	t.Helper()
	ctx := context.Background()
	started, err := env.svc.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(input)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := env.svc.ExecutionDone(aws.ToString(started.ExecutionArn))
	if err != nil {
		t.Fatal(err)
	}
	<-done
	return env.describe(t, aws.ToString(started.ExecutionArn)), env.history(t, aws.ToString(started.ExecutionArn))
}

func (env *nestedEnv) describe(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	out, err := env.svc.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (env *nestedEnv) history(t *testing.T, arn string) []types.HistoryEvent {
	t.Helper()
	out, err := env.svc.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Events
}

// nestedRecorded is one nested execution AWS ran and recorded, transcribed from LocalStack's
// AWS-validated snapshot tests (localstack/localstack, tests/aws/services/stepfunctions/v2/
// callback/test_callback.snapshot.json, services/test_sfn_task_service.snapshot.json and
// error_handling/test_task_service_sfn.snapshot.json, with the definitions of
// tests/aws/services/stepfunctions/templates), with this endpoint's account and region in the
// ARNs. Outputs and causes are compared as JSON values without the SDK's HTTP metadata (which
// LocalStack does not compare either) and with the dates replaced, as LocalStack's snapshots
// replace them.
type nestedRecorded struct {
	name, source  string
	child         string // the started machine's definition; "" for none
	parent, input string // CHILD in input is the child machine's ARN
	types         []string
	status, error string
	output, cause string // the parent's; <request_id> matches any UUID
	submitted     string // TaskSubmitted's output, when the task is a callback one
}

const (
	childARN       = "arn:aws:states:us-east-1:123456789012:stateMachine:Child"
	childExecution = "arn:aws:states:us-east-1:123456789012:execution:Child:TestStartTarget"

	passResult    = `{"Comment":"BASE_PASS_RESULT","StartAt":"State_1","States":{"State_1":{"Type":"Pass","Result":{"Arg1":"argument1"},"End":true}}}`
	raiseFailure  = `{"Comment":"BASE_RAISE_FAILURE","StartAt":"FailState","States":{"FailState":{"Type":"Fail","Error":"SomeFailure","Cause":"This state machines raises a 'SomeFailure' failure."}}}`
	startTemplate = `{"StartAt":"StartExecution","States":{"StartExecution":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution%s",
		"Parameters":{"StateMachineArn.$":"$.StateMachineArn","Input.$":"$.Input","Name.$":"$.Name"},"End":true}}}`
	startInput = `{"StateMachineArn":"CHILD","Input":null,"Name":"TestStartTarget"}`
)

var (
	startedChild = `{"ExecutionArn":"` + childExecution + `","StartDate":"start-date"}`
	syncAnswered = []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	syncFailed   = []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskFailed", "ExecutionFailed"}
)

var nestedRecordedCases = []nestedRecorded{
	{
		name: "startExecution", source: "services/test_sfn_task_service.py::test_start_execution",
		child: passResult, parent: strings.Replace(startTemplate, "%s", "", 1), input: startInput,
		types:  []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
		status: "SUCCEEDED", output: startedChild,
	},
	{
		name: "startExecution with a JSON input", source: "services/test_sfn_task_service.py::test_start_execution_input_json",
		child: passResult, parent: strings.Replace(startTemplate, "%s", "", 1), input: `{"StateMachineArn":"CHILD","Input":{"Hello":"World"},"Name":"TestStartTarget"}`,
		types:  []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
		status: "SUCCEEDED", output: startedChild,
	},
	{
		name: "startExecution.sync", source: "callback/test_callback.py::test_start_execution_sync",
		child: passResult, parent: strings.Replace(startTemplate, "%s", ".sync", 1), input: startInput,
		types: syncAnswered, status: "SUCCEEDED", submitted: startedChild,
		output: `{"ExecutionArn":"` + childExecution + `","Input":"{}","InputDetails":{"Included":true},"Name":"TestStartTarget","Output":"{\"Arg1\":\"argument1\"}",
			"OutputDetails":{"Included":true},"StartDate":"start-date","StateMachineArn":"` + childARN + `","Status":"SUCCEEDED","StopDate":"stop-date"}`,
	},
	{
		name: "startExecution.sync:2", source: "callback/test_callback.py::test_start_execution_sync2",
		child: passResult, parent: strings.Replace(startTemplate, "%s", ".sync:2", 1), input: startInput,
		types: syncAnswered, status: "SUCCEEDED", submitted: startedChild,
		output: `{"ExecutionArn":"` + childExecution + `","Input":{},"InputDetails":{"Included":true},"Name":"TestStartTarget","Output":{"Arg1":"argument1"},
			"OutputDetails":{"Included":true},"StartDate":"start-date","StateMachineArn":"` + childARN + `","Status":"SUCCEEDED","StopDate":"stop-date"}`,
	},
	{
		name: "startExecution.sync, the child fails", source: "callback/test_callback.py::test_start_execution_sync_delegate_failure",
		child: raiseFailure, parent: strings.Replace(startTemplate, "%s", ".sync", 1), input: startInput,
		types: syncFailed, status: "FAILED", error: "States.TaskFailed", submitted: startedChild,
		cause: `{"Cause":"This state machines raises a 'SomeFailure' failure.","Error":"SomeFailure","ExecutionArn":"` + childExecution + `","Input":"{}",
			"InputDetails":{"Included":true},"Name":"TestStartTarget","StartDate":"start-date","StateMachineArn":"` + childARN + `","Status":"FAILED","StopDate":"stop-date"}`,
	},
	{
		name: "startExecution.sync, the child's task times out", source: "callback/test_callback.py::test_start_execution_sync_delegate_timeout",
		child:  `{"Comment":"LAMBDA_WAIT_WITH_TIMEOUT_SECONDS","StartAt":"Start","States":{"Start":{"Type":"Task","TimeoutSeconds":5,"Resource":"` + slowFunction + `","Parameters":{"Payload.$":"$.Payload"},"End":true}}}`,
		parent: strings.Replace(startTemplate, "%s", ".sync", 1), input: `{"StateMachineArn":"CHILD","Input":{"Payload":null},"Name":"TestStartTarget"}`,
		types: syncFailed, status: "FAILED", error: "States.TaskFailed", submitted: startedChild,
		cause: `{"Error":"States.Timeout","ExecutionArn":"` + childExecution + `","Input":"{\"Payload\":null}","InputDetails":{"Included":true},"Name":"TestStartTarget",
			"StartDate":"start-date","StateMachineArn":"` + childARN + `","Status":"FAILED","StopDate":"stop-date"}`,
	},
	{
		name: "startExecution of a machine that does not exist", source: "error_handling/test_task_service_sfn.py::test_start_execution_no_such_arn",
		parent: strings.Replace(startTemplate, "%s", "", 1), input: `{"StateMachineArn":"CHILD","Input":null,"Name":"TestStartTarget"}`,
		types:  []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "ExecutionFailed"},
		status: "FAILED", error: "StepFunctions.StateMachineDoesNotExistException",
		cause: "State Machine Does Not Exist: '" + childARN + "' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: <request_id>; Proxy: null)",
	},
}

func TestAWSRecordedNestedExecutions(t *testing.T) {
	for _, c := range nestedRecordedCases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				env := newNestedEnv(t)
				if c.child != "" {
					env.create(t, "Child", c.child, types.StateMachineTypeStandard)
				}
				parent := env.create(t, "Parent", c.parent, types.StateMachineTypeStandard)
				out, events := env.run(t, parent, strings.ReplaceAll(c.input, "CHILD", childARN))
				if string(out.Status) != c.status || aws.ToString(out.Error) != c.error {
					t.Fatalf("%s %s (%s), AWS recorded %s %s\nsource: %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), c.status, c.error, c.source)
				}
				var got []string
				for _, ev := range events {
					got = append(got, string(ev.Type))
					if d := ev.TaskSubmittedEventDetails; d != nil {
						recordedJSON(t, "TaskSubmitted output", aws.ToString(d.Output), c.submitted)
					}
				}
				if !slices.Equal(got, c.types) {
					t.Errorf("history %v\nAWS recorded %v\nsource: %s", got, c.types, c.source)
				}
				if c.output != "" {
					recordedJSON(t, "output", aws.ToString(out.Output), c.output)
				}
				if c.cause != "" {
					if strings.HasPrefix(c.cause, "{") {
						recordedJSON(t, "cause", aws.ToString(out.Cause), c.cause)
					} else if !regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(c.cause), "<request_id>", "[0-9a-f-]{36}") + "$").MatchString(aws.ToString(out.Cause)) {
						t.Errorf("cause %q\nAWS recorded %q", aws.ToString(out.Cause), c.cause)
					}
				}
			})
		})
	}
}

// recordedJSON compares JSON text with a recorded value, as LocalStack's snapshots do: without
// the SDK's HTTP metadata, dates replaced.
func recordedJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s %q: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("recorded %s %q: %v", what, want, err)
	}
	if g = withoutVolatile(g); !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s\nAWS recorded %s", what, got, want)
	}
}

func withoutVolatile(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, val := range m {
		switch k {
		case "SdkHttpMetadata", "SdkResponseMetadata":
		case "StartDate":
			out[k] = "start-date"
		case "StopDate":
			out[k] = "stop-date"
		default:
			out[k] = withoutVolatile(val)
		}
	}
	return out
}

// A child's worker may answer the .sync task's own token (AWS-recorded:
// callback/test_callback.py::test_sync_with_task_token): the task completes with that output
// while the child goes on, and the child is not stopped.
func TestSyncTaskSettledByItsToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newNestedEnv(t)
		env.create(t, "Child", `{"Comment":"SQS_SEND_MESSAGE_AND_WAIT","StartAt":"SendSQS","States":{
			"SendSQS":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl.$":"$.QueueUrl","MessageBody":{"Message":"SQS_SEND_MESSAGE_AND_WAIT","TaskToken.$":"$.TaskToken"}},"Next":"WaitState"},
			"WaitState":{"Type":"Wait","Seconds":60,"End":true}}}`, types.StateMachineTypeStandard)
		parent := env.create(t, "Parent", `{"StartAt":"StartExecution","States":{"StartExecution":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync",
			"Parameters":{"StateMachineArn.$":"$.StateMachineArn","Name.$":"$.Name","Input":{"QueueUrl.$":"$.QueueUrl","TaskToken.$":"$$.Task.Token"}},"End":true}}}`, types.StateMachineTypeStandard)
		go func() {
			req := <-env.queue
			var in struct {
				MessageBody struct{ Message, TaskToken string }
			}
			if err := json.Unmarshal(req.Input, &in); err != nil {
				t.Error(err)
				return
			}
			out, _ := json.Marshal(in.MessageBody.Message)
			if _, err := env.svc.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(in.MessageBody.TaskToken), Output: aws.String(string(out))}); err != nil {
				t.Error(err)
			}
		}()
		out, events := env.run(t, parent, `{"StateMachineArn":"`+childARN+`","Name":"TestStartTarget","QueueUrl":"sqs_queue_url"}`)
		if out.Status != types.ExecutionStatusSucceeded || aws.ToString(out.Output) != `"SQS_SEND_MESSAGE_AND_WAIT"` {
			t.Fatalf("parent: %s %s", out.Status, aws.ToString(out.Output))
		}
		var got []string
		for _, ev := range events {
			got = append(got, string(ev.Type))
		}
		if !slices.Equal(got, syncAnswered) {
			t.Errorf("history %v\nAWS recorded %v", got, syncAnswered)
		}
		synctest.Wait()
		if child := env.describe(t, childExecution); child.Status != types.ExecutionStatusRunning {
			t.Errorf("child %s, want it still RUNNING (in its Wait)", child.Status)
		}
	})
}

// Stopping a parent stops the child of its .sync task (Step Functions' .sync policy grants
// states:StopExecution for that) but not the child of a .waitForTaskToken one, which lives on
// as AWS leaves it.
func TestStoppingTheParent(t *testing.T) {
	const hold = `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":86400,"End":true}}}`
	tests := []struct {
		pattern   string
		wantChild types.ExecutionStatus
	}{
		{".sync", types.ExecutionStatusAborted},
		{".sync:2", types.ExecutionStatusAborted},
		{".waitForTaskToken", types.ExecutionStatusRunning},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				env := newNestedEnv(t)
				env.create(t, "Child", hold, types.StateMachineTypeStandard)
				parent := env.create(t, "Parent", strings.Replace(startTemplate, "%s", tt.pattern, 1), types.StateMachineTypeStandard)
				started, err := env.svc.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(parent),
					Input: aws.String(strings.ReplaceAll(startInput, "CHILD", childARN))})
				if err != nil {
					t.Fatal(err)
				}
				synctest.Wait() // the parent waits in its task, the child in its Wait
				if child := env.describe(t, childExecution); child.Status != types.ExecutionStatusRunning {
					t.Fatalf("child %s before the stop", child.Status)
				}
				if _, err := env.svc.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: started.ExecutionArn, Error: aws.String("Cancelled")}); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if child := env.describe(t, childExecution); child.Status != tt.wantChild {
					t.Errorf("child %s after the parent stopped, want %s", child.Status, tt.wantChild)
				}
			})
		})
	}
}

// A .sync task may start an EXPRESS machine, whose execution cannot be described but is
// waited for all the same; a .sync task's timeout stops its child.
func TestSyncChildren(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newNestedEnv(t)
		env.create(t, "Quick", passResult, types.StateMachineTypeExpress)
		env.create(t, "Child", `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":86400,"End":true}}}`, types.StateMachineTypeStandard)
		parent := env.create(t, "Parent", `{"StartAt":"Express","States":{
			"Express":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:Quick"},
				"ResultSelector":{"out.$":"$.Output","status.$":"$.Status"},"Next":"Slow"},
			"Slow":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","TimeoutSeconds":10,
				"Parameters":{"StateMachineArn":"`+childARN+`","Name":"TestStartTarget"},"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.timeout","Next":"Done"}],"End":true},
			"Done":{"Type":"Pass","End":true}}}`, types.StateMachineTypeStandard)
		out, _ := env.run(t, parent, `{}`)
		var got struct {
			Out     map[string]string
			Status  string
			Timeout struct{ Error string }
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil || got.Out["Arg1"] != "argument1" || got.Status != "SUCCEEDED" || got.Timeout.Error != "States.Timeout" {
			t.Errorf("output %s (%v), want the express child's output, then the second task's timeout", aws.ToString(out.Output), err)
		}
		synctest.Wait()
		if child := env.describe(t, childExecution); child.Status != types.ExecutionStatusAborted {
			t.Errorf("the timed-out task's child is %s, want ABORTED", child.Status)
		}
	})
}
