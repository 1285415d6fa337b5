package localsfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

var (
	standardExecutionARN = regexp.MustCompile(`^arn:aws:states:us-east-1:123456789012:execution:[^:]+:[^:]+$`)
	expressExecutionARN  = regexp.MustCompile(`^arn:aws:states:us-east-1:123456789012:express:([^:]+):([^:]+):[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	uuidName             = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// Compile-time checks that a *Service can stand in for the SDK client where the functions use it.
var (
	_ interface {
		StartSyncExecution(context.Context, *sfn.StartSyncExecutionInput, ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error)
		StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
		DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
		StopExecution(context.Context, *sfn.StopExecutionInput, ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
	} = (*Service)(nil)
)

func TestCreateStateMachine(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	first, err := env.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("Machine"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRole),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	if got, want := aws.ToString(first.StateMachineArn), "arn:aws:states:us-east-1:123456789012:stateMachine:Machine"; got != want {
		t.Errorf("stateMachineArn = %q, want %q", got, want)
	}

	tests := []struct {
		name       string
		in         sfn.CreateStateMachineInput
		wantCode   string
		wantSameAs bool // idempotent: same ARN and creation date as the first call
	}{
		{name: "identical is idempotent", wantSameAs: true,
			in: sfn.CreateStateMachineInput{Name: aws.String("Machine"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRole)}},
		{name: "identical with another role is idempotent", wantSameAs: true,
			in: sfn.CreateStateMachineInput{Name: aws.String("Machine"), Definition: aws.String(passDefinition), RoleArn: aws.String("arn:aws:iam::123456789012:role/Other")}},
		{name: "same name, other definition", wantCode: "StateMachineAlreadyExists",
			in: sfn.CreateStateMachineInput{Name: aws.String("Machine"), Definition: aws.String(waitDefinition), RoleArn: aws.String(testRole)}},
		{name: "same name, other type", wantCode: "StateMachineAlreadyExists",
			in: sfn.CreateStateMachineInput{Name: aws.String("Machine"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRole), Type: types.StateMachineTypeExpress}},
		{name: "invalid definition", wantCode: "InvalidDefinition",
			in: sfn.CreateStateMachineInput{Name: aws.String("Bad"), Definition: aws.String(`{"States":{}}`), RoleArn: aws.String(testRole)}},
		{name: "definition not JSON", wantCode: "InvalidDefinition",
			in: sfn.CreateStateMachineInput{Name: aws.String("Bad"), Definition: aws.String(`{`), RoleArn: aws.String(testRole)}},
		{name: "name with a space", wantCode: "InvalidName",
			in: sfn.CreateStateMachineInput{Name: aws.String("my machine"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRole)}},
		{name: "name too long", wantCode: "ValidationException",
			in: sfn.CreateStateMachineInput{Name: aws.String(strings.Repeat("m", 81)), Definition: aws.String(passDefinition), RoleArn: aws.String(testRole)}},
		{name: "empty name", wantCode: "ValidationException",
			in: sfn.CreateStateMachineInput{Name: aws.String(""), Definition: aws.String(passDefinition), RoleArn: aws.String(testRole)}},
		{name: "role not an ARN", wantCode: "InvalidArn",
			in: sfn.CreateStateMachineInput{Name: aws.String("Other"), Definition: aws.String(passDefinition), RoleArn: aws.String("StatesRole")}},
		{name: "unknown type", wantCode: "ValidationException",
			in: sfn.CreateStateMachineInput{Name: aws.String("Other"), Definition: aws.String(passDefinition), RoleArn: aws.String(testRole), Type: "FAST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := env.client.CreateStateMachine(ctx, &tt.in)
			wantCode(t, err, tt.wantCode)
			if tt.wantSameAs {
				if aws.ToString(out.StateMachineArn) != aws.ToString(first.StateMachineArn) || !out.CreationDate.Equal(*first.CreationDate) {
					t.Errorf("got (%s, %v), want the first call's (%s, %v)", aws.ToString(out.StateMachineArn), out.CreationDate,
						aws.ToString(first.StateMachineArn), first.CreationDate)
				}
			}
		})
	}
}

func TestDescribeListDeleteStateMachine(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	arns := []string{
		env.createMachine(t, "Charlie", passDefinition, types.StateMachineTypeStandard),
		env.createMachine(t, "Alpha", passDefinition, types.StateMachineTypeExpress),
		env.createMachine(t, "Bravo", waitDefinition, types.StateMachineTypeStandard),
	}

	desc, err := env.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arns[1])})
	if err != nil {
		t.Fatalf("DescribeStateMachine: %v", err)
	}
	if aws.ToString(desc.Name) != "Alpha" || desc.Type != types.StateMachineTypeExpress || aws.ToString(desc.Definition) != passDefinition ||
		aws.ToString(desc.RoleArn) != testRole || desc.Status != types.StateMachineStatusActive || desc.CreationDate == nil {
		t.Errorf("DescribeStateMachine = %+v", desc)
	}

	// Two pages of two and one, in name order.
	var names []string
	var token *string
	for page := 0; ; page++ {
		out, err := env.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatalf("ListStateMachines page %d: %v", page, err)
		}
		for _, sm := range out.StateMachines {
			names = append(names, aws.ToString(sm.Name))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if got := strings.Join(names, ","); got != "Alpha,Bravo,Charlie" {
		t.Errorf("listed %s, want Alpha,Bravo,Charlie", got)
	}

	errorCases := []struct {
		name string
		call func() error
		want string
	}{
		{"list with a foreign token", func() error {
			_, err := env.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: aws.String("bm90IGEgdG9rZW4")})
			return err
		}, "InvalidToken"},
		{"list with maxResults over 1000", func() error {
			_, err := env.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1001})
			return err
		}, "ValidationException"},
		{"describe malformed ARN", func() error {
			_, err := env.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("Alpha")})
			return err
		}, "InvalidArn"},
		{"describe an execution ARN", func() error {
			_, err := env.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{
				StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:Alpha:x")})
			return err
		}, "InvalidArn"},
		{"describe unknown", func() error {
			_, err := env.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{
				StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:Nope")})
			return err
		}, "StateMachineDoesNotExist"},
		{"delete", func() error {
			_, err := env.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arns[0])})
			return err
		}, ""},
		{"describe deleted", func() error {
			_, err := env.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arns[0])})
			return err
		}, "StateMachineDoesNotExist"},
		{"delete again succeeds, as on AWS", func() error {
			_, err := env.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arns[0])})
			return err
		}, ""},
		{"delete malformed ARN", func() error {
			_, err := env.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:F")})
			return err
		}, "InvalidArn"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}
}

func TestStartExecutionValidation(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	machine := env.createMachine(t, "Standard", passDefinition, types.StateMachineTypeStandard)

	tests := []struct {
		name        string
		machine     string
		execName    *string
		input       *string
		want        string
		wantUUIDArn bool
	}{
		{name: "default name is a UUID", machine: machine, wantUUIDArn: true},
		{name: "80 characters", machine: machine, execName: aws.String(strings.Repeat("n", 80))},
		{name: "unicode letters", machine: machine, execName: aws.String("exécution-1_ok.x")},
		{name: "81 characters", machine: machine, execName: aws.String(strings.Repeat("n", 81)), want: "ValidationException"},
		{name: "empty name", machine: machine, execName: aws.String(""), want: "ValidationException"},
		{name: "space", machine: machine, execName: aws.String("a b"), want: "InvalidName"},
		{name: "tab", machine: machine, execName: aws.String("a\tb"), want: "InvalidName"},
		{name: "control character", machine: machine, execName: aws.String("a\x7fb"), want: "InvalidName"},
		{name: "C1 control character", machine: machine, execName: aws.String("a\u0085b"), want: "InvalidName"},
		{name: "bracket", machine: machine, execName: aws.String("a<b"), want: "InvalidName"},
		{name: "brace", machine: machine, execName: aws.String("a}b"), want: "InvalidName"},
		{name: "wildcard", machine: machine, execName: aws.String("a*b"), want: "InvalidName"},
		{name: "question mark", machine: machine, execName: aws.String("a?b"), want: "InvalidName"},
		{name: "colon", machine: machine, execName: aws.String("a:b"), want: "InvalidName"},
		{name: "slash", machine: machine, execName: aws.String("a/b"), want: "InvalidName"},
		{name: "backtick", machine: machine, execName: aws.String("a`b"), want: "InvalidName"},
		{name: "dollar", machine: machine, execName: aws.String("a$b"), want: "InvalidName"},
		{name: "input not JSON", machine: machine, input: aws.String("{"), want: "InvalidExecutionInput"},
		{name: "input a JSON string", machine: machine, input: aws.String(`"just text"`)},
		{name: "input over 256 KiB", machine: machine, input: aws.String(`"` + strings.Repeat("x", 256*1024) + `"`), want: "ValidationException"},
		{name: "unknown state machine", machine: "arn:aws:states:us-east-1:123456789012:stateMachine:Nope", want: "StateMachineDoesNotExist"},
		{name: "qualified state machine ARN", machine: machine + ":1:2", want: "InvalidArn"},
		{name: "not an ARN", machine: "Standard", want: "InvalidArn"},
		{name: "wrong service", machine: "arn:aws:lambda:us-east-1:123456789012:function:F", want: "InvalidArn"},
		{name: "an execution ARN", machine: "arn:aws:states:us-east-1:123456789012:execution:Standard:x", want: "InvalidArn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(tt.machine), Name: tt.execName, Input: tt.input,
			})
			wantCode(t, err, tt.want)
			if err != nil {
				return
			}
			arn := aws.ToString(out.ExecutionArn)
			if !standardExecutionARN.MatchString(arn) {
				t.Errorf("executionArn %q is not a standard execution ARN", arn)
			}
			if name := arn[strings.LastIndex(arn, ":")+1:]; tt.wantUUIDArn && !uuidName.MatchString(name) {
				t.Errorf("default name %q is not a UUID", name)
			}
		})
	}
}

