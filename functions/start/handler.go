package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/httpapi"
	"github.com/stepgate/stepgate/internal/app/route"
	"github.com/stepgate/stepgate/internal/clock"
	"github.com/stepgate/stepgate/internal/tasktoken"
)

// syncMargin is kept between the end of StartSyncExecution and the Lambda's own deadline, so
// that a slow execution is answered 504 by this function rather than killed mid-response.
const syncMargin = 2 * time.Second

// stepFunctions is what the handler calls, with the SDK's exact signatures.
type stepFunctions interface {
	StartSyncExecution(ctx context.Context, in *sfn.StartSyncExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error)
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
}

var _ stepFunctions = (*sfn.Client)(nil)

// Config is the function's settings, read once at start-up.
type Config struct {
	Routes *route.Config
}

// ConfigFromEnv reads the routes document in ROUTES, the allowlists it names and the stack's state
// machine pattern in STATE_MACHINES (every route's machine must be one of the stack's).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	routes, err := route.Parse(getenv(route.Env), getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{Routes: routes}, nil
}

// Handler serves every route of its configuration; the embedded httpapi.Handler is the plumbing
// (Handle: the error shape and the request log).
type Handler struct {
	*httpapi.Handler
	cfg Config
	sfn stepFunctions
}

// NewHandler returns a Handler using the given Step Functions client.
func NewHandler(cfg Config, client stepFunctions, logger *slog.Logger) *Handler {
	h := &Handler{cfg: cfg, sfn: client}
	h.Handler = httpapi.NewHandler(h.serve, logger, clock.Real{})
	return h
}

// serve finds the request's route, builds and checks its input, and starts its machine, or
// reports on a waiting task for a callback route. Every answer about an execution carries
// X-Execution-Arn: a success, and an error whose body names the execution (FAILED, TIMED_OUT, an
// Idempotency-Key reused with another body).
func (h *Handler) serve(ctx context.Context, request events.APIGatewayProxyRequest, entry *httpapi.LogEntry) (events.APIGatewayProxyResponse, error) {
	req := &request
	entry.Path = h.cfg.Routes.LogPath(req)
	rt, params, err := h.cfg.Routes.Match(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	entry.Route = rt.Key
	if rt.Mode == route.Callback {
		return h.report(ctx, req, rt, params, entry)
	}
	in, err := rt.Build(req, params)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	var resp events.APIGatewayProxyResponse
	if rt.Mode == route.Sync {
		resp, entry.ExecutionARN, err = h.startSync(ctx, req, rt, in)
	} else {
		resp, entry.ExecutionARN, err = h.startAsync(ctx, req, rt, in)
	}
	switch {
	case entry.ExecutionARN == "":
	case err == nil:
		resp.Headers["X-Execution-Arn"] = entry.ExecutionARN
	default:
		err = aboutExecution(err, entry.ExecutionARN)
	}
	return resp, err
}

// aboutExecution adds X-Execution-Arn to an error whose body names the execution.
func aboutExecution(err error, executionARN string) error {
	var e *httpapi.Error
	if errors.As(err, &e) && e.Fields["executionArn"] != nil {
		return e.WithHeader("X-Execution-Arn", executionARN)
	}
	return err
}

// startSync runs the route's EXPRESS machine synchronously and maps its outcome.
func (h *Handler) startSync(ctx context.Context, req *events.APIGatewayProxyRequest, rt *route.Route, in route.Input) (events.APIGatewayProxyResponse, string, error) {
	requestID := req.RequestContext.RequestID
	callCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithDeadline(ctx, deadline.Add(-syncMargin))
		defer cancel()
	}
	machineARN := rt.StateMachine.String()
	out, err := h.sfn.StartSyncExecution(callCtx, &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(machineARN),
		Input:           aws.String(string(in.Canonical)),
	})
	if err != nil {
		if callCtx.Err() != nil {
			// The execution's ARN is unknown: StartSyncExecution returns it only with its result.
			return events.APIGatewayProxyResponse{}, "", executionTimedOut("").Wrap(err)
		}
		return events.APIGatewayProxyResponse{}, "", fmt.Errorf("start sync execution on %s: %w", machineARN, err)
	}
	executionARN := aws.ToString(out.ExecutionArn)
	switch out.Status {
	case types.SyncExecutionStatusSucceeded:
		return httpapi.JSON(requestID, http.StatusOK, httpapi.MaybeJSON(aws.ToString(out.Output))), executionARN, nil
	case types.SyncExecutionStatusTimedOut:
		return events.APIGatewayProxyResponse{}, executionARN, executionTimedOut(executionARN)
	default: // FAILED, or a status this code does not know, which is a failure too
		return events.APIGatewayProxyResponse{}, executionARN, executionFailed(rt, in, executionARN, out)
	}
}

