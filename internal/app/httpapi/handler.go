package httpapi

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stepgate/stepgate/internal/app/logging"
	"github.com/stepgate/stepgate/internal/clock"
)

// ServeFunc is an HTTP function's own work on one request: a response, or an error that
// ErrorResponse turns into the one error shape. It notes in entry what the request log records
// beyond the request itself. The request comes by value, as lambda.Start gives it to Handle: a
// pointer passed through a func value would move every request to the heap.
type ServeFunc func(ctx context.Context, req events.APIGatewayProxyRequest, entry *LogEntry) (events.APIGatewayProxyResponse, error)

// LogEntry is what a ServeFunc learns about a request that its log line names.
type LogEntry struct {
	// Route is the declared route the request matched ("GET /orders/{id}"); the log falls back
	// to API Gateway's resource ("/executions/{executionArn}") when it is empty.
	Route string
	// ExecutionARN is the execution the request started or named.
	ExecutionARN string
	// Path replaces the request's path in the log when that holds a secret (a task token); empty:
	// the request's path.
	Path string
	// TaskTokenHash names the task a callback request reported on (tasktoken.Hash): the token
	// itself is a secret and never logged.
	TaskTokenHash string
}

// Handler is the plumbing every HTTP function shares around its ServeFunc, written once (as
// aws-lambda-go's lambda/handler.go owns decode → call → encode): it times the request on the
// injected clock, answers an error in the one error shape, and writes the one request log line.
type Handler struct {
	serve     ServeFunc
	log       *slog.Logger
	clock     clock.Clock
	configErr error
}

// NewHandler returns the Handler of serve.
func NewHandler(serve ServeFunc, logger *slog.Logger, clk clock.Clock) *Handler {
	return &Handler{serve: serve, log: logger, clock: clk}
}

// Misconfigured returns a Handler that answers every request 500 InternalError and logs err:
// answering in the documented shape beats a crash loop, and the cause is in every request's log.
func Misconfigured(err error, logger *slog.Logger) *Handler {
	return &Handler{log: logger, clock: clock.Real{}, configErr: err}
}

// SetClock replaces the clock the request's duration is read from (tests).
func (h *Handler) SetClock(clk clock.Clock) { h.clock = clk }

// Handle serves one API Gateway request. It never returns an error: every failure is a response
// in the documented shape (a Lambda error would reach the caller as API Gateway's bare 502).
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	started := h.clock.Now()
	var entry LogEntry
	var resp events.APIGatewayProxyResponse
	var err error
	if h.configErr != nil {
		err = Internal(h.configErr)
	} else {
		resp, err = h.serve(ctx, req, &entry)
	}
	if err != nil {
		resp = ErrorResponse(req.RequestContext.RequestID, err)
	}
	level := slog.LevelInfo
	if resp.StatusCode >= 500 {
		level = slog.LevelError
	}
	route := entry.Route
	if route == "" {
		route = req.Resource
	}
	path := entry.Path
	if path == "" {
		path = req.Path
	}
	attrs := []slog.Attr{
		slog.String("requestId", req.RequestContext.RequestID),
		slog.String("method", req.HTTPMethod),
		slog.String("path", path),
		slog.String("route", route),
		slog.Int("status", resp.StatusCode),
		slog.String("executionArn", entry.ExecutionARN),
		slog.Duration("duration", h.clock.Now().Sub(started)),
	}
	if entry.TaskTokenHash != "" {
		attrs = append(attrs, slog.String("taskTokenHash", entry.TaskTokenHash))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.log.LogAttrs(ctx, level, "request", attrs...)
	return resp, nil
}

// Start is an HTTP function's main: it builds the logger at LOG_LEVEL, runs setup once, and
// serves every invocation with the Handler setup returns, or with Misconfigured when setup
// fails.
func Start(setup func(ctx context.Context, logger *slog.Logger) (*Handler, error)) {
	logger := logging.New(os.Stderr, os.Getenv(logging.EnvLevel))
	h, err := setup(context.Background(), logger)
	if err != nil {
		logger.Error("configuration invalid; every request will answer 500 InternalError", "error", err)
		h = Misconfigured(err, logger)
	}
	lambda.Start(h.Handle)
}