func TestStartExecutionIdempotency(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	machine := env.createMachine(t, "Hold", waitDefinition, types.StateMachineTypeStandard)
	start := func(name, input string) (*sfn.StartExecutionOutput, error) {
		return env.client.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(input),
		})
	}
	first, err := start("order-1", `{"a":1}`)
	if err != nil {
		t.Fatalf("first StartExecution: %v", err)
	}

	t.Run("same name and input while running", func(t *testing.T) {
		again, err := start("order-1", `{"a":1}`)
		if err != nil {
			t.Fatalf("StartExecution: %v", err)
		}
		if aws.ToString(again.ExecutionArn) != aws.ToString(first.ExecutionArn) || !again.StartDate.Equal(*first.StartDate) {
			t.Errorf("got (%s, %v), want (%s, %v)", aws.ToString(again.ExecutionArn), again.StartDate, aws.ToString(first.ExecutionArn), first.StartDate)
		}
	})
	t.Run("same name, other input", func(t *testing.T) {
		_, err := start("order-1", `{"a":2}`)
		wantCode(t, err, "ExecutionAlreadyExists")
	})
	t.Run("same name and input once closed", func(t *testing.T) {
		if _, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: first.ExecutionArn}); err != nil {
			t.Fatalf("StopExecution: %v", err)
		}
		_, err := start("order-1", `{"a":1}`)
		wantCode(t, err, "ExecutionAlreadyExists")
	})
	t.Run("same name on another machine", func(t *testing.T) {
		other := env.createMachine(t, "Other", waitDefinition, types.StateMachineTypeStandard)
		out, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(other), Name: aws.String("order-1")})
		if err != nil {
			t.Fatalf("StartExecution: %v", err)
		}
		if aws.ToString(out.ExecutionArn) == aws.ToString(first.ExecutionArn) {
			t.Errorf("executions of two machines share the ARN %s", aws.ToString(out.ExecutionArn))
		}
	})
}

