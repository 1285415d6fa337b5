package localsfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// Limits of the callback operations' members (the API reference's length constraints).
const (
	maxTaskTokenLength = 2048
	maxTaskOutput      = 262144
	maxErrorLength     = 256
	maxCauseLength     = 32768
)

// Tokens is the registry of task tokens this Service's executions share: callback tasks wait
// on it, and SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat reach them through it. An
// integration that learns a task's outcome itself (a mock, a nested execution's end) settles
// the task there too.
func (s *Service) Tokens() *asl.TaskTokens { return s.tokens }

// SendTaskSuccess completes the callback task of a token with its output.
func (s *Service) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	if err := validateToken(in.TaskToken); err != nil {
		return nil, err
	}
	if in.Output == nil {
		return nil, errConstraint("output", "Member must not be null")
	}
	if len(*in.Output) > maxTaskOutput {
		return nil, errConstraint("output", fmt.Sprintf("Member must have length less than or equal to %d", maxTaskOutput))
	}
	if err := s.tokens.Succeed(*in.TaskToken, *in.Output); err != nil {
		return nil, taskTokenError(err)
	}
	return &sfn.SendTaskSuccessOutput{}, nil
}

// SendTaskFailure fails the callback task of a token with an error and a cause, both optional.
func (s *Service) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	if err := validateToken(in.TaskToken); err != nil {
		return nil, err
	}
	if len(deref(in.Error)) > maxErrorLength {
		return nil, errConstraint("error", fmt.Sprintf("Member must have length less than or equal to %d", maxErrorLength))
	}
	if len(deref(in.Cause)) > maxCauseLength {
		return nil, errConstraint("cause", fmt.Sprintf("Member must have length less than or equal to %d", maxCauseLength))
	}
	if err := s.tokens.Fail(*in.TaskToken, deref(in.Error), deref(in.Cause)); err != nil {
		return nil, taskTokenError(err)
	}
	return &sfn.SendTaskFailureOutput{}, nil
}

// SendTaskHeartbeat tells the callback task of a token that its worker is alive: its
// HeartbeatSeconds start again.
func (s *Service) SendTaskHeartbeat(_ context.Context, in *sfn.SendTaskHeartbeatInput, _ ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	if err := validateToken(in.TaskToken); err != nil {
		return nil, err
	}
	if err := s.tokens.Heartbeat(*in.TaskToken); err != nil {
		return nil, taskTokenError(err)
	}
	return &sfn.SendTaskHeartbeatOutput{}, nil
}

func validateToken(token *string) error {
	switch {
	case token == nil:
		return errConstraint("taskToken", "Member must not be null")
	case len(*token) < 1:
		return errConstraint("taskToken", "Member must have length greater than or equal to 1")
	case len(*token) > maxTaskTokenLength:
		return errConstraint("taskToken", fmt.Sprintf("Member must have length less than or equal to %d", maxTaskTokenLength))
	}
	return nil
}

// taskTokenError is the API's answer for a token the registry cannot deliver to. AWS answers
// TaskTimedOut both for a task that timed out and for one whose execution has ended or that
// already had its outcome.
func taskTokenError(err error) error {
	switch {
	case errors.Is(err, asl.ErrInvalidToken):
		return &types.InvalidToken{Message: ptr("Invalid Token: 'Invalid token'")}
	case errors.Is(err, asl.ErrTaskDoesNotExist):
		return &types.TaskDoesNotExist{Message: ptr("Task Does Not Exist: 'Provided task does not exist'")}
	case errors.Is(err, asl.ErrTaskTimedOut):
		return &types.TaskTimedOut{Message: ptr("Task Timed Out: 'Provided task does not exist anymore'")}
	case errors.Is(err, asl.ErrInvalidOutput):
		return &types.InvalidOutput{Message: ptr("Invalid Output: 'The output is not valid JSON'")}
	}
	return err
}

// StartExecutionResource is Step Functions' integration with itself: a Task state with this
// Resource (or with .sync, .sync:2 or .waitForTaskToken after it) starts an execution of
// another state machine.
const StartExecutionResource = "arn:aws:states:::states:startExecution"

