package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/internal/app/workflow"
)

// instances is what the handler calls, with the SDK's exact signatures.
type instances interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	StartInstances(ctx context.Context, in *ec2.StartInstancesInput, optFns ...func(*ec2.Options)) (*ec2.StartInstancesOutput, error)
	StopInstances(ctx context.Context, in *ec2.StopInstancesInput, optFns ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error)
}

var _ instances = (*ec2.Client)(nil)

// Handler serves the task contract of docs/architecture.md.
type Handler struct {
	allow     workflow.Allowlist
	ec2       instances
	log       *slog.Logger
	configErr error
}

// NewHandler returns a Handler acting only on allowed instances.
func NewHandler(allow workflow.Allowlist, client instances, logger *slog.Logger) *Handler {
	return &Handler{allow: allow, ec2: client, log: logger}
}

// Misconfigured returns a Handler that fails every task and logs err.
func Misconfigured(err error, logger *slog.Logger) *Handler {
	return &Handler{log: logger, configErr: err}
}

// Handle runs one task. The payload is taken raw so that malformed input is reported as
// InvalidTaskInput rather than as the runtime's own unmarshal error.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	started := time.Now()
	var in workflow.TaskInput
	result, err := h.run(ctx, payload, &in)
	attrs := []slog.Attr{
		slog.String("operation", string(in.Operation)),
		slog.String("instanceId", in.InstanceID),
		slog.Duration("duration", time.Since(started)),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("requestId", lc.AwsRequestID))
	}
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", err.Error()), slog.String("errorType", errorType(err)))
	}
	h.log.LogAttrs(ctx, level, "task", attrs...)
	return result, err
}

// errorType is the name the runtime will report (for the log line).
func errorType(err error) string {
	switch err.(type) {
	case *InstanceNotFound:
		return "InstanceNotFound"
	case *InstanceNotAllowed:
		return "InstanceNotAllowed"
	case *InstanceInTransition:
		return "InstanceInTransition"
	case *InstanceTerminated:
		return "InstanceTerminated"
	case *InvalidTaskInput:
		return "InvalidTaskInput"
	default:
		return fmt.Sprintf("%T", err)
	}
}

func (h *Handler) run(ctx context.Context, payload json.RawMessage, in *workflow.TaskInput) (any, error) {
	if h.configErr != nil {
		return nil, fmt.Errorf("ec2toggle misconfigured: %w", h.configErr)
	}
	if err := json.Unmarshal(payload, in); err != nil {
		return nil, &InvalidTaskInput{Reason: "the payload must be a JSON object with operation and instance_id"}
	}
	if !workflow.ValidInstanceID(in.InstanceID) {
		return nil, &InvalidTaskInput{Reason: fmt.Sprintf("instance_id %q is not an EC2 instance ID", in.InstanceID)}
	}
	switch in.Operation {
	case workflow.OperationCheck, workflow.OperationStart, workflow.OperationStop:
	default:
		return nil, &InvalidTaskInput{Reason: fmt.Sprintf("operation %q is not check, start or stop", in.Operation)}
	}
	if !h.allow.Allows(in.InstanceID) {
		return nil, &InstanceNotAllowed{InstanceID: in.InstanceID}
	}
	switch in.Operation {
	case workflow.OperationCheck:
		state, err := h.state(ctx, in.InstanceID)
		if err != nil {
			return nil, err
		}
		return workflow.CheckResult{InstanceID: in.InstanceID, State: state}, nil
	default:
		return h.change(ctx, in.InstanceID, in.Operation)
	}
}

// state reads the instance's state with DescribeInstances, which (unlike DescribeInstanceStatus
// without IncludeAllInstances) reports stopped instances too.
func (h *Handler) state(ctx context.Context, instanceID string) (string, error) {
	out, err := h.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
	if err != nil {
		if isNotFound(err) {
			return "", &InstanceNotFound{InstanceID: instanceID}
		}
		return "", fmt.Errorf("describe instance %s: %w", instanceID, err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.InstanceId) == instanceID && i.State != nil {
				return string(i.State.Name), nil
			}
		}
	}
	return "", &InstanceNotFound{InstanceID: instanceID}
}

// change starts or stops the instance and reports the states from EC2's answer.
func (h *Handler) change(ctx context.Context, instanceID string, op workflow.Operation) (any, error) {
	var changes []types.InstanceStateChange
	var err error
	if op == workflow.OperationStart {
		var out *ec2.StartInstancesOutput
		if out, err = h.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{instanceID}}); err == nil {
			changes = out.StartingInstances
		}
	} else {
		var out *ec2.StopInstancesOutput
		if out, err = h.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{instanceID}}); err == nil {
			changes = out.StoppingInstances
		}
	}
	if err != nil {
		return nil, h.changeError(ctx, instanceID, op, err)
	}
	for _, c := range changes {
		if aws.ToString(c.InstanceId) == instanceID && c.PreviousState != nil && c.CurrentState != nil {
			return workflow.ChangeResult{
				InstanceID:    instanceID,
				PreviousState: string(c.PreviousState.Name),
				Action:        string(op),
				CurrentState:  string(c.CurrentState.Name),
			}, nil
		}
	}
	return nil, fmt.Errorf("%s instance %s: EC2's answer does not mention the instance", op, instanceID)
}

// changeError maps a StartInstances/StopInstances failure. IncorrectInstanceState is split by a
// fresh look at the instance: a terminated instance will never get there (InstanceTerminated),
// anything else is InstanceInTransition.
func (h *Handler) changeError(ctx context.Context, instanceID string, op workflow.Operation, err error) error {
	if isNotFound(err) {
		return &InstanceNotFound{InstanceID: instanceID}
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "IncorrectInstanceState" {
		return fmt.Errorf("%s instance %s: %w", op, instanceID, err)
	}
	state, describeErr := h.state(ctx, instanceID)
	switch {
	case describeErr != nil:
		return &InstanceInTransition{InstanceID: instanceID}
	case state == string(types.InstanceStateNameTerminated) || state == string(types.InstanceStateNameShuttingDown):
		return &InstanceTerminated{InstanceID: instanceID, State: state}
	default:
		return &InstanceInTransition{InstanceID: instanceID, State: state}
	}
}

func isNotFound(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	code := apiErr.ErrorCode()
	return code == "InvalidInstanceID.NotFound" || code == "InvalidInstanceID.Malformed"
}