func TestStartSyncExecution(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	pass := env.createMachine(t, "ExpressPass", passDefinition, types.StateMachineTypeExpress)
	fail := env.createMachine(t, "ExpressFail", failDefinition, types.StateMachineTypeExpress)
	standard := env.createMachine(t, "StandardPass", passDefinition, types.StateMachineTypeStandard)

	t.Run("succeeded", func(t *testing.T) {
		out, err := env.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
			StateMachineArn: aws.String(pass), Name: aws.String("run-1"), Input: aws.String(`{"instance_id":"i-0123456789abcdef0"}`),
		})
		if err != nil {
			t.Fatalf("StartSyncExecution: %v", err)
		}
		m := expressExecutionARN.FindStringSubmatch(aws.ToString(out.ExecutionArn))
		if m == nil || m[1] != "ExpressPass" || m[2] != "run-1" {
			t.Errorf("executionArn %q is not an express ARN of ExpressPass/run-1", aws.ToString(out.ExecutionArn))
		}
		if out.Status != types.SyncExecutionStatusSucceeded || out.Error != nil || out.Cause != nil {
			t.Fatalf("status %s error %v cause %v, want SUCCEEDED", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
			t.Fatalf("output %q: %v", aws.ToString(out.Output), err)
		}
		if got["instance_id"] != "i-0123456789abcdef0" || got["three"] == nil {
			t.Errorf("output = %v, want the input with one, two and three added", got)
		}
		if aws.ToString(out.StateMachineArn) != pass || aws.ToString(out.Name) != "run-1" ||
			out.StartDate == nil || out.StopDate == nil || out.StopDate.Before(*out.StartDate) {
			t.Errorf("StartSyncExecution = %+v", out)
		}
		if out.BillingDetails == nil || out.BillingDetails.BilledDurationInMilliseconds < 100 || out.BillingDetails.BilledMemoryUsedInMB != 64 {
			t.Errorf("billingDetails = %+v", out.BillingDetails)
		}

		// An express execution is not describable: AWS answers InvalidArn.
		_, err = env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		wantCode(t, err, "InvalidArn")
	})
	t.Run("default name", func(t *testing.T) {
		out, err := env.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(pass)})
		if err != nil {
			t.Fatalf("StartSyncExecution: %v", err)
		}
		if m := expressExecutionARN.FindStringSubmatch(aws.ToString(out.ExecutionArn)); m == nil || !uuidName.MatchString(m[2]) {
			t.Errorf("executionArn %q has no UUID name", aws.ToString(out.ExecutionArn))
		}
	})
	t.Run("failed", func(t *testing.T) {
		out, err := env.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(fail)})
		if err != nil {
			t.Fatalf("StartSyncExecution: %v", err)
		}
		if out.Status != types.SyncExecutionStatusFailed || aws.ToString(out.Error) != "InstanceNotFound" ||
			aws.ToString(out.Cause) != "no such instance" || out.Output != nil {
			t.Errorf("got status %s error %q cause %q output %v", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), out.Output)
		}
	})
	t.Run("express names may repeat", func(t *testing.T) {
		for i := range 2 {
			if _, err := env.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(pass), Name: aws.String("same")}); err != nil {
				t.Fatalf("StartSyncExecution %d: %v", i, err)
			}
		}
	})

	errorCases := []struct {
		name string
		in   sfn.StartSyncExecutionInput
		want string
	}{
		{"standard machine", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(standard)}, "StateMachineTypeNotSupported"},
		{"unknown machine", sfn.StartSyncExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:Nope")}, "StateMachineDoesNotExist"},
		{"malformed ARN", sfn.StartSyncExecutionInput{StateMachineArn: aws.String("arn:aws:states")}, "InvalidArn"},
		{"bad name", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(pass), Name: aws.String("a|b")}, "InvalidName"},
		{"bad input", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(pass), Input: aws.String("nope")}, "InvalidExecutionInput"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.client.StartSyncExecution(ctx, &tt.in)
			wantCode(t, err, tt.want)
		})
	}
}