// StartExecutionTask serves a Task state of StartExecutionResource for the engine: the child is
// a real execution of any state machine this Service knows, visible to DescribeExecution, and
// the answer is StartExecution's as Step Functions gives it to a task (ExecutionArn, StartDate
// in epoch milliseconds, the SDK's HTTP metadata). Fire and forget and .waitForTaskToken end
// there (the child, or whoever it hands the token to, calls SendTaskSuccess). For .sync and
// .sync:2 the task waits for the child: its end settles the task with the child's
// DescribeExecution (Input and Output as JSON text for .sync, as JSON for .sync:2), SUCCEEDED
// as the result, anything else as States.TaskFailed with that description as the cause. A
// .sync task abandoned before the child ends (its execution stopped, its timeout) stops the
// child, as Step Functions does (its .sync policy grants states:StopExecution for that).
// StartExecution's own errors fail the task as StepFunctions.<Code>Exception.
func (s *Service) StartExecutionTask(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	base, pattern, _ := strings.Cut(req.Resource, ".")
	if base != StartExecutionResource {
		return nil, fmt.Errorf("%w: the local Step Functions serves %s, not %s", asl.ErrUnknownResource, StartExecutionResource, req.Resource)
	}
	switch pattern {
	case "", "sync", "sync:2", "waitForTaskToken":
	default:
		return nil, fmt.Errorf("%w: %s has no integration pattern .%s", asl.ErrUnknownResource, StartExecutionResource, pattern)
	}
	var params struct {
		StateMachineArn *string
		Input           json.RawMessage
		Name            *string
		TraceHeader     *string
	}
	if err := json.Unmarshal(req.Input, &params); err != nil {
		return nil, &asl.Failure{Name: asl.ErrNameRuntime, Cause: "The parameters of StartExecution are not an object: " + err.Error()}
	}
	input := string(params.Input)
	var text string
	switch {
	case len(params.Input) == 0 || input == "null":
		// "If you don't include any JSON input data, you still must include the two braces."
		input = "{}"
	case json.Unmarshal(params.Input, &text) == nil:
		input = text // already JSON text
	}
	child, err := s.launch(&sfn.StartExecutionInput{
		StateMachineArn: params.StateMachineArn, Name: params.Name, Input: &input, TraceHeader: params.TraceHeader,
	})
	if err != nil {
		return nil, integrationFailure(err)
	}
	if pattern == "sync" || pattern == "sync:2" {
		s.awaitChild(ctx, child, req.TaskToken, pattern == "sync:2")
	}
	started := &sfn.StartExecutionOutput{ExecutionArn: ptr(child.arn), StartDate: ptr(child.startDate)}
	body, err := marshalWire(started)
	if err != nil {
		return nil, fmt.Errorf("encode StartExecution's answer: %w", err)
	}
	answer := sdkMetadata(len(body), s.clock.Now())
	answer["ExecutionArn"] = child.arn
	answer["StartDate"] = epochMillis(child.startDate)
	return json.Marshal(answer)
}

// awaitChild settles a .sync task when its child ends, or stops the child when the task is
// abandoned first.
func (s *Service) awaitChild(ctx context.Context, child *execution, token string, sync2 bool) {
	s.wg.Go(func() {
		select {
		case <-child.finishedDone:
		case <-ctx.Done():
			if !errors.Is(context.Cause(ctx), asl.ErrTaskCompleted) {
				child.run.Stop("", "")
			}
			return
		}
		description := describeChild(child, sync2)
		text, err := json.Marshal(description)
		if err == nil {
			if child.result.Status == asl.StatusSucceeded {
				err = s.tokens.Succeed(token, string(text))
			} else {
				err = s.tokens.Fail(token, asl.ErrNameTaskFailed, string(text))
			}
		}
		// The task may have ended meanwhile (its timeout, a SendTaskSuccess of its own).
		if err != nil && !errors.Is(err, asl.ErrTaskTimedOut) {
			s.log.Error("settle a .sync task", "executionArn", child.arn, "error", err)
		}
	})
}

// describeChild is a finished child's DescribeExecution as a .sync task returns it: Step
// Functions' own member names, dates in epoch milliseconds, keys in alphabetical order;
// .sync:2 has Input and Output as JSON rather than JSON text.
func describeChild(e *execution, sync2 bool) map[string]any {
	text := func(s string) any {
		if sync2 {
			return json.RawMessage(s)
		}
		return s
	}
	d := map[string]any{
		"ExecutionArn":    e.arn,
		"Input":           text(e.input),
		"InputDetails":    map[string]bool{"Included": true},
		"Name":            e.name,
		"StartDate":       epochMillis(e.startDate),
		"StateMachineArn": e.sm.arn,
		"Status":          e.result.Status,
		"StopDate":        epochMillis(e.stopDate),
	}
	if e.result.Output != nil {
		d["Output"] = text(string(e.result.Output))
		d["OutputDetails"] = map[string]bool{"Included": true}
	}
	if e.result.Error != "" {
		d["Error"] = e.result.Error
	}
	if e.result.Cause != "" {
		d["Cause"] = e.result.Cause
	}
	if e.traceHeader != "" {
		d["TraceHeader"] = e.traceHeader
	}
	return d
}

// integrationFailure names an API error as Step Functions names a failed call of its own
// integration: StepFunctions.<Code>Exception, the message and the call's details as the cause.
func integrationFailure(err error) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	status, code, message := httpError(err)
	name := "StepFunctions." + code
	if !strings.HasSuffix(code, "Exception") {
		name += "Exception"
	}
	return &asl.Failure{Name: name, Cause: fmt.Sprintf("%s (Service: AWSStepFunctions; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)",
		message, status, code, uuid.NewString())}
}

// sdkMetadata is the HTTP metadata the AWS SDK adds to an integration's answer.
func sdkMetadata(contentLength int, now time.Time) map[string]any {
	id, length, date := uuid.NewString(), strconv.Itoa(contentLength), now.UTC().Format(http.TimeFormat)
	return map[string]any{
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{
				"x-amzn-RequestId": []string{id}, "connection": []string{"keep-alive"}, "Content-Length": []string{length},
				"Date": []string{date}, "Content-Type": []string{contentType},
			},
			"HttpHeaders": map[string]any{
				"x-amzn-RequestId": id, "connection": "keep-alive", "Content-Length": length, "Date": date, "Content-Type": contentType,
			},
			"HttpStatusCode": http.StatusOK,
		},
		"SdkResponseMetadata": map[string]any{"RequestId": id},
	}
}

// epochMillis is a date as the SDK-based integrations write it into a task's result.
func epochMillis(t time.Time) json.Number {
	return json.Number(strconv.FormatInt(t.UnixMilli(), 10))
}
