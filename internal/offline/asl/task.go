package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// Invoker runs a Task state's resource: the offline stack's registry of
// integrations, a test's fake. A failed task returns *Failure; a resource no
// backend serves returns an error wrapping ErrUnknownResource. The context
// is cancelled when the task times out or the execution stops.
//
// A callback task (a resource ending in .waitForTaskToken, .sync or
// .sync:2) carries its TaskToken: the Invoker calls the integration and
// returns its answer (recorded as TaskSubmitted), and the task's result is
// what comes back with the token, through TaskTokens (SendTaskSuccess,
// SendTaskFailure), before TimeoutSeconds. A .sync integration reports its
// job's end that way itself; its context lives until the task ends, with
// the cause ErrTaskCompleted when the task has its outcome.
type Invoker interface {
	Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, req TaskRequest) (json.RawMessage, error)

// Invoke implements Invoker.
func (f InvokerFunc) Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error) {
	return f(ctx, req)
}

// TaskRequest is one call of a Task state's resource, with the context an
// integration may need: mocks answer by state name and attempt, nested
// executions name their parent, callbacks carry the task token.
type TaskRequest struct {
	// Resource is a Lambda function ARN or an integration ARN such as
	// arn:aws:states:::aws-sdk:ec2:describeInstances. The engine unwraps
	// arn:aws:states:::lambda:invoke itself: Resource is then the
	// function's ARN and Input its Payload.
	Resource string
	// StateResource is the Task state's Resource as written, which differs
	// from Resource for arn:aws:states:::lambda:invoke.
	StateResource string
	// Input is the task's effective input (after Parameters or Arguments).
	Input json.RawMessage
	// StateName is the Task state's name.
	StateName string
	// Attempt counts the state's retries: 0 for the first attempt; it is
	// $$.State.RetryCount.
	Attempt int
	// ExecutionARN and StateMachineARN are $$.Execution.Id and
	// $$.StateMachine.Id.
	ExecutionARN    string
	StateMachineARN string
	// TaskToken is $$.Task.Token of a callback task (.waitForTaskToken,
	// .sync, .sync:2); empty otherwise.
	TaskToken string
	// Timeout and Heartbeat are the state's TimeoutSeconds and
	// HeartbeatSeconds (or their …Path and JSONata forms); 0 when unset.
	// The engine enforces Timeout by cancelling ctx.
	Timeout, Heartbeat time.Duration

	tokens *TaskTokens // where TaskToken is registered
}

// Complete answers a callback task with its final result now, for an
// Invoker that has it at once (a mock, a test's fake): the task does not
// wait for its token. It returns what the Invoker returns. For any other
// task it returns result as it is.
func (r TaskRequest) Complete(result json.RawMessage) (json.RawMessage, error) {
	if r.TaskToken == "" || r.tokens == nil {
		return result, nil
	}
	if len(strings.TrimSpace(string(result))) == 0 {
		result = json.RawMessage("null")
	}
	if err := r.tokens.Succeed(r.TaskToken, string(result)); err != nil {
		return nil, fmt.Errorf("complete the task of %s: %w", r.StateName, err)
	}
	return result, nil
}

// defaultTaskTimeoutSeconds is what Step Functions uses when a Task state
// gives no TimeoutSeconds.
const defaultTaskTimeoutSeconds = 99999999

// lambdaInvokeARN is the optimised Lambda integration, which the engine
// unwraps: it invokes Parameters.FunctionName with Parameters.Payload and
// wraps the function's answer as the Lambda Invoke API returns it.
const lambdaInvokeARN = "arn:aws:states:::lambda:invoke"

// errTaskTimedOut is the cancellation cause when a task's TimeoutSeconds
// elapses.
var errTaskTimedOut = errors.New("task timed out")

// taskKind calls a resource with the effective input.
type taskKind struct {
	resource           string
	timeout, heartbeat *field // nil: none
	// callback: the resource's integration pattern waits for a task token
	// (.waitForTaskToken, and .sync, whose job reports through one): the
	// token is issued before the effective input is built, so that
	// $$.Task.Token can be read by Parameters or Arguments.
	callback bool
	pattern  integrationPattern
	loc      string // the state's JSON pointer, for ExpressProblems
}

// integrationPattern is how a Task state waits for an optimised
// integration (arn:aws:states:::<service>:<action>[.<pattern>]).
type integrationPattern int

const (
	requestResponse  integrationPattern = iota
	runJob                              // .sync
	runJob2                             // .sync:2
	waitForTaskToken                    // .waitForTaskToken
)

// splitPattern cuts the integration pattern off a Task state's resource.
func splitPattern(resource string) (base string, p integrationPattern) {
	if !strings.HasPrefix(resource, "arn:aws:states:::") {
		return resource, requestResponse
	}
	for _, s := range [...]struct {
		suffix string
		p      integrationPattern
	}{{".sync:2", runJob2}, {".sync", runJob}, {".waitForTaskToken", waitForTaskToken}} {
		if b, ok := strings.CutSuffix(resource, s.suffix); ok {
			return b, s.p
		}
	}
	return resource, requestResponse
}