func TestExpressStartExecutionIsNotDescribable(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	machine := env.createMachine(t, "ExpressAsync", passDefinition, types.StateMachineTypeExpress)
	out, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("async")})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	if !expressExecutionARN.MatchString(aws.ToString(out.ExecutionArn)) {
		t.Errorf("executionArn %q is not an express ARN", aws.ToString(out.ExecutionArn))
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"DescribeExecution", func() error {
			_, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
			return err
		}, "InvalidArn"},
		{"GetExecutionHistory", func() error {
			_, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn})
			return err
		}, "InvalidArn"},
		{"StopExecution", func() error {
			_, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn})
			return err
		}, "InvalidArn"},
		{"ListExecutions", func() error {
			_, err := env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
			return err
		}, "StateMachineTypeNotSupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}
}

func TestExecutionLifecycle(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	hold := env.createMachine(t, "Hold", waitDefinition, types.StateMachineTypeStandard)
	pass := env.createMachine(t, "Pass", passDefinition, types.StateMachineTypeStandard)
	fail := env.createMachine(t, "Fail", failDefinition, types.StateMachineTypeStandard)

	running, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(hold), Name: aws.String("held"), Input: aws.String(`{"x":1}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	desc, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: running.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if desc.Status != types.ExecutionStatusRunning || desc.StopDate != nil || aws.ToString(desc.Input) != `{"x":1}` ||
		aws.ToString(desc.StateMachineArn) != hold || aws.ToString(desc.Name) != "held" || !desc.StartDate.Equal(*running.StartDate) {
		t.Errorf("DescribeExecution of a running execution = %+v", desc)
	}

	list, err := env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(hold), StatusFilter: types.ExecutionStatusRunning})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].ExecutionArn) != aws.ToString(running.ExecutionArn) {
		t.Fatalf("ListExecutions RUNNING = %+v, %v; want the held execution", list, err)
	}

	stop, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: running.ExecutionArn, Error: aws.String("Cancelled"), Cause: aws.String("by the test")})
	if err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	desc, err = env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: running.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if desc.Status != types.ExecutionStatusAborted || desc.StopDate == nil || !desc.StopDate.Equal(*stop.StopDate) ||
		aws.ToString(desc.Error) != "Cancelled" || aws.ToString(desc.Cause) != "by the test" {
		t.Errorf("DescribeExecution after stop = status %s stopDate %v error %q cause %q", desc.Status, desc.StopDate, aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}
	again, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: running.ExecutionArn})
	if err != nil || !again.StopDate.Equal(*stop.StopDate) {
		t.Errorf("second StopExecution = %v, %v; want the first stop date %v", again, err, stop.StopDate)
	}

	succeeded, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(pass), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	env.waitFinished(t, aws.ToString(succeeded.ExecutionArn))
	desc, err = env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: succeeded.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if desc.Status != types.ExecutionStatusSucceeded || desc.StopDate == nil || desc.Error != nil ||
		!strings.Contains(aws.ToString(desc.Output), `"three":{"step":3}`) {
		t.Errorf("DescribeExecution of a finished execution = status %s output %q", desc.Status, aws.ToString(desc.Output))
	}

	failed, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(fail)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	env.waitFinished(t, aws.ToString(failed.ExecutionArn))
	desc, err = env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: failed.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if desc.Status != types.ExecutionStatusFailed || aws.ToString(desc.Error) != "InstanceNotFound" || aws.ToString(desc.Cause) != "no such instance" || desc.Output != nil {
		t.Errorf("DescribeExecution of a failed execution = status %s error %q cause %q", desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}

	errorCases := []struct {
		name string
		call func() error
		want string
	}{
		{"describe unknown", func() error {
			_, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:Hold:nope")})
			return err
		}, "ExecutionDoesNotExist"},
		{"describe a state machine ARN", func() error {
			_, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(hold)})
			return err
		}, "InvalidArn"},
		{"describe garbage", func() error {
			_, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("not-an-arn")})
			return err
		}, "InvalidArn"},
		{"stop unknown", func() error {
			_, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:Hold:nope")})
			return err
		}, "ExecutionDoesNotExist"},
		{"stop with an error over 256 characters", func() error {
			_, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: running.ExecutionArn, Error: aws.String(strings.Repeat("e", 257))})
			return err
		}, "ValidationException"},
		{"list executions of unknown machine", func() error {
			_, err := env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:Nope")})
			return err
		}, "StateMachineDoesNotExist"},
		{"list executions with an unknown status", func() error {
			_, err := env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(hold), StatusFilter: "DONE"})
			return err
		}, "ValidationException"},
		{"history of unknown", func() error {
			_, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:Hold:nope")})
			return err
		}, "ExecutionDoesNotExist"},
		{"history with a token of another listing", func() error {
			_, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: running.ExecutionArn, NextToken: aws.String("R2V0RXhlY3V0aW9uSGlzdG9yeTp4AjE")})
			return err
		}, "InvalidToken"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}
}

func TestListExecutionsFilterAndPages(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	hold := env.createMachine(t, "Hold", waitDefinition, types.StateMachineTypeStandard)
	var started []string
	for _, name := range []string{"e1", "e2", "e3"} {
		out, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(hold), Name: aws.String(name)})
		if err != nil {
			t.Fatalf("StartExecution %s: %v", name, err)
		}
		started = append(started, aws.ToString(out.ExecutionArn))
	}
	if _, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(started[1])}); err != nil {
		t.Fatalf("StopExecution: %v", err)
	}

	tests := []struct {
		filter types.ExecutionStatus
		want   int
	}{
		{"", 3}, {types.ExecutionStatusRunning, 2}, {types.ExecutionStatusAborted, 1}, {types.ExecutionStatusSucceeded, 0},
	}
	for _, tt := range tests {
		t.Run("filter "+string(tt.filter), func(t *testing.T) {
			seen := map[string]bool{}
			var token *string
			for {
				out, err := env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
					StateMachineArn: aws.String(hold), StatusFilter: tt.filter, MaxResults: 1, NextToken: token,
				})
				if err != nil {
					t.Fatalf("ListExecutions: %v", err)
				}
				for _, e := range out.Executions {
					if tt.filter != "" && e.Status != tt.filter {
						t.Errorf("%s has status %s under filter %s", aws.ToString(e.ExecutionArn), e.Status, tt.filter)
					}
					if (e.Status == types.ExecutionStatusRunning) != (e.StopDate == nil) {
						t.Errorf("%s: status %s with stopDate %v", aws.ToString(e.Name), e.Status, e.StopDate)
					}
					seen[aws.ToString(e.ExecutionArn)] = true
				}
				if token = out.NextToken; token == nil {
					break
				}
			}
			if len(seen) != tt.want {
				t.Errorf("listed %d executions, want %d", len(seen), tt.want)
			}
		})
	}
}

func TestGetExecutionHistory(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	pass := env.createMachine(t, "Pass", passDefinition, types.StateMachineTypeStandard)
	out, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(pass), Input: aws.String(`{"k":"v"}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	env.waitFinished(t, aws.ToString(out.ExecutionArn))

	all, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	n := len(all.Events)
	if n < 2 || all.NextToken != nil {
		t.Fatalf("got %d events and token %v; want at least start and end, one page", n, all.NextToken)
	}
	if first := all.Events[0]; first.Type != types.HistoryEventTypeExecutionStarted || first.Id != 1 || first.Timestamp == nil ||
		first.ExecutionStartedEventDetails == nil || aws.ToString(first.ExecutionStartedEventDetails.Input) != `{"k":"v"}` {
		t.Errorf("first event = %+v, want ExecutionStarted with the input", first)
	}
	if last := all.Events[n-1]; last.Type != types.HistoryEventTypeExecutionSucceeded {
		t.Errorf("last event type = %s, want ExecutionSucceeded", last.Type)
	}

	t.Run("reverse order in pages of two", func(t *testing.T) {
		var ids []int64
		var token *string
		for {
			page, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{
				ExecutionArn: out.ExecutionArn, ReverseOrder: true, MaxResults: 2, NextToken: token,
			})
			if err != nil {
				t.Fatalf("GetExecutionHistory: %v", err)
			}
			if len(page.Events) > 2 {
				t.Fatalf("page of %d events, want at most 2", len(page.Events))
			}
			for _, ev := range page.Events {
				ids = append(ids, ev.Id)
			}
			if token = page.NextToken; token == nil {
				break
			}
		}
		if len(ids) != n {
			t.Fatalf("got %d events, want %d", len(ids), n)
		}
		for i, id := range ids {
			if id != int64(n-i) {
				t.Fatalf("ids %v are not %d…1", ids, n)
			}
		}
	})
	t.Run("without execution data", func(t *testing.T) {
		page, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, IncludeExecutionData: aws.Bool(false)})
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		if d := page.Events[0].ExecutionStartedEventDetails; d == nil || d.Input != nil {
			t.Errorf("ExecutionStarted details = %+v, want no input", d)
		}
	})
}

