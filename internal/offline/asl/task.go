package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// lambdaInvokeARN is the optimised Lambda integration, which the engine
// unwraps: it invokes Parameters.FunctionName with Parameters.Payload and
// wraps the function's answer as the Lambda Invoke API returns it.
const lambdaInvokeARN = "arn:aws:states:::lambda:invoke"

// errTaskTimedOut is the cancellation cause when a task's TimeoutSeconds
// elapses.
var errTaskTimedOut = errors.New("task timed out")

// resourceKind tells which history events a Task state produces.
type resourceKind struct {
	lambdaFunction bool   // a function ARN: LambdaFunction* events
	resourceType   string // Task* events: "lambda", "aws-sdk:ec2", …
	resource       string // Task* events: "invoke", "describeInstances", …
}

func classifyResource(arn string) resourceKind {
	if strings.HasPrefix(arn, "arn:aws:lambda:") {
		return resourceKind{lambdaFunction: true}
	}
	// arn:aws:states:::<service>:<action>[.<pattern>]
	rest, ok := strings.CutPrefix(arn, "arn:aws:states:::")
	if !ok {
		return resourceKind{resourceType: arn, resource: arn}
	}
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return resourceKind{resourceType: rest, resource: rest}
	}
	return resourceKind{resourceType: rest[:i], resource: rest[i+1:]}
}

// task runs a Task state's resource with its effective input and returns the
// raw result (before ResultSelector).
func (t *thread) task(ctx context.Context, st *state, k *taskKind, in any, e *env) (any, error) {
	if t.exec.cfg.Invoker == nil {
		return nil, failf(ErrNameRuntime, "No invoker is configured to run the resource '%s'", k.resource)
	}
	timeout := k.timeoutSeconds
	if k.timeoutATA != nil {
		v, err := k.timeoutATA.evalRequired(e)
		if err != nil {
			return nil, err
		}
		n, isNum := v.(json.Number)
		secs, nerr := n.Int64()
		if !isNum || nerr != nil || secs <= 0 {
			return nil, failf(ErrNameQueryEvaluationError, "The JSONata expression '%s' specified for the field 'TimeoutSeconds' returned %s, not a positive integer.", k.timeoutATA.expr, compactJSON(v))
		}
		timeout = secs
	} else if k.timeoutSecondsPath != nil {
		v, ok := e.get(k.timeoutSecondsPath, in)
		n, isNum := v.(json.Number)
		secs, err := n.Int64()
		if !ok || !isNum || err != nil || secs <= 0 {
			return nil, failf(ErrNameRuntime, "The TimeoutSecondsPath parameter does not reference a valid positive integer value: %s", k.timeoutSecondsPath.raw)
		}
		timeout = secs
	}
	inText, err := marshalValue(in)
	if err != nil {
		return nil, asFailure(err)
	}
	kind := classifyResource(k.resource)
	if kind.lambdaFunction {
		t.emit(HistoryEvent{Type: EventLambdaFunctionScheduled, LambdaFunctionScheduledEventDetails: &LambdaFunctionScheduledEventDetails{
			Resource: k.resource, Input: inText, TimeoutInSeconds: timeoutField(timeout),
		}})
		t.emit(HistoryEvent{Type: EventLambdaFunctionStarted})
	} else {
		t.emit(HistoryEvent{Type: EventTaskScheduled, TaskScheduledEventDetails: &TaskScheduledEventDetails{
			ResourceType: kind.resourceType, Resource: kind.resource, Region: t.exec.region,
			Parameters: inText, TimeoutInSeconds: timeoutField(timeout), HeartbeatInSeconds: k.heartbeatSeconds,
		}})
		t.emit(HistoryEvent{Type: EventTaskStarted, TaskStartedEventDetails: &TaskEventDetails{ResourceType: kind.resourceType, Resource: kind.resource}})
	}

	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if timeout < defaultTaskTimeoutSeconds {
		t.exec.afterSleep(tctx, durationOfSeconds(float64(timeout)), func() { cancel(errTaskTimedOut) })
	}
	out, err := t.invoke(tctx, k.resource, in, inText)
	if err == nil && tctx.Err() != nil {
		err = tctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		f := taskFailure(err, k.resource)
		if errors.Is(context.Cause(tctx), errTaskTimedOut) {
			f = &Failure{Name: ErrNameTimeout}
		}
		t.taskFailed(kind, f)
		return nil, f
	}
	outText, err := marshalValue(out)
	if err != nil {
		return nil, asFailure(err)
	}
	if len(outText) > maxPayloadBytes {
		f := failf(ErrNameDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.name)
		t.taskFailed(kind, f)
		return nil, f
	}
	if kind.lambdaFunction {
		t.emit(HistoryEvent{Type: EventLambdaFunctionSucceeded, LambdaFunctionSucceededEventDetails: &OutputEventDetails{Output: outText}})
	} else {
		t.emit(HistoryEvent{Type: EventTaskSucceeded, TaskSucceededEventDetails: &TaskEventDetails{
			ResourceType: kind.resourceType, Resource: kind.resource, Output: &outText, OutputDetails: &HistoryEventExecutionDataDetails{},
		}})
	}
	return out, nil
}

