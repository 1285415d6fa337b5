package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/execution"
	"github.com/stepgate/stepgate/internal/app/httpapi"
	"github.com/stepgate/stepgate/internal/clock"
)

// maxWait is the longest long poll, in seconds: under API Gateway's 29 s integration timeout.
const maxWait = 20

// deadlineMargin is kept between the end of a long poll and the Lambda's own deadline.
const deadlineMargin = 2 * time.Second

// Poll intervals of a long poll: short first (most executions finish soon after they are
// looked at), then capped so one request makes at most a couple of dozen calls.
const (
	firstPoll = 250 * time.Millisecond
	maxPoll   = time.Second
)

// stepFunctions is what the handler calls, with the SDK's exact signatures.
type stepFunctions interface {
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
}

var _ stepFunctions = (*sfn.Client)(nil)

// Config is the function's settings, read once at start-up.
type Config struct {
	Machines execution.Scope
}

// ConfigFromEnv reads EXPRESS_STATE_MACHINE_ARN and STANDARD_STATE_MACHINE_ARN.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	machines, err := execution.NewScope(getenv("EXPRESS_STATE_MACHINE_ARN"), getenv("STANDARD_STATE_MACHINE_ARN"))
	if err != nil {
		return Config{}, fmt.Errorf("read state machine ARNs: %w", err)
	}
	return Config{Machines: machines}, nil
}

// Handler serves GET and DELETE /executions/{executionArn}.
type Handler struct {
	cfg       Config
	sfn       stepFunctions
	log       *slog.Logger
	configErr error
	// clock is replaced in tests so long polls do not take wall time.
	clock clock.Clock
}

// NewHandler returns a Handler using the given Step Functions client.
func NewHandler(cfg Config, client stepFunctions, logger *slog.Logger) *Handler {
	return &Handler{cfg: cfg, sfn: client, log: logger, clock: clock.Real{}}
}

// Misconfigured returns a Handler that answers every request 500 InternalError and logs err.
func Misconfigured(err error, logger *slog.Logger) *Handler {
	return &Handler{log: logger, configErr: err, clock: clock.Real{}}
}

// Handle serves one API Gateway request. It never returns an error: every failure is a response
// in the documented shape.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	started := h.clock.Now()
	requestID := req.RequestContext.RequestID
	resp, executionARN, err := h.serve(ctx, &req)
	if err != nil {
		resp = httpapi.ErrorResponse(requestID, err)
	}
	level := slog.LevelInfo
	if resp.StatusCode >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("requestId", requestID),
		slog.String("method", req.HTTPMethod),
		slog.Int("status", resp.StatusCode),
		slog.String("executionArn", executionARN),
		slog.Duration("duration", h.clock.Now().Sub(started)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.log.LogAttrs(ctx, level, "request", attrs...)
	return resp, nil
}

func (h *Handler) serve(ctx context.Context, req *events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, string, error) {
	var none events.APIGatewayProxyResponse
	if h.configErr != nil {
		return none, "", httpapi.Internal(h.configErr)
	}
	if req.HTTPMethod != http.MethodGet && req.HTTPMethod != http.MethodDelete {
		return none, "", httpapi.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed",
			"Use GET to describe an execution or DELETE to stop it.")
	}
	raw := req.PathParameters["executionArn"]
	arn, err := execution.ParsePathParameter(raw)
	if err != nil {
		return none, "", httpapi.NewError(http.StatusBadRequest, "InvalidExecutionArn",
			"The path must end with a Step Functions execution ARN, raw or URL-encoded.").Wrap(err)
	}
	executionARN := arn.String()
	wait := 0
	if req.HTTPMethod == http.MethodGet {
		if wait, err = parseWait(req); err != nil {
			return none, executionARN, err
		}
	}
	switch h.cfg.Machines.Classify(arn) {
	case execution.Foreign:
		// The same answer as an unknown execution, so the API reveals nothing about other
		// machines; the ARN is not sent to Step Functions.
		return none, executionARN, notFound(executionARN).Wrap(errors.New("execution of a foreign state machine"))
	case execution.Express:
		return none, executionARN, httpapi.NewError(http.StatusBadRequest, "ExpressExecutionNotDescribable",
			"Express executions cannot be described; their result was returned by POST /express-instance.").
			With("executionArn", executionARN)
	}
	if req.HTTPMethod == http.MethodDelete {
		resp, err := h.stop(ctx, req, executionARN)
		return resp, executionARN, err
	}
	out, err := h.describe(ctx, executionARN, time.Duration(wait)*time.Second)
	if err != nil {
		return none, executionARN, err
	}
	return httpapi.JSON(req.RequestContext.RequestID, http.StatusOK, describedBody(out)), executionARN, nil
}