func (*taskKind) fields(f fieldSets) (required, optional []string) {
	return []string{"Resource"}, slices.Concat(f.transition, f.io, f.assign, f.withResult, []string{"TimeoutSeconds", "HeartbeatSeconds", "Retry", "Catch", "Credentials"},
		f.pick([]string{"TimeoutSecondsPath", "HeartbeatSecondsPath"}, nil))
}

func (k *taskKind) decode(d *decoder, st *state, obj map[string]any, loc string) {
	k.resource = d.str(obj, loc, "Resource", true)
	if k.resource != "" && !strings.HasPrefix(k.resource, "arn:") {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'Resource' must be a valid ARN", loc+"/Resource")
	}
	_, k.pattern = splitPattern(k.resource)
	k.callback, k.loc = k.pattern != requestResponse, loc
	seconds := func(v any, at string) {
		n, _ := v.(json.Number)
		if i, err := n.Int64(); err != nil || i < 1 || i > defaultTaskTimeoutSeconds {
			d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be an INTEGER between 1 and %d", at[strings.LastIndex(at, "/")+1:], defaultTaskTimeoutSeconds), at)
		}
	}
	k.timeout = d.field(obj, loc, "TimeoutSeconds", false, seconds)
	k.heartbeat = d.field(obj, loc, "HeartbeatSeconds", false, seconds)
	timeout, isNum := literalNumber(k.timeout)
	heartbeat, isNum2 := literalNumber(k.heartbeat)
	if isNum && isNum2 && compareNumbers(heartbeat, timeout) >= 0 {
		d.problem(CodeSchemaValidationFailed, "'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'", loc+"/HeartbeatSeconds")
	}
	d.errorHandling(st, obj, loc)
}

// ExpressProblems is why an EXPRESS state machine may not have this
// definition, nil when it may: Express workflows have neither the .sync nor
// the .waitForTaskToken integration pattern, and Step Functions refuses them
// at CreateStateMachine with these messages (AWS-recorded: LocalStack's
// test_sfn_api_express.py::test_illegal_callbacks).
func (sm *StateMachine) ExpressProblems() *DefinitionError {
	var problems []Problem
	var walk func(g *graph)
	walk = func(g *graph) {
		for _, name := range slices.Sorted(maps.Keys(g.states)) {
			st := g.states[name]
			if k, ok := st.kind.(*taskKind); ok {
				switch k.pattern {
				case waitForTaskToken:
					// AWS's message has a space before the location's.
					problems = append(problems, Problem{CodeSchemaValidationFailed, "Express state machine does not support '.waitForTaskToken' service integration ", k.loc + "/Resource"})
				case runJob, runJob2:
					problems = append(problems, Problem{CodeSchemaValidationFailed, "Express state machine does not support '.sync' service integration", k.loc + "/Resource"})
				}
			}
			for _, sub := range st.kind.subgraphs() {
				walk(sub)
			}
		}
	}
	walk(sm.root)
	if len(problems) == 0 {
		return nil
	}
	return &DefinitionError{Problems: problems}
}

// literalNumber is a field's value when it is a number in the definition.
func literalNumber(f *field) (json.Number, bool) {
	if f == nil || f.kind != fieldLiteral {
		return "", false
	}
	n, ok := f.literal.(json.Number)
	return n, ok
}

func (k *taskKind) run(ctx context.Context, t *thread, st *state, in any, e *env) (any, string, error) {
	out, err := t.task(ctx, st, k, in, e)
	return out, st.next, err
}

// issueToken registers a callback task's token for this attempt and puts it
// in the context object; done closes it once the attempt has ended.
func (k *taskKind) issueToken(t *thread, e *env) (done func(), err error) {
	w, err := t.exec.taskTokens().issue()
	if err != nil {
		return nil, err
	}
	e.callback, e.ctxObj, e.statesNative = w, nil, nil
	return func() { t.exec.taskTokens().close(w) }, nil
}

func (*taskKind) hasResult() bool     { return true }
func (*taskKind) targets() []string   { return nil }
func (*taskKind) subgraphs() []*graph { return nil }

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
	// arn:aws:states:::<service>:<action>[.<pattern>], the pattern (which
	// may hold a colon: .sync:2) with the action
	base, _ := splitPattern(arn)
	rest, ok := strings.CutPrefix(base, "arn:aws:states:::")
	if !ok {
		return resourceKind{resourceType: arn, resource: arn}
	}
	pattern := arn[len(base):]
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return resourceKind{resourceType: rest, resource: rest + pattern}
	}
	return resourceKind{resourceType: rest[:i], resource: rest[i+1:] + pattern}
}

// seconds evaluates an optional TimeoutSeconds or HeartbeatSeconds; 0 when
// the state sets none.
func (k *taskKind) seconds(f *field, in any, e *env) (int64, error) {
	if f == nil {
		return 0, nil
	}
	return f.integer(in, e, 1, "a positive integer")
}