// timeoutField is the timeoutInSeconds shown in the Scheduled event: only
// when the state sets one.
func timeoutField(timeout int64) int64 {
	if timeout >= defaultTaskTimeoutSeconds {
		return 0
	}
	return timeout
}

func (t *thread) taskFailed(kind resourceKind, f *Failure) {
	timedOut := f.Name == ErrNameTimeout
	switch {
	case kind.lambdaFunction && timedOut:
		t.emit(HistoryEvent{Type: EventLambdaFunctionTimedOut, LambdaFunctionTimedOutEventDetails: &ErrorEventDetails{Error: f.Name, Cause: f.Cause}})
	case kind.lambdaFunction:
		t.emit(HistoryEvent{Type: EventLambdaFunctionFailed, LambdaFunctionFailedEventDetails: &ErrorEventDetails{Error: f.Name, Cause: f.Cause}})
	case timedOut:
		t.emit(HistoryEvent{Type: EventTaskTimedOut, TaskTimedOutEventDetails: &TaskEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Error: f.Name, Cause: f.Cause}})
	default:
		t.emit(HistoryEvent{Type: EventTaskFailed, TaskFailedEventDetails: &TaskEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Error: f.Name, Cause: f.Cause}})
	}
}

// taskFailure names an invoker's error.
func taskFailure(err error, resource string) *Failure {
	var f *Failure
	switch {
	case errors.As(err, &f):
		return f
	case errors.Is(err, ErrUnknownResource):
		return failf(ErrNameRuntime, "The resource '%s' is not served by this local Step Functions: %v", resource, err)
	}
	return &Failure{Name: ErrNameTaskFailed, Cause: err.Error()}
}

// invoke calls the Invoker, unwrapping lambda:invoke.
func (t *thread) invoke(ctx context.Context, resource string, in any, inText string) (any, error) {
	base, _, _ := strings.Cut(resource, ".")
	if base != lambdaInvokeARN && !strings.HasPrefix(resource, "arn:aws:states:::lambda:invoke.") {
		raw, err := t.exec.cfg.Invoker.Invoke(ctx, resource, json.RawMessage(inText))
		if err != nil {
			return nil, err
		}
		return decodeResult(raw)
	}
	if resource != lambdaInvokeARN {
		return nil, failf(ErrNameRuntime, "The integration pattern of '%s' is not supported by this engine", resource)
	}
	fnVal, _, _ := value.Field(in, "FunctionName")
	fn, _ := fnVal.(string)
	if fn == "" {
		return nil, failf(ErrNameRuntime, "The field 'FunctionName' is required by %s", lambdaInvokeARN)
	}
	payload := "{}"
	if p, has, _ := value.Field(in, "Payload"); has {
		var err error
		if s, isStr := p.(string); isStr && json.Valid([]byte(s)) {
			payload = s
		} else if payload, err = marshalValue(p); err != nil {
			return nil, asFailure(err)
		}
	}
	raw, err := t.exec.cfg.Invoker.Invoke(ctx, t.functionARN(fn), json.RawMessage(payload))
	if err != nil {
		return nil, err
	}
	result, err := decodeResult(raw)
	if err != nil {
		return nil, err
	}
	requestID := uuid.NewString()
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         result,
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{
				"X-Amz-Executed-Version":         []any{"$LATEST"},
				"x-amzn-Remapped-Content-Length": []any{"0"},
				"Connection":                     []any{"keep-alive"},
				"x-amzn-RequestId":               []any{requestID},
				"Content-Length":                 []any{json.Number(itoa(int64(len(raw))))},
				"Content-Type":                   []any{"application/json"},
			},
			"HttpHeaders": map[string]any{
				"Connection":                     "keep-alive",
				"Content-Length":                 itoa(int64(len(raw))),
				"Content-Type":                   "application/json",
				"X-Amz-Executed-Version":         "$LATEST",
				"x-amzn-Remapped-Content-Length": "0",
				"x-amzn-RequestId":               requestID,
			},
			"HttpStatusCode": json.Number("200"),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
		"StatusCode":          json.Number("200"),
	}, nil
}

// functionARN expands a function name to an ARN in the execution's region
// and account; ARNs and partial ARNs are passed as they are.
func (t *thread) functionARN(fn string) string {
	if strings.HasPrefix(fn, "arn:") {
		return fn
	}
	id := t.exec.cfg.Context.Execution.ID
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", t.exec.region, accountOf(id), fn)
}

func decodeResult(raw json.RawMessage) (any, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, nil
	}
	v, err := decodeValue(raw)
	if err != nil {
		return nil, &Failure{Name: ErrNameTaskFailed, Cause: "The task returned a result that is not valid JSON: " + err.Error()}
	}
	return v, nil
}