func executionTimedOut(executionARN string) *httpapi.Error {
	e := httpapi.NewError(http.StatusGatewayTimeout, "ExecutionTimedOut",
		"The workflow did not finish in time and may still have acted; check its effects before retrying.")
	if executionARN != "" {
		e = e.With("executionArn", executionARN)
	}
	return e
}

// executionFailed maps a FAILED execution by the error name the workflow failed with: a name in
// the route's error table answers with its status and message (the workflow's own cause is not
// shown: the answer says what the caller can do); any other error is a 502 with the details.
func executionFailed(rt *route.Route, in route.Input, executionARN string, out *sfn.StartSyncExecutionOutput) *httpapi.Error {
	errName, cause := aws.ToString(out.Error), aws.ToString(out.Cause)
	var e *httpapi.Error
	if rule, ok := rt.Error(errName); ok {
		e = httpapi.NewError(rule.Status, errName, in.Render(rule.Message))
	} else {
		e = httpapi.NewError(http.StatusBadGateway, "ExecutionFailed",
			"The workflow failed; details holds the error it failed with.").
			With("details", map[string]any{"error": errName, "cause": httpapi.MaybeJSON(cause)})
	}
	return e.With("executionArn", executionARN).
		Wrap(fmt.Errorf("execution %s %s: %s: %s", executionARN, out.Status, errName, cause))
}

// startAsync starts the route's machine and answers 202 with where to follow it.
func (h *Handler) startAsync(ctx context.Context, req *events.APIGatewayProxyRequest, rt *route.Route, in route.Input) (events.APIGatewayProxyResponse, string, error) {
	key, hasKey, err := idempotencyKey(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, "", err
	}
	machineARN := rt.StateMachine.String()
	start := &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN),
		Input:           aws.String(string(in.Canonical)),
	}
	if hasKey {
		start.Name = aws.String(executionName(callerIdentity(req), key))
	}
	var executionARN string
	var startDate time.Time
	out, err := h.sfn.StartExecution(ctx, start)
	var exists *types.ExecutionAlreadyExists
	switch {
	case err == nil:
		executionARN, startDate = aws.ToString(out.ExecutionArn), aws.ToTime(out.StartDate)
	case hasKey && errors.As(err, &exists):
		executionARN = rt.StateMachine.ExecutionARN(aws.ToString(start.Name))
		startDate, err = h.replay(ctx, executionARN, in.Canonical)
		if err != nil {
			return events.APIGatewayProxyResponse{}, executionARN, err
		}
	default:
		return events.APIGatewayProxyResponse{}, "", fmt.Errorf("start execution on %s: %w", machineARN, err)
	}
	statusURL := httpapi.ExecutionURL(req, executionARN)
	resp := httpapi.JSON(req.RequestContext.RequestID, http.StatusAccepted, accepted{
		ExecutionARN: executionARN,
		StartDate:    clock.Format(startDate),
		StatusURL:    statusURL,
	})
	resp.Headers["Location"] = statusURL
	resp.Headers["Retry-After"] = "5"
	return resp, executionARN, nil
}

type accepted struct {
	ExecutionARN string `json:"executionArn"`
	StartDate    string `json:"startDate"`
	StatusURL    string `json:"statusUrl"`
}

// replay handles a repeated Idempotency-Key: the execution it named exists, so the request is a
// replay when the inputs match and a misuse of the key when they do not.
func (h *Handler) replay(ctx context.Context, executionARN string, canonical []byte) (time.Time, error) {
	out, err := h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
	if err != nil {
		return time.Time{}, fmt.Errorf("describe execution %s for idempotent replay: %w", executionARN, err)
	}
	previous, err := route.Canonicalize([]byte(aws.ToString(out.Input)))
	if err != nil || string(previous) != string(canonical) {
		return time.Time{}, httpapi.NewError(http.StatusUnprocessableEntity, "IdempotencyKeyReused",
			"This Idempotency-Key was already used with a different request body; use a new key.").
			With("executionArn", executionARN)
	}
	return aws.ToTime(out.StartDate), nil
}

// idempotencyKey reads the optional Idempotency-Key header: a token, or a quoted structured-field
// string as in the IETF idempotency-key draft, 1–255 characters. A token is RFC 9110's (tchar)
// widened by RFC 8941's ':' and '/'; unlike a strict sf-token it may start with a digit, so the
// unquoted UUIDs most clients send are accepted.
func idempotencyKey(req *events.APIGatewayProxyRequest) (string, bool, error) {
	values := httpapi.HeaderValues(req, "Idempotency-Key")
	if len(values) == 0 {
		return "", false, nil
	}
	invalid := httpapi.InvalidRequest(
		"The Idempotency-Key header must be one token or quoted string of 1 to 255 characters.")
	if len(values) > 1 {
		return "", false, invalid
	}
	key, ok := parseKey(strings.Trim(values[0], " \t"))
	if !ok || len(key) == 0 || len(key) > 255 {
		return "", false, invalid
	}
	return key, true, nil
}