// task runs a Task state's resource with its effective input and returns the
// raw result (before ResultSelector). A callback task then waits for its
// token to come back (SendTaskSuccess, SendTaskFailure), within its
// TimeoutSeconds and, between heartbeats, its HeartbeatSeconds.
func (t *thread) task(ctx context.Context, st *state, k *taskKind, in any, e *env) (any, error) {
	if t.exec.cfg.Invoker == nil {
		return nil, failf(ErrNameRuntime, "No invoker is configured to run the resource '%s'", k.resource)
	}
	// TimeoutSecondsPath and HeartbeatSecondsPath read the state's input,
	// not its Parameters (AWS-recorded: test_multiple_heartbeat_notifications).
	timeout, err := k.seconds(k.timeout, e.stateInput, e)
	if err != nil {
		return nil, err
	}
	heartbeat, err := k.seconds(k.heartbeat, e.stateInput, e)
	if err != nil {
		return nil, err
	}
	if timeout == 0 {
		timeout = defaultTaskTimeoutSeconds
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
			Parameters: inText, TimeoutInSeconds: timeoutField(timeout), HeartbeatInSeconds: heartbeat,
		}})
		t.emit(HistoryEvent{Type: EventTaskStarted, TaskStartedEventDetails: &TaskEventDetails{ResourceType: kind.resourceType, Resource: kind.resource}})
	}

	req := TaskRequest{
		Resource:        k.resource,
		StateResource:   k.resource,
		Input:           json.RawMessage(inText),
		StateName:       st.name,
		Attempt:         e.retryCount,
		ExecutionARN:    t.exec.cfg.Context.Execution.ID,
		StateMachineARN: t.exec.cfg.Context.StateMachine.ID,
		Heartbeat:       durationOfSeconds(float64(heartbeat)),
	}
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(ErrTaskCompleted)
	if timeout < defaultTaskTimeoutSeconds {
		req.Timeout = durationOfSeconds(float64(timeout))
		t.exec.afterSleep(tctx, req.Timeout, func() { cancel(errTaskTimedOut) })
	}
	w := e.callback
	var hb *heartbeatWatch
	if w != nil {
		req.TaskToken, req.tokens = w.token, t.exec.taskTokens()
		if req.Heartbeat > 0 {
			hb = &heartbeatWatch{t: t, ctx: tctx, every: req.Heartbeat, expire: cancel}
			hb.restart()
			defer hb.end()
		}
	}
	var out any
	m := e.mocked()
	if m != nil {
		// TestState's mock stands in for the whole task, its callback included.
		out, _, err = m.result(st)
	} else {
		out, err = t.invoke(tctx, req, in)
	}
	if err == nil && w != nil && m == nil {
		// The integration took the task; its answer is recorded, and the
		// task's result is what comes back with the token.
		submitted, merr := marshalValue(out)
		if merr != nil {
			return nil, asFailure(merr)
		}
		t.emit(HistoryEvent{Type: EventTaskSubmitted, TaskSubmittedEventDetails: &TaskEventDetails{
			ResourceType: kind.resourceType, Resource: kind.resource, Output: &submitted, OutputDetails: &HistoryEventExecutionDataDetails{},
		}})
		out, err = awaitCallback(tctx, w, hb)
	}
	if err == nil && tctx.Err() != nil {
		err = tctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		f := taskFailure(err, k.resource)
		switch cause := context.Cause(tctx); {
		case errors.Is(cause, errTaskTimedOut):
			f = &Failure{Name: ErrNameTimeout}
		case errors.Is(cause, errHeartbeatTimedOut):
			f = &Failure{Name: ErrNameHeartbeatTimeout}
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
	timedOut := f.Name == ErrNameTimeout || f.Name == ErrNameHeartbeatTimeout
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

// invoke calls the Invoker, unwrapping lambda:invoke (and
// lambda:invoke.waitForTaskToken, whose function gets the token in its
// payload).
func (t *thread) invoke(ctx context.Context, req TaskRequest, in any) (any, error) {
	base, pattern := splitPattern(req.Resource)
	if base != lambdaInvokeARN {
		raw, err := t.exec.cfg.Invoker.Invoke(ctx, req)
		if err != nil {
			return nil, err
		}
		return decodeResult(raw)
	}
	if pattern != requestResponse && pattern != waitForTaskToken {
		return nil, failf(ErrNameRuntime, "The integration pattern of '%s' is not supported by this engine", req.Resource)
	}
	fnVal, _, _ := value.Field(in, "FunctionName")
	fn, _ := fnVal.(string)
	if fn == "" {
		return nil, failf(ErrNameRuntime, "The field 'FunctionName' is required by %s", lambdaInvokeARN)
	}
	// No Payload, or a null one, invokes with {} (AWS's recorded TestState
	// answers: the function saw a 2-byte payload).
	payload := "{}"
	if p, has, _ := value.Field(in, "Payload"); has && p != nil {
		var err error
		if s, isStr := p.(string); isStr && json.Valid([]byte(s)) {
			payload = s
		} else if payload, err = marshalValue(p); err != nil {
			return nil, asFailure(err)
		}
	}
	req.Resource, req.Input = t.functionARN(fn), json.RawMessage(payload)
	raw, err := t.exec.cfg.Invoker.Invoke(ctx, req)
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
