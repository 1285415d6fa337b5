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

// Poll intervals of GET's long poll: short first (most executions finish soon after they are
// looked at), then capped, so the answer comes at most maxPoll after the execution leaves RUNNING
// at a cost of about 42 DescribeExecution calls for a whole 20 s wait (TestLongPollLatency).
const (
	firstPoll = 200 * time.Millisecond
	maxPoll   = 500 * time.Millisecond
)

// stepFunctions is what the handler calls, with the SDK's exact signatures.
type stepFunctions interface {
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, optFns ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	ListStateMachines(ctx context.Context, in *sfn.ListStateMachinesInput, optFns ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

var _ stepFunctions = (*sfn.Client)(nil)

// EnvHistoryPollMax caps the interval between GetExecutionHistory calls of one long poll (a Go
// duration). AWS throttles GetExecutionHistory per account, so the deployed default is seconds;
// the offline stack, which has no such quota, sets milliseconds.
const EnvHistoryPollMax = "HISTORY_POLL_MAX"

// defaultHistoryPollMax is the cap when EnvHistoryPollMax is unset: see README "Live progress".
const defaultHistoryPollMax = 2 * time.Second

// Config is the function's settings, read once at start-up.
type Config struct {
	// Machines is the stack's state machines (STATE_MACHINES): the executions this function serves.
	Machines execution.Pattern
	// HistoryPollMax caps the interval between GetExecutionHistory calls of one long poll.
	HistoryPollMax time.Duration
}

// ConfigFromEnv reads the stack's state machine pattern and the history poll cap.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	machines, err := execution.ParsePattern(getenv(execution.EnvStateMachines))
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Machines: machines, HistoryPollMax: defaultHistoryPollMax}
	if s := getenv(EnvHistoryPollMax); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > maxWait*time.Second {
			return Config{}, fmt.Errorf("%s=%q: want a duration from 1ns to %ds", EnvHistoryPollMax, s, maxWait)
		}
		cfg.HistoryPollMax = d
	}
	return cfg, nil
}

// Handler serves GET /executions, GET and DELETE /executions/{executionArn} and
// GET /executions/{executionArn}/events; the embedded httpapi.Handler is the plumbing (Handle:
// the error shape and the request log).
type Handler struct {
	*httpapi.Handler
	cfg Config
	sfn stepFunctions
	// clock is replaced in tests so long polls do not take wall time.
	clock clock.Clock
	// standard caches the stack's STANDARD machines for GET /executions.
	standard machineCache
}

// NewHandler returns a Handler using the given Step Functions client.
func NewHandler(cfg Config, client stepFunctions, logger *slog.Logger) *Handler {
	h := &Handler{cfg: cfg, sfn: client, clock: clock.Real{}}
	h.Handler = httpapi.NewHandler(h.serve, logger, h.clock)
	return h
}

// setClock makes the long polls, the machine cache and the request log read clk.
func (h *Handler) setClock(clk clock.Clock) {
	h.clock = clk
	h.Handler.SetClock(clk)
}

func (h *Handler) serve(ctx context.Context, request events.APIGatewayProxyRequest, entry *httpapi.LogEntry) (events.APIGatewayProxyResponse, error) {
	req := &request
	var none events.APIGatewayProxyResponse
	switch req.Resource {
	case listResource:
		return h.list(ctx, req)
	case eventsResource:
		return h.events(ctx, req, entry)
	}
	if req.HTTPMethod != http.MethodGet && req.HTTPMethod != http.MethodDelete {
		return none, httpapi.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed",
			"Use GET to describe an execution or DELETE to stop it.").WithHeader("Allow", "DELETE, GET")
	}
	arn, err := parseARN(req)
	if err != nil {
		return none, err
	}
	executionARN := arn.String()
	entry.ExecutionARN = executionARN
	wait := 0
	if req.HTTPMethod == http.MethodGet {
		if wait, err = parseWait(req); err != nil {
			return none, err
		}
	}
	if err := h.scope(arn); err != nil {
		return none, err
	}
	if req.HTTPMethod == http.MethodDelete {
		return h.stop(ctx, req, executionARN)
	}
	out, err := h.describe(ctx, executionARN, time.Duration(wait)*time.Second)
	if err != nil {
		return none, err
	}
	return httpapi.JSON(req.RequestContext.RequestID, http.StatusOK, describedBody(out)), nil
}