func TestContextObject(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	machine := env.createMachine(t, "Ctx", contextDefinition, types.StateMachineTypeExpress)
	out, err := env.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(machine), Name: aws.String("ctx-run"), Input: aws.String(`{"instance_id":"i-1"}`),
	})
	if err != nil {
		t.Fatalf("StartSyncExecution: %v", err)
	}
	if out.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	var got struct {
		ID, Name, StartTime, RoleArn, MachineID, MachineName string
		Input                                                map[string]any
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatalf("output %q: %v", aws.ToString(out.Output), err)
	}
	start, err := time.Parse(time.RFC3339Nano, got.StartTime)
	if err != nil || !start.Equal(out.StartDate.Truncate(time.Millisecond)) {
		t.Errorf("StartTime %q (%v), want %v", got.StartTime, err, out.StartDate)
	}
	if got.ID != aws.ToString(out.ExecutionArn) || got.Name != "ctx-run" || got.RoleArn != testRole ||
		got.MachineID != machine || got.MachineName != "Ctx" || got.Input["instance_id"] != "i-1" {
		t.Errorf("context object = %+v", got)
	}
}

func TestFinishedExecutionsAreBounded(t *testing.T) {
	env := newTestEnv(t, Config{MaxFinishedExecutions: 2})
	ctx := context.Background()
	pass := env.createMachine(t, "Pass", passDefinition, types.StateMachineTypeStandard)
	var arns []string
	for _, name := range []string{"first", "second", "third"} {
		out, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(pass), Name: aws.String(name)})
		if err != nil {
			t.Fatalf("StartExecution: %v", err)
		}
		env.waitFinished(t, aws.ToString(out.ExecutionArn))
		arns = append(arns, aws.ToString(out.ExecutionArn))
	}
	for i, want := range []string{"ExecutionDoesNotExist", "", ""} {
		_, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arns[i])})
		if got := errorCode(err); got != want {
			t.Errorf("DescribeExecution %s: code %q, want %q", arns[i], got, want)
		}
	}
}

