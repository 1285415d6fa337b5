// Package statemachines_test unit-tests states of the workflows in this folder, one state at a
// time, with Step Functions' TestState API on the offline stack's endpoint:
//
//	make local    # in another terminal
//	AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 \
//	  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test go test ./statemachines/
//
// Without AWS_ENDPOINT_URL they skip; internal/offline's TestStateUnitTestsOffline runs them
// against a stack of its own. A mocked state needs nothing but the definition, so the mocked cases
// pass on AWS too.
package statemachines_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/awsclient"
)

// Local names: make local's function ARN for the template's Ec2ToggleFunction, and a role (any
// ARN will do locally; TestState wants one for a task it really calls).
const (
	ec2ToggleARN = "arn:aws:lambda:us-east-1:123456789012:function:Ec2ToggleFunction"
	roleARN      = "arn:aws:iam::123456789012:role/StepgateTestState"
	instance     = "i-0123456789abcdef0"
)

func TestExpressStates(t *testing.T) {
	client := testStateClient(t)
	definition := readDefinition(t, "express.asl.json")
	checked := func(state string) string {
		return `{"instance_id":"` + instance + `","action":"toggle","attempt":0,"check":{"instance_id":"` + instance + `","state":"` + state + `"}}`
	}
	tests := []struct {
		name  string
		in    sfn.TestStateInput
		check func(t *testing.T, out *sfn.TestStateOutput)
	}{
		{
			name: "Decide starts a stopped instance",
			in:   sfn.TestStateInput{StateName: aws.String("Decide"), Input: aws.String(checked("stopped"))},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				wantNext(t, out, "Start")
			},
		},
		{
			name: "Decide gives up on an instance still in transition after three attempts",
			in: sfn.TestStateInput{StateName: aws.String("Decide"),
				Input: aws.String(strings.Replace(checked("pending"), `"attempt":0`, `"attempt":3`, 1))},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				wantNext(t, out, "InstanceInTransition")
			},
		},
		{
			name: "Check puts the instance's state under check",
			in: sfn.TestStateInput{StateName: aws.String("Check"), Input: aws.String(`{"instance_id":"` + instance + `","action":"stop","attempt":0}`),
				Mock:            &types.MockInput{Result: aws.String(`{"instance_id":"` + instance + `","state":"running"}`)},
				InspectionLevel: types.InspectionLevelDebug},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				wantNext(t, out, "Decide")
				if got, want := aws.ToString(out.InspectionData.AfterParameters), `{"operation":"check","instance_id":"`+instance+`"}`; got != want {
					t.Errorf("the function's input = %s, want %s", got, want)
				}
				if got := field(t, aws.ToString(out.Output), "check", "state"); got != "running" {
					t.Errorf("check.state = %v in %s", got, aws.ToString(out.Output))
				}
			},
		},
		{
			name: "Check retries the Lambda service's errors, twice as late each time",
			in: sfn.TestStateInput{StateName: aws.String("Check"), Input: aws.String(`{"instance_id":"` + instance + `"}`),
				Mock:               &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Lambda.ServiceException"), Cause: aws.String("throttled")}},
				StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(1)}, InspectionLevel: types.InspectionLevelDebug},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				details := out.InspectionData.ErrorDetails
				if out.Status != types.TestExecutionStatusRetriable || details == nil || aws.ToInt32(details.RetryBackoffIntervalSeconds) != 2 {
					t.Errorf("status %s, error details %+v; want RETRIABLE after 2 s", out.Status, details)
				}
			},
		},
		{
			name: "Check fails once its retries are used up",
			in: sfn.TestStateInput{StateName: aws.String("Check"), Input: aws.String(`{"instance_id":"` + instance + `"}`),
				Mock:               &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Lambda.ServiceException")}},
				StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(3)}},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				if out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "Lambda.ServiceException" {
					t.Errorf("status %s %s, want FAILED Lambda.ServiceException", out.Status, aws.ToString(out.Error))
				}
			},
		},
		{
			name: "Check calls the ec2toggle function",
			in: sfn.TestStateInput{StateName: aws.String("Check"), Input: aws.String(`{"instance_id":"` + instance + `","action":"check"}`),
				RoleArn: aws.String(roleARN)},
			check: func(t *testing.T, out *sfn.TestStateOutput) {
				wantNext(t, out, "Decide")
				if got := field(t, aws.ToString(out.Output), "check", "instance_id"); got != instance {
					t.Errorf("check = %s", aws.ToString(out.Output))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Definition = aws.String(definition)
			out, err := client.TestState(context.Background(), &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, out)
		})
	}
}

// testStateClient is a Step Functions client for the endpoint in AWS_ENDPOINT_URL (awsclient
// turns off the "sync-" host prefix TestState's endpoint trait asks for).
func testStateClient(t *testing.T) *sfn.Client {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("AWS_ENDPOINT_URL is not set: run make local, then AWS_ENDPOINT_URL=http://127.0.0.1:4566 go test ./statemachines/")
	}
	cfg, err := awsclient.LoadConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return awsclient.NewSFN(cfg)
}

// readDefinition reads a workflow's definition with make local's names in place of the
// template's substitutions.
func readDefinition(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "${Ec2ToggleFunctionArn}", ec2ToggleARN)
}

func wantNext(t *testing.T, out *sfn.TestStateOutput, next string) {
	t.Helper()
	if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != next {
		t.Errorf("status %s, next %q (%s: %s); want SUCCEEDED, next %q", out.Status, aws.ToString(out.NextState),
			aws.ToString(out.Error), aws.ToString(out.Cause), next)
	}
}

// field reads a member of a JSON object's member.
func field(t *testing.T, text string, keys ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}