// parseARN reads the {executionArn} path parameter.
func parseARN(req *events.APIGatewayProxyRequest) (execution.ARN, error) {
	arn, err := execution.ParsePathParameter(req.PathParameters["executionArn"])
	if err != nil {
		return execution.ARN{}, httpapi.NewError(http.StatusBadRequest, "InvalidExecutionArn",
			"The path must end with a Step Functions execution ARN, raw or URL-encoded.").Wrap(err)
	}
	return arn, nil
}

// scope refuses an ARN that is not an execution of one of this stack's machines (STATE_MACHINES),
// without calling Step Functions, and an express execution, which Step Functions cannot describe.
func (h *Handler) scope(arn execution.ARN) error {
	executionARN := arn.String()
	switch h.cfg.Machines.Classify(arn) {
	case execution.Foreign:
		// The same answer as an unknown execution, so the API reveals nothing about other
		// machines; the ARN is not sent to Step Functions.
		return notFound(executionARN).Wrap(errors.New("execution of a foreign state machine"))
	case execution.Express:
		return httpapi.NewError(http.StatusBadRequest, "ExpressExecutionNotDescribable",
			"Express executions cannot be described; the answer of the route that started it was its result.").
			With("executionArn", executionARN)
	}
	return nil
}

// parseWait reads ?wait=N: an integer of plain decimal digits from 0 to 20.
func parseWait(req *events.APIGatewayProxyRequest) (int, error) {
	s, ok, err := httpapi.Query(req, "wait")
	if err != nil || !ok {
		return 0, err
	}
	n, ok := parseDecimal(s, 0, maxWait)
	if !ok {
		return 0, httpapi.InvalidRequest(fmt.Sprintf("The wait parameter must be a whole number of seconds from 0 to %d.", maxWait))
	}
	return n, nil
}

// parseDecimal accepts plain decimal digits (no sign, no spaces) for a value in [lo, hi].
func parseDecimal(s string, lo, hi int) (int, bool) {
	if len(s) == 0 || len(s) > len(strconv.Itoa(hi)) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
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
	var out *sfn.DescribeExecutionOutput
	err := h.poll(ctx, wait, firstPoll, maxPoll, func() (bool, error) {
		o, err := h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
		if err != nil {
			return false, err
		}
		out = o
		return o.Status != types.ExecutionStatusRunning, nil
	})
	var missing *types.ExecutionDoesNotExist
	switch {
	case errors.As(err, &missing):
		return nil, notFound(executionARN).Wrap(err)
	case err != nil:
		return nil, mapDescribeError(executionARN, err)
	}
	return out, nil
}

// pollUntil is when a long poll of wait ends, kept short of the Lambda's deadline.
func (h *Handler) pollUntil(ctx context.Context, wait time.Duration) time.Time {
	until := h.clock.Now().Add(wait)
	if deadline, ok := ctx.Deadline(); ok && deadline.Add(-deadlineMargin).Before(until) {
		until = deadline.Add(-deadlineMargin)
	}
	return until
}

// poll is the long poll of GET and of the events route: it calls read until read reports done,
// the wait passes (kept short of the Lambda's deadline), or ctx ends, sleeping first, then twice
// as long each time up to most, between calls. DescribeExecution and GetExecutionHistory are
// eventually consistent, so ExecutionDoesNotExist is read again within the wait; any other error
// ends the poll at once. poll returns the last read's error: nil once the execution was seen.
func (h *Handler) poll(ctx context.Context, wait, first, most time.Duration, read func() (done bool, err error)) error {
	until := h.pollUntil(ctx, wait)
	interval := first
	for {
		done, err := read()
		var missing *types.ExecutionDoesNotExist
		if done || (err != nil && !errors.As(err, &missing)) {
			return err
		}
		remaining := until.Sub(h.clock.Now())
		if remaining <= 0 {
			return err
		}
		if h.clock.Sleep(ctx, min(interval, remaining)) != nil {
			// The caller went away or the Lambda is out of time: answer what is known.
			return err
		}
		interval = min(2*interval, most)
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
