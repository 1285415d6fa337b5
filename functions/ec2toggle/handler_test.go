package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/internal/app/workflow"
	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
)

const testInstance = "i-0123456789abcdef0"

// fakeEC2 is a one-instance EC2: DescribeInstances reports state; Start/Stop answer canned
// transitions or errors.
type fakeEC2 struct {
	state       types.InstanceStateName
	describeErr error
	changeErr   error
	calls       []string
}

func (f *fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.calls = append(f.calls, "DescribeInstances")
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	if len(in.InstanceIds) != 1 || in.InstanceIds[0] != testInstance || f.state == "" {
		return &ec2.DescribeInstancesOutput{}, nil
	}
	return &ec2.DescribeInstancesOutput{Reservations: []types.Reservation{{Instances: []types.Instance{{
		InstanceId: aws.String(testInstance), State: &types.InstanceState{Name: f.state},
	}}}}}, nil
}

func (f *fakeEC2) change(ids []string, to types.InstanceStateName) ([]types.InstanceStateChange, error) {
	if f.changeErr != nil {
		return nil, f.changeErr
	}
	return []types.InstanceStateChange{{
		InstanceId:    aws.String(ids[0]),
		PreviousState: &types.InstanceState{Name: f.state},
		CurrentState:  &types.InstanceState{Name: to},
	}}, nil
}

func (f *fakeEC2) StartInstances(_ context.Context, in *ec2.StartInstancesInput, _ ...func(*ec2.Options)) (*ec2.StartInstancesOutput, error) {
	f.calls = append(f.calls, "StartInstances")
	c, err := f.change(in.InstanceIds, types.InstanceStateNamePending)
	return &ec2.StartInstancesOutput{StartingInstances: c}, err
}

func (f *fakeEC2) StopInstances(_ context.Context, in *ec2.StopInstancesInput, _ ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error) {
	f.calls = append(f.calls, "StopInstances")
	c, err := f.change(in.InstanceIds, types.InstanceStateNameStopping)
	return &ec2.StopInstancesOutput{StoppingInstances: c}, err
}

func ec2Error(code string) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "Op", Err: &smithy.GenericAPIError{Code: code, Message: "detail"}}
}