func TestOnExecutionEvent(t *testing.T) {
	events := make(chan string, 64)
	env := newTestEnv(t, Config{OnExecutionEvent: func(executionARN string, ev asl.HistoryEvent) {
		b, _ := json.Marshal(ev)
		events <- executionARN + " " + string(b)
	}})
	machine := env.createMachine(t, "Pass", passDefinition, types.StateMachineTypeExpress)
	out, err := env.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatalf("StartSyncExecution: %v", err)
	}
	close(events)
	var n int
	for line := range events {
		if !strings.HasPrefix(line, aws.ToString(out.ExecutionArn)+" ") {
			t.Errorf("event %q is not for %s", line, aws.ToString(out.ExecutionArn))
		}
		n++
	}
	if n < 2 {
		t.Errorf("got %d events, want at least start and end", n)
	}
}

// TestGoAPIMatchesHTTP checks that the Go methods answer as the SDK does over HTTP; the history
// in particular is decoded from the engine's wire JSON on one side and by the SDK on the other.
func TestGoAPIMatchesHTTP(t *testing.T) {
	env := newTestEnv(t, Config{})
	ctx := context.Background()
	machine := env.createMachine(t, "Pass", passDefinition, types.StateMachineTypeStandard)
	started, err := env.svc.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(`{"a":"b"}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	env.waitFinished(t, aws.ToString(started.ExecutionArn))

	in := &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn}
	local, err := env.svc.GetExecutionHistory(ctx, in)
	if err != nil {
		t.Fatalf("Service.GetExecutionHistory: %v", err)
	}
	remote, err := env.client.GetExecutionHistory(ctx, in)
	if err != nil {
		t.Fatalf("Client.GetExecutionHistory: %v", err)
	}
	if len(local.Events) != len(remote.Events) {
		t.Fatalf("%d events from the Go API, %d over HTTP", len(local.Events), len(remote.Events))
	}
	for i := range local.Events {
		l, r := local.Events[i], remote.Events[i]
		lj, _ := json.Marshal(l)
		rj, _ := json.Marshal(r)
		if string(lj) != string(rj) {
			t.Errorf("event %d differs:\nGo:   %s\nHTTP: %s", i, lj, rj)
		}
	}

	_, err = env.svc.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(machine)})
	var invalidArn *types.InvalidArn
	if !errors.As(err, &invalidArn) {
		t.Errorf("DescribeExecution of a state machine ARN: %T %v, want *types.InvalidArn", err, err)
	}
}

func TestCloseAbortsRunningExecutions(t *testing.T) {
	svc := New(Config{Region: testRegion, AccountID: testAccount})
	ctx := context.Background()
	sm, err := svc.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("Hold"), Definition: aws.String(waitDefinition), RoleArn: aws.String(testRole),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	started, err := svc.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	svc.Close()
	desc, err := svc.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if desc.Status != types.ExecutionStatusAborted || desc.StopDate == nil {
		t.Errorf("after Close: status %s stopDate %v, want ABORTED with a stop date", desc.Status, desc.StopDate)
	}
}

func TestStartSyncExecutionTimedOut(t *testing.T) {
	// The machine's timeout (1 s) is far shorter than its wait (1 h); a scaled clock makes both
	// quick without making the outcome depend on the machine's speed.
	env := newTestEnv(t, Config{Clock: asl.NewScaledClock(1000)})
	machine := env.createMachine(t, "Slow",
		`{"TimeoutSeconds":1,"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":3600,"End":true}}}`,
		types.StateMachineTypeExpress)
	out, err := env.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatalf("StartSyncExecution: %v", err)
	}
	if out.Status != types.SyncExecutionStatusTimedOut || aws.ToString(out.Error) != "States.Timeout" || out.Output != nil {
		t.Errorf("got status %s error %q output %v, want TIMED_OUT States.Timeout", out.Status, aws.ToString(out.Error), out.Output)
	}
	if !expressExecutionARN.MatchString(aws.ToString(out.ExecutionArn)) {
		t.Errorf("executionArn %q is not an express ARN", aws.ToString(out.ExecutionArn))
	}
}

func TestTaskStatesUseTheInvoker(t *testing.T) {
	const function = "arn:aws:lambda:us-east-1:123456789012:function:Ec2ToggleFunction"
	env := newTestEnv(t, Config{Invoker: asl.InvokerFunc(func(_ context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		if req.Resource != function {
			return nil, fmt.Errorf("resource %s: %w", req.Resource, asl.ErrUnknownResource)
		}
		input := req.Input
		var in struct {
			InstanceID string `json:"instance_id"`
		}
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, err
		}
		if in.InstanceID == "i-missing" {
			return nil, &asl.Failure{Name: "InstanceNotFound", Cause: `{"errorMessage":"no such instance"}`}
		}
		return json.RawMessage(`{"instance_id":"` + in.InstanceID + `","state":"stopped"}`), nil
	})})
	machine := env.createMachine(t, "Check",
		`{"StartAt":"Check","States":{"Check":{"Type":"Task","Resource":"`+function+`","End":true}}}`,
		types.StateMachineTypeExpress)

	tests := []struct {
		name, input, wantStatus, wantError, wantOutput string
	}{
		{"task succeeds", `{"instance_id":"i-1"}`, "SUCCEEDED", "", `{"instance_id":"i-1","state":"stopped"}`},
		{"task fails with the Lambda's error type", `{"instance_id":"i-missing"}`, "FAILED", "InstanceNotFound", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := env.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{
				StateMachineArn: aws.String(machine), Input: aws.String(tt.input),
			})
			if err != nil {
				t.Fatalf("StartSyncExecution: %v", err)
			}
			if string(out.Status) != tt.wantStatus || aws.ToString(out.Error) != tt.wantError {
				t.Errorf("status %s error %q (cause %q), want %s %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), tt.wantStatus, tt.wantError)
			}
			if tt.wantOutput != "" && aws.ToString(out.Output) != tt.wantOutput {
				t.Errorf("output %s, want %s", aws.ToString(out.Output), tt.wantOutput)
			}
		})
	}
}