// parseWait reads ?wait=N: an integer of plain decimal digits from 0 to 20.
func parseWait(req *events.APIGatewayProxyRequest) (int, error) {
	s, ok := req.QueryStringParameters["wait"]
	if !ok {
		if vs := req.MultiValueQueryStringParameters["wait"]; len(vs) > 0 {
			s, ok = vs[0], true
		}
	}
	if !ok {
		return 0, nil
	}
	bad := httpapi.InvalidRequest(fmt.Sprintf("The wait parameter must be a whole number of seconds from 0 to %d.", maxWait))
	if len(s) == 0 || len(s) > 2 {
		return 0, bad
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxWait {
		return 0, bad
	}
	return n, nil
}

func notFound(executionARN string) *httpapi.Error {
	return httpapi.NewError(http.StatusNotFound, "ExecutionNotFound",
		"No execution of this API's workflows has this ARN.").With("executionArn", executionARN)
}

// describe calls DescribeExecution; with wait > 0 it polls until the execution leaves RUNNING
// or wait passes (bounded by the Lambda's deadline). Within that time ExecutionDoesNotExist is
// polled again too: DescribeExecution is eventually consistent, so an execution started a moment
// ago may not be visible yet.
func (h *Handler) describe(ctx context.Context, executionARN string, wait time.Duration) (*sfn.DescribeExecutionOutput, error) {
	until := h.clock.Now().Add(wait)
	if deadline, ok := ctx.Deadline(); ok && deadline.Add(-deadlineMargin).Before(until) {
		until = deadline.Add(-deadlineMargin)
	}
	interval := firstPoll
	for {
		out, err := h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
		var missing *types.ExecutionDoesNotExist
		switch {
		case err == nil && out.Status != types.ExecutionStatusRunning:
			return out, nil
		case err != nil && !errors.As(err, &missing):
			return nil, mapDescribeError(executionARN, err)
		}
		remaining := until.Sub(h.clock.Now())
		if remaining <= 0 {
			if err != nil {
				return nil, notFound(executionARN).Wrap(err)
			}
			return out, nil
		}
		if err := h.clock.Sleep(ctx, min(interval, remaining)); err != nil {
			// The caller went away or the Lambda is out of time: answer what is known.
			if out != nil {
				return out, nil
			}
			return nil, notFound(executionARN).Wrap(err)
		}
		interval = min(2*interval, maxPoll)
	}
}

func mapDescribeError(executionARN string, err error) error {
	var missing *types.ExecutionDoesNotExist
	var invalid *types.InvalidArn
	switch {
	case errors.As(err, &missing):
		return notFound(executionARN).Wrap(err)
	case errors.As(err, &invalid):
		return httpapi.NewError(http.StatusBadRequest, "InvalidExecutionArn",
			"The path must end with a Step Functions execution ARN, raw or URL-encoded.").Wrap(err)
	default:
		return fmt.Errorf("describe execution %s: %w", executionARN, err)
	}
}

// stop stops a RUNNING execution and answers 202 with it described after the stop.
func (h *Handler) stop(ctx context.Context, req *events.APIGatewayProxyRequest, executionARN string) (events.APIGatewayProxyResponse, error) {
	var none events.APIGatewayProxyResponse
	out, err := h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
	if err != nil {
		return none, mapDescribeError(executionARN, err)
	}
	if out.Status != types.ExecutionStatusRunning {
		return none, notRunning(executionARN, out.Status)
	}
	if _, err := h.sfn.StopExecution(ctx, &sfn.StopExecutionInput{
		ExecutionArn: aws.String(executionARN),
		Error:        aws.String("StoppedByRequest"),
		Cause:        aws.String("Stopped by DELETE /executions/{executionArn}, request " + req.RequestContext.RequestID),
	}); err != nil {
		return none, mapDescribeError(executionARN, fmt.Errorf("stop: %w", err))
	}
	after, err := h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
	if err != nil {
		return none, mapDescribeError(executionARN, fmt.Errorf("describe after stop: %w", err))
	}
	return httpapi.JSON(req.RequestContext.RequestID, http.StatusAccepted, describedBody(after)), nil
}

func notRunning(executionARN string, status types.ExecutionStatus) *httpapi.Error {
	return httpapi.NewError(http.StatusConflict, "ExecutionNotRunning",
		fmt.Sprintf("The execution has already finished (%s) and cannot be stopped.", status)).
		With("executionArn", executionARN).With("status", string(status))
}

// described is the 200 body: Step Functions' own field names, input and output parsed.
type described struct {
	ExecutionARN    string `json:"executionArn"`
	StateMachineARN string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       string `json:"startDate"`
	StopDate        string `json:"stopDate,omitempty"`
	// Input is absent only when Step Functions withheld it (inputDetails.included false).
	Input  any    `json:"input,omitempty"`
	Output any    `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Cause  any    `json:"cause,omitempty"`
}

func describedBody(out *sfn.DescribeExecutionOutput) described {
	d := described{
		ExecutionARN:    aws.ToString(out.ExecutionArn),
		StateMachineARN: aws.ToString(out.StateMachineArn),
		Name:            aws.ToString(out.Name),
		Status:          string(out.Status),
		StartDate:       clock.Format(aws.ToTime(out.StartDate)),
		Error:           aws.ToString(out.Error),
	}
	if out.StopDate != nil {
		d.StopDate = clock.Format(*out.StopDate)
	}
	if out.Input != nil {
		d.Input = httpapi.MaybeJSON(*out.Input)
	}
	if out.Output != nil {
		d.Output = httpapi.MaybeJSON(*out.Output)
	}
	if out.Cause != nil {
		d.Cause = httpapi.MaybeJSON(*out.Cause)
	}
	return d
}