func newTestHandler(t testing.TB, f *fakeEC2) *Handler {
	t.Helper()
	allow, err := workflow.ParseAllowlist(testInstance)
	if err != nil {
		t.Fatal(err)
	}
	return NewHandler(allow, f, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

// reportedType is the errorType aws-lambda-go will report for err: the runtime's own rule
// (lambda/errors.go), repeated here so that a wrapped error fails the test.
func reportedType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name      string
		payload   string
		fake      *fakeEC2
		want      string // JSON result
		wantType  string // reported errorType
		wantCalls []string
	}{
		{name: "check stopped", payload: `{"operation":"check","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{state: "stopped"},
			want: `{"instance_id":"i-0123456789abcdef0","state":"stopped"}`, wantCalls: []string{"DescribeInstances"}},
		{name: "check terminated is a state, not an error", payload: `{"operation":"check","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{state: "terminated"},
			want: `{"instance_id":"i-0123456789abcdef0","state":"terminated"}`, wantCalls: []string{"DescribeInstances"}},
		{name: "check with extra fields", payload: `{"operation":"check","instance_id":"i-0123456789abcdef0","attempt":2}`, fake: &fakeEC2{state: "running"},
			want: `{"instance_id":"i-0123456789abcdef0","state":"running"}`, wantCalls: []string{"DescribeInstances"}},
		{name: "start", payload: `{"operation":"start","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{state: "stopped"},
			want: `{"instance_id":"i-0123456789abcdef0","previous_state":"stopped","action":"start","current_state":"pending"}`, wantCalls: []string{"StartInstances"}},
		{name: "stop", payload: `{"operation":"stop","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{state: "running"},
			want: `{"instance_id":"i-0123456789abcdef0","previous_state":"running","action":"stop","current_state":"stopping"}`, wantCalls: []string{"StopInstances"}},
		{name: "check unknown instance", payload: `{"operation":"check","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{describeErr: ec2Error("InvalidInstanceID.NotFound")},
			wantType: "InstanceNotFound", wantCalls: []string{"DescribeInstances"}},
		{name: "check malformed per EC2", payload: `{"operation":"check","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{describeErr: ec2Error("InvalidInstanceID.Malformed")},
			wantType: "InstanceNotFound", wantCalls: []string{"DescribeInstances"}},
		{name: "check empty answer", payload: `{"operation":"check","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{},
			wantType: "InstanceNotFound", wantCalls: []string{"DescribeInstances"}},
		{name: "start unknown instance", payload: `{"operation":"start","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{changeErr: ec2Error("InvalidInstanceID.NotFound")},
			wantType: "InstanceNotFound", wantCalls: []string{"StartInstances"}},
		{name: "stop while pending", payload: `{"operation":"stop","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{state: "pending", changeErr: ec2Error("IncorrectInstanceState")},
			wantType: "InstanceInTransition", wantCalls: []string{"StopInstances", "DescribeInstances"}},
		{name: "start terminated", payload: `{"operation":"start","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{state: "terminated", changeErr: ec2Error("IncorrectInstanceState")},
			wantType: "InstanceTerminated", wantCalls: []string{"StartInstances", "DescribeInstances"}},
		{name: "not allowed", payload: `{"operation":"stop","instance_id":"i-0fedcba9876543210"}`, fake: &fakeEC2{state: "running"},
			wantType: "InstanceNotAllowed"},
		{name: "unknown operation", payload: `{"operation":"reboot","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{}, wantType: "InvalidTaskInput"},
		{name: "missing operation", payload: `{"instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{}, wantType: "InvalidTaskInput"},
		{name: "bad instance ID", payload: `{"operation":"check","instance_id":"i-XYZ"}`, fake: &fakeEC2{}, wantType: "InvalidTaskInput"},
		{name: "not an object", payload: `["check"]`, fake: &fakeEC2{}, wantType: "InvalidTaskInput"},
		{name: "not JSON", payload: `{`, fake: &fakeEC2{}, wantType: "InvalidTaskInput"},
		{name: "other EC2 error is wrapped", payload: `{"operation":"check","instance_id":"i-0123456789abcdef0"}`, fake: &fakeEC2{describeErr: ec2Error("UnauthorizedOperation")},
			wantType: "wrapError", wantCalls: []string{"DescribeInstances"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newTestHandler(t, tc.fake).Handle(context.Background(), json.RawMessage(tc.payload))
			if fmt.Sprint(tc.fake.calls) != fmt.Sprint(tc.wantCalls) {
				t.Errorf("calls = %v, want %v", tc.fake.calls, tc.wantCalls)
			}
			if tc.wantType != "" {
				if err == nil {
					t.Fatalf("no error; result %v", got)
				}
				if typ := reportedType(err); typ != tc.wantType {
					t.Fatalf("errorType = %s, want %s (%v)", typ, tc.wantType, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(got)
			if string(data) != tc.want {
				t.Errorf("result = %s, want %s", data, tc.want)
			}
		})
	}
}

// TestErrorTypeNames pins the type names to the names the state machines match in ErrorEquals
// (docs/architecture.md): renaming a type, or returning it by a wrapper, breaks the contract.
func TestErrorTypeNames(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&InstanceNotFound{InstanceID: testInstance}, "InstanceNotFound"},
		{&InstanceNotAllowed{InstanceID: testInstance}, "InstanceNotAllowed"},
		{&InstanceInTransition{InstanceID: testInstance, State: "pending"}, "InstanceInTransition"},
		{&InstanceTerminated{InstanceID: testInstance, State: "terminated"}, "InstanceTerminated"},
		{&InvalidTaskInput{Reason: "x"}, "InvalidTaskInput"},
		{fmt.Errorf("context: %w", &InstanceNotFound{}), "wrapError"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := reportedType(tc.err); got != tc.want {
				t.Errorf("errorType = %q, want %q", got, tc.want)
			}
			if got := errorType(tc.err); tc.want != "wrapError" && got != tc.want {
				t.Errorf("logged errorType = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMisconfigured(t *testing.T) {
	_, err := workflow.ParseAllowlist("")
	if err == nil {
		t.Fatal("empty allowlist accepted")
	}
	_, err = Misconfigured(err, slog.New(slog.NewJSONHandler(io.Discard, nil))).
		Handle(context.Background(), json.RawMessage(`{"operation":"check","instance_id":"i-0123456789abcdef0"}`))
	if err == nil {
		t.Fatal("a misconfigured task succeeded")
	}
}

// fixtureResult is the expected outcome of every ec2toggle-* fixture: a result's JSON keys, or an
// errorType. A fixture without a row fails the test.
var fixtureResult = map[string]string{
	"ec2toggle-check.json":             "ok",
	"ec2toggle-start.json":             "ok",
	"ec2toggle-stop.json":              "ok",
	"ec2toggle-unknown-operation.json": "InvalidTaskInput",
	"ec2toggle-bad-instance-id.json":   "InvalidTaskInput",
	"ec2toggle-not-object.json":        "InvalidTaskInput",
	"ec2toggle-not-allowed.json":       "InstanceNotAllowed",
}

func TestFixtures(t *testing.T) {
	files, err := samtemplate.RepoFixtures("../..", "Ec2ToggleFunction")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := fixtureResult[name]
			if !ok {
				t.Fatalf("no expectation for %s in fixtureResult", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = newTestHandler(t, &fakeEC2{state: "running"}).Handle(context.Background(), data)
			got := "ok"
			if err != nil {
				got = reportedType(err)
			}
			if got != want {
				t.Errorf("outcome = %s (%v), want %s", got, err, want)
			}
		})
	}
	if len(files) != len(fixtureResult) {
		t.Errorf("%d fixtures for %d expectations", len(files), len(fixtureResult))
	}
}