// parseKey parses an sf-string ("…" with \" and \\ escapes, printable ASCII) or a token.
func parseKey(s string) (string, bool) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\':
				i++
				if i >= len(s) || (s[i] != '"' && s[i] != '\\') {
					return "", false
				}
				b.WriteByte(s[i])
			case c == '"':
				return b.String(), i == len(s)-1
			case c < 0x20 || c > 0x7e:
				return "", false
			default:
				b.WriteByte(c)
			}
		}
		return "", false // no closing quote
	}
	for i := 0; i < len(s); i++ {
		if !isTChar(s[i]) && s[i] != ':' && s[i] != '/' {
			return "", false
		}
	}
	return s, true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// isTChar is RFC 9110's tchar.
func isTChar(c byte) bool {
	return isAlpha(c) || (c >= '0' && c <= '9') || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// callerIdentity names who is calling, so that two callers' keys never collide: the IAM
// principal when the API uses AWS_IAM, else the API key's ID when it uses API_KEY. With auth
// NONE there is no identity to trust, so every caller shares the "anonymous" namespace (a key is
// then only as private as it is hard to guess). The kind prefix keeps the namespaces apart.
func callerIdentity(req *events.APIGatewayProxyRequest) string {
	id := req.RequestContext.Identity
	switch {
	case id.UserArn != "":
		return "iam:" + id.UserArn
	case id.APIKeyID != "":
		return "apikey:" + id.APIKeyID
	default:
		return "anonymous"
	}
}

// executionName is the hex SHA-256 of identity and key: 64 characters, within Step Functions'
// 80, and made only of characters its names allow whatever the key holds. The NUL separator
// keeps ("ab","c") and ("a","bc") apart.
func executionName(identity, key string) string {
	sum := sha256.Sum256([]byte(identity + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// report sends a callback route's report on a waiting task (SendTaskSuccess, SendTaskFailure or
// SendTaskHeartbeat) and answers 200 {} once Step Functions took it. The token is a secret: the
// log and an error's body name it by its hash, and its text is taken out of any error logged.
func (h *Handler) report(ctx context.Context, req *events.APIGatewayProxyRequest, rt *route.Route, params map[string]string, entry *httpapi.LogEntry) (events.APIGatewayProxyResponse, error) {
	rep, err := rt.BuildReport(req, params)
	if rep.Token != "" {
		entry.TaskTokenHash = tasktoken.Hash(rep.Token)
	}
	if err == nil {
		err = h.send(ctx, rep, entry.TaskTokenHash)
	}
	switch {
	case err != nil && rep.Token != "":
		return events.APIGatewayProxyResponse{}, httpapi.AsError(err).With("taskTokenHash", entry.TaskTokenHash)
	case err != nil:
		return events.APIGatewayProxyResponse{}, err
	}
	return httpapi.JSON(req.RequestContext.RequestID, http.StatusOK, struct{}{}), nil
}

// send makes the report's call and maps Step Functions' answers about the token; hash names the
// token in the error's text.
func (h *Handler) send(ctx context.Context, rep route.Report, hash string) error {
	token := aws.String(rep.Token)
	var err error
	switch rep.Outcome {
	case route.Success:
		_, err = h.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: token, Output: aws.String(string(rep.Output))})
	case route.Failure:
		in := &sfn.SendTaskFailureInput{TaskToken: token}
		if rep.Error != "" {
			in.Error = aws.String(rep.Error)
		}
		if rep.Cause != "" {
			in.Cause = aws.String(rep.Cause)
		}
		_, err = h.sfn.SendTaskFailure(ctx, in)
	default: // route.Heartbeat
		_, err = h.sfn.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: token})
	}
	if err == nil {
		return nil
	}
	err = redacted{err: fmt.Errorf("send task %s: %w", rep.Outcome, err), token: rep.Token, hash: hash}
	var (
		missing  *types.TaskDoesNotExist
		invalid  *types.InvalidToken
		timedOut *types.TaskTimedOut
		output   *types.InvalidOutput
	)
	switch {
	case errors.As(err, &missing) || errors.As(err, &invalid):
		return httpapi.NewError(http.StatusNotFound, "TaskNotFound",
			"No task waits for this token: Step Functions does not know it. Check that the token was copied whole.").Wrap(err)
	case errors.As(err, &timedOut):
		return httpapi.NewError(http.StatusGone, "TaskTimedOut",
			"The task no longer waits for a callback: it timed out, its execution ended, or it was already answered.").Wrap(err)
	case errors.As(err, &output):
		return httpapi.InvalidRequest("Step Functions refused the task's output: it must be JSON of at most 262144 bytes.").Wrap(err)
	}
	return err
}

// redacted is an error whose text has the task token replaced by its hash: SDK and emulator
// messages may quote the token, and the error's text is logged.
type redacted struct {
	err         error
	token, hash string
}

func (r redacted) Error() string {
	return strings.ReplaceAll(r.err.Error(), r.token, "{taskToken:"+r.hash+"}")
}

func (r redacted) Unwrap() error { return r.err }
