package localsfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/clock"
	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

const (
	// testStateTimeout is how long AWS lets one TestState call run before it fails the state
	// with States.Timeout.
	testStateTimeout = 5 * time.Minute
	// maxMockLength bounds mock.result and stateConfiguration.mapItemReaderData (the model's
	// constraint).
	maxMockLength = 262144
	// errNamePermissions is the error of a task whose resource the role cannot reach.
	errNamePermissions = "States.Permissions"
)

// TestState runs one state of a definition on a given input, as AWS's TestState does: the
// state alone (definition) or one state of a whole machine (stateName), with the variables,
// context object, retry count and Map iteration data given, and a mock in place of a Task's
// call, a Parallel state's branches or a Map state's iterations. It answers the state's output
// and next state, or its error, with status SUCCEEDED, FAILED, RETRIABLE (a retrier would retry
// the error) or CAUGHT_ERROR, and at DEBUG and TRACE the data after each processing step. The
// state runs on the engine (asl.RunState) exactly as in an execution; an unmocked Task calls the
// Invoker executions use.
func (s *Service) TestState(ctx context.Context, in *sfn.TestStateInput, _ ...func(*sfn.Options)) (*sfn.TestStateOutput, error) {
	t, err := s.newTestRun(in)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		// The limit is on the service's clock, so that make local's time scale applies.
		if s.clock.Sleep(ctx, testStateTimeout) == nil {
			cancel(&asl.Failure{Name: asl.ErrNameTimeout, Cause: "The state did not finish within the TestState API's five minutes."})
		}
	}()
	res, err := t.machine.RunState(ctx, t.run, asl.Config{
		Invoker: s.testInvoker(t.roleARN),
		Clock:   s.clock,
		Context: t.context,
	})
	if err != nil {
		// The request was checked; what is left is the engine's refusal of its JSON.
		return nil, errValidation("%v", err)
	}
	return testStateOutput(res, in.InspectionLevel), nil
}

// testRun is a checked TestState request, ready for the engine.
type testRun struct {
	machine *asl.StateMachine
	run     asl.StateRun
	context asl.ContextObject
	roleARN string
}

// newTestRun checks a request (its model's constraints, then the mock and configuration rules,
// the definition, the state and its mock, the context object) and builds the engine's run. The
// errors and their messages are AWS's where its recorded answers show them
// (TestRecordedTestStateAnswers); the others follow their wording.
func (s *Service) newTestRun(in *sfn.TestStateInput) (*testRun, error) {
	if err := testStateConstraints(in); err != nil {
		return nil, err
	}
	mock := in.Mock
	if mock != nil {
		switch {
		case in.RevealSecrets:
			return nil, errValidation("TestState does not support RevealSecrets when a mock is specified.")
		case (mock.Result == nil) == (mock.ErrorOutput == nil):
			return nil, errValidation("A test mock should have only one of the following fields: [result, errorOutput].")
		case mock.ErrorOutput != nil && mock.ErrorOutput.Error == nil:
			return nil, errValidation("The field mock.errorOutput.error is required when mock.errorOutput is specified.")
		}
	}
	conf := in.StateConfiguration
	if conf == nil {
		conf = &types.TestStateConfiguration{}
	}
	if mock == nil {
		switch {
		case in.Context != nil:
			return nil, errValidation("TestState does not support Context when a mock is not specified.")
		case conf.MapIterationFailureCount != nil:
			return nil, errValidation("TestState does not support MapIterationFailureCount when a mock is not specified.")
		}
	}

	stateName := deref(in.StateName)
	machine, err := s.testDefinitions.parse(deref(in.Definition), in.StateName != nil)
	if err != nil {
		var defErr *asl.DefinitionError
		if errors.As(err, &defErr) {
			return nil, &types.InvalidDefinition{Message: ptr(defErr.Error())}
		}
		return nil, fmt.Errorf("parse TestState definition: %w", err)
	}
	if in.StateName == nil {
		stateName = asl.SingleStateName
	}
	info, ok := machine.StateInfo(stateName)
	if !ok {
		return nil, errValidation("State not found in definition")
	}
	if err := checkTestedState(info, in, conf); err != nil {
		return nil, err
	}

	input := deref(in.Input)
	if in.Input == nil {
		input = "{}"
	}
	if !json.Valid([]byte(input)) {
		return nil, &types.InvalidExecutionInput{Message: ptr("Invalid State Machine Execution Input: 'The input is not valid JSON'")}
	}
	if in.Variables != nil {
		v, err := value.Decode([]byte(*in.Variables))
		if err != nil || !value.IsObject(v) {
			return nil, errValidation("Invalid variables provided: the variables must be a JSON object")
		}
	}

	t := &testRun{machine: machine, roleARN: deref(in.RoleArn)}
	t.run = asl.StateRun{
		Name:              stateName,
		Input:             json.RawMessage(input),
		RetryCount:        int(aws.ToInt32(conf.RetrierRetryCount)),
		MapItemReaderData: deref(conf.MapItemReaderData),
	}
	if in.Variables != nil {
		t.run.Variables = json.RawMessage(*in.Variables)
	}
	if mock != nil {
		m, err := testMock(mock, info, conf)
		if err != nil {
			return nil, err
		}
		t.run.Mock = m
		t.run.MapIterationFailureCount = int(aws.ToInt32(conf.MapIterationFailureCount))
	}

	// The run is an express execution of a machine of its own, as AWS's answers show them.
	smName, execName := uuid.NewString(), uuid.NewString()
	t.context.StateMachine = asl.StateMachineContext{ID: s.stateMachineARN(smName), Name: smName}
	t.context.Execution = asl.ExecutionContext{
		ID:        fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s", s.cfg.Region, s.cfg.AccountID, smName, execName),
		Name:      execName,
		RoleARN:   t.roleARN,
		StartTime: apiTime(s.clock.Now()),
	}
	if in.Context != nil {
		if err := checkContextObject(*in.Context, info); err != nil {
			return nil, err
		}
		t.run.Context = json.RawMessage(*in.Context)
	} else {
		t.run.Context = t.contextObject(input, info, mock != nil)
	}
	return t, nil
}

// lengthRule is a string member's length constraint in TestState's model.
type lengthRule struct {
	field    string
	value    *string
	min, max int
}

// testDefinitionCache keeps parsed TestState definitions (an *asl.StateMachine is immutable and
// runs any number of states at once), up to maxTestDefinitionBytes of definition text; when full
// it starts again empty.
type testDefinitionCache struct {
	mu    sync.Mutex
	m     map[testDefinitionKey]*asl.StateMachine
	bytes int
}

type testDefinitionKey struct {
	definition string
	whole      bool
}

const maxTestDefinitionBytes = 8 << 20

func (c *testDefinitionCache) parse(definition string, whole bool) (*asl.StateMachine, error) {
	key := testDefinitionKey{definition, whole}
	c.mu.Lock()
	sm, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return sm, nil
	}
	sm, err := asl.ParseTestDefinition([]byte(definition), whole)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+len(definition) > maxTestDefinitionBytes {
		c.m, c.bytes = map[testDefinitionKey]*asl.StateMachine{}, 0
	}
	c.m[key] = sm
	c.bytes += len(definition)
	return sm, nil
}

// testStateConstraints applies the constraints of TestState's model that the SDK leaves to the
// service.
func testStateConstraints(in *sfn.TestStateInput) error {
	lengths := []lengthRule{
		{"definition", in.Definition, 1, maxDefinitionLength},
		{"roleArn", in.RoleArn, 1, maxARNLength},
		{"stateName", in.StateName, 1, maxNameLength},
		{"input", in.Input, 0, maxInputLength},
		{"variables", in.Variables, 0, maxInputLength},
		{"context", in.Context, 0, maxInputLength},
	}
	if in.Mock != nil {
		lengths = append(lengths, lengthRule{"mock.result", in.Mock.Result, 0, maxMockLength})
	}
	if c := in.StateConfiguration; c != nil {
		lengths = append(lengths, lengthRule{"stateConfiguration.errorCausedByState", c.ErrorCausedByState, 1, maxNameLength},
			lengthRule{"stateConfiguration.mapItemReaderData", c.MapItemReaderData, 0, maxMockLength})
		if n := c.RetrierRetryCount; n != nil && *n < 0 {
			return errConstraint("stateConfiguration.retrierRetryCount", "Member must have value greater than or equal to 0")
		}
		if n := c.MapIterationFailureCount; n != nil && *n < 0 {
			return errConstraint("stateConfiguration.mapIterationFailureCount", "Member must have value greater than or equal to 0")
		}
	}
	if in.Definition == nil {
		return errConstraint("definition", "Member must not be null")
	}
	for _, l := range lengths {
		switch {
		case l.value == nil:
		case len(*l.value) < l.min:
			return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", *l.value, l.field, l.min)
		case len(*l.value) > l.max:
			return errConstraint(l.field, fmt.Sprintf("Member must have length less than or equal to %d", l.max))
		}
	}
	switch in.InspectionLevel {
	case "", types.InspectionLevelInfo, types.InspectionLevelDebug, types.InspectionLevelTrace:
	default:
		return errConstraint("inspectionLevel", "Member must satisfy enum value set: [INFO, DEBUG, TRACE]")
	}
	if in.Mock != nil {
		switch in.Mock.FieldValidationMode {
		case "", types.MockResponseValidationModeStrict, types.MockResponseValidationModePresent, types.MockResponseValidationModeNone:
		default:
			return errConstraint("mock.fieldValidationMode", "Member must satisfy enum value set: [STRICT, PRESENT, NONE]")
		}
	}
	if in.RoleArn != nil {
		if _, err := arn.Parse(*in.RoleArn); err != nil {
			return errInvalidArn("Unable to parse ARN: " + *in.RoleArn)
		}
	}
	return nil
}

// checkTestedState applies TestState's rules on the state's type: a mock only for a Task, Map
// or Parallel state, and one always for a Map or Parallel state, an Activity task or a .sync
// or .waitForTaskToken integration; a role to call an unmocked task with.
func checkTestedState(info asl.StateInfo, in *sfn.TestStateInput, conf *types.TestStateConfiguration) error {
	mocked := in.Mock != nil
	switch info.Type {
	case "Task", "Map", "Parallel":
	default:
		if mocked {
			return errValidation("State type '%s' is not supported when a mock is specified", info.Type)
		}
	}
	switch {
	case mocked:
	case info.Type == "Map" || info.Type == "Parallel":
		return &types.InvalidDefinition{Message: ptr("TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")}
	case info.Type == "Task" && needsMock(info.Resource):
		return &types.InvalidDefinition{Message: ptr("TestState API supports Activity tasks and the .sync and .waitForTaskToken service integration patterns only when a mock is specified")}
	case info.Type == "Task" && in.RoleArn == nil:
		return errValidation("RoleArn must be specified when testing a Task state")
	}
	if name := deref(conf.ErrorCausedByState); name != "" && (info.Type == "Map" || info.Type == "Parallel") && !slices.Contains(info.Inner, name) {
		return errValidation("The state '%s' given as errorCausedByState is not a state of this %s state", name, info.Type)
	}
	return nil
}

// needsMock tells the Task resources TestState runs only with a mock: activities and the
// .sync and .waitForTaskToken integration patterns.
func needsMock(resource string) bool {
	if a, err := arn.Parse(resource); err == nil && strings.HasPrefix(a.Resource, "activity:") {
		return true
	}
	return waitsForToken(resource) || strings.Contains(resource, ".sync")
}

func waitsForToken(resource string) bool {
	return strings.HasSuffix(resource, ".waitForTaskToken")
}

// testMock checks a mock against the state it replaces the work of, and converts it.
func testMock(mock *types.MockInput, info asl.StateInfo, conf *types.TestStateConfiguration) (*asl.Mock, error) {
	if e := mock.ErrorOutput; e != nil {
		return &asl.Mock{Failure: &asl.Failure{Name: deref(e.Error), Cause: deref(e.Cause)}}, nil
	}
	result, err := value.Decode([]byte(*mock.Result))
	if err != nil {
		return nil, errValidation("Mocked result must be valid JSON")
	}
	arr, isArray := result.([]any)
	switch {
	case info.Type == "Map" && info.ResultWriter:
		if !value.IsObject(result) {
			return nil, errValidation("Mocked result must be a JSON object.")
		}
	case info.Type == "Map" || info.Type == "Parallel":
		if !isArray {
			return nil, errValidation("Mocked result must be an array.")
		}
		if info.Type == "Parallel" && len(arr) != info.Branches {
			return nil, errValidation("Mocked result must contain the same number of items as number of Parallel branches.")
		}
	case info.Type == "Task":
		if err := checkMockShape(info.Resource, result, mock.FieldValidationMode); err != nil {
			return nil, err
		}
	}
	if n := conf.MapIterationFailureCount; n != nil && isArray && int(*n) > len(arr) {
		return nil, errValidation("Map iteration failure count must be less than or equal to the number of Map iterations")
	}
	return &asl.Mock{Result: json.RawMessage(*mock.Result)}, nil
}

// contextFields are the members a given context object may have, and what each must be.
var contextFields = map[string]map[string]string{
	"Execution":    {"Id": "string", "Input": "", "Name": "string", "RoleArn": "string", "StartTime": "string", "RedriveCount": "number"},
	"State":        {"EnteredTime": "string", "Name": "string", "RetryCount": "number"},
	"StateMachine": {"Id": "string", "Name": "string"},
	"Task":         {"Token": "string"},
}

// checkContextObject applies TestState's rules on a given context object: only the members an
// execution's has (no Map), and a Task token only for a task that waits for one or a .sync
// integration.
func checkContextObject(text string, info asl.StateInfo) error {
	invalid := func(format string, args ...any) error {
		return errValidation("Invalid Context object provided: "+format, args...)
	}
	v, err := value.Decode([]byte(text))
	if err != nil {
		return invalid("the context is not valid JSON")
	}
	top, ok := value.Ordered(v)
	if !ok {
		return invalid("the context must be a JSON object")
	}
	for _, k := range top.Keys() {
		fields, known := contextFields[k]
		switch {
		case k == "Map":
			return invalid("'Map' field is not supported when mocking a Context object")
		case !known:
			return invalid("Field '%s' is not allowed", k)
		}
		part, _ := top.Get(k)
		obj, ok := value.Ordered(part)
		if !ok {
			return invalid("%s must be an object", k)
		}
		for _, f := range obj.Keys() {
			want, known := fields[f]
			if !known {
				return invalid("Field '%s' is not allowed", f)
			}
			got, _ := obj.Get(f)
			if _, isStr := got.(string); want == "string" && !isStr {
				return invalid("%s.%s must be a string", k, f)
			}
			if _, isNum := got.(json.Number); want == "number" && !isNum {
				return invalid("%s.%s must be a number", k, f)
			}
		}
	}
	if _, hasTask := top.Get("Task"); hasTask && (info.Type != "Task" || !needsMock(info.Resource) || strings.Contains(info.Resource, ":activity:")) {
		return invalid("Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern")
	}
	return nil
}

// contextObject is the context object of a run given none, as AWS's answers show it: the
// execution's and machine's part, the state's as "StateName" (whatever the state is called),
// with a RetryCount when a mock is given, and a task token for a task that waits for one.
func (t *testRun) contextObject(input string, info asl.StateInfo, mocked bool) json.RawMessage {
	c := t.context
	execution := value.NewObject(5)
	execution.Set("Id", c.Execution.ID)
	inputValue, _ := value.Decode([]byte(input))
	execution.Set("Input", inputValue)
	execution.Set("Name", c.Execution.Name)
	if c.Execution.RoleARN != "" {
		execution.Set("RoleArn", c.Execution.RoleARN)
	} else {
		execution.Set("RoleArn", nil)
	}
	execution.Set("StartTime", clock.Format(c.Execution.StartTime))
	machine := value.NewObject(2)
	machine.Set("Id", c.StateMachine.ID)
	machine.Set("Name", c.StateMachine.Name)
	state := value.NewObject(3)
	state.Set("Name", asl.SingleStateName)
	state.Set("EnteredTime", clock.Format(c.Execution.StartTime))
	if mocked {
		state.Set("RetryCount", json.Number(fmt.Sprint(t.run.RetryCount)))
	}
	obj := value.NewObject(4)
	obj.Set("Execution", execution)
	obj.Set("StateMachine", machine)
	obj.Set("State", state)
	if info.Type == "Task" && waitsForToken(info.Resource) {
		task := value.NewObject(1)
		task.Set("Token", uuid.NewString())
		obj.Set("Task", task)
	}
	text, _ := value.Append(nil, obj)
	return json.RawMessage(text)
}

// testInvoker calls what executions call. A resource the offline stack does not serve fails
// the task as a resource the role cannot reach does on AWS, with what to do instead.
func (s *Service) testInvoker(roleARN string) asl.Invoker {
	return asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		// TestState's own mock stands in for a mock test case: the state runs on what executions
		// reach without one.
		inv, err := s.invoker("", "")
		if err == nil && inv == nil {
			err = fmt.Errorf("%w: no integration is configured", asl.ErrUnknownResource)
		}
		if err == nil {
			var out json.RawMessage
			if out, err = inv.Invoke(ctx, req); !errors.Is(err, asl.ErrUnknownResource) {
				return out, err
			}
		}
		return nil, &asl.Failure{Name: errNamePermissions, Cause: fmt.Sprintf(
			"The role '%s' cannot reach %s from the offline stack (%v). To test this state offline, give TestState a mock: "+
				`{"result": "<the service's answer as JSON text>"} or {"errorOutput": {"error": "<name>", "cause": "<text>"}}.`,
			roleARN, req.Resource, err)}
	})
}

// testStateOutput is TestState's answer for a run: its status from how the state ended, the
// output and next state or the error, and the inspection data at DEBUG and TRACE.
func testStateOutput(res asl.StateResult, level types.InspectionLevel) *sfn.TestStateOutput {
	out := &sfn.TestStateOutput{Status: types.TestExecutionStatusSucceeded}
	handled := res.Inspection.Error
	switch f := res.Failure; {
	case f == nil:
	case handled != nil && handled.Retrying:
		out.Status = types.TestExecutionStatusRetriable
	case handled != nil && handled.CatchIndex >= 0:
		out.Status = types.TestExecutionStatusCaughtError
	default:
		out.Status = types.TestExecutionStatusFailed
	}
	if f := res.Failure; f != nil {
		out.Error, out.Cause = ptr(f.Name), optional(f.Cause)
	}
	if out.Status == types.TestExecutionStatusSucceeded || out.Status == types.TestExecutionStatusCaughtError {
		out.Output, out.NextState = ptr(string(res.Output)), optional(res.Next)
	}
	if level == types.InspectionLevelDebug || level == types.InspectionLevelTrace {
		out.InspectionData = inspectionData(res.Inspection)
	}
	return out
}

// inspectionData is the engine's record of the steps in TestState's shape: a step that did not
// happen is left out, as are variables when there are none.
func inspectionData(in asl.Inspection) *types.InspectionData {
	d := &types.InspectionData{
		Input:               optional(in.Input),
		AfterInputPath:      optional(in.AfterInputPath),
		AfterParameters:     optional(in.AfterParameters),
		AfterArguments:      optional(in.AfterArguments),
		Result:              optional(in.Result),
		AfterResultSelector: optional(in.AfterResultSelector),
		AfterResultPath:     optional(in.AfterResultPath),
		AfterItemsPath:      optional(in.AfterItemsPath),
		AfterItemSelector:   optional(in.AfterItemSelector),
		AfterItemBatcher:    optional(in.AfterItemBatcher),
	}
	if in.Variables != "{}" {
		d.Variables = optional(in.Variables)
	}
	if in.MaxConcurrency != nil {
		d.MaxConcurrency = ptr(clampInt32(*in.MaxConcurrency))
	}
	if in.ToleratedFailureCount != nil {
		d.ToleratedFailureCount = ptr(clampInt32(*in.ToleratedFailureCount))
	}
	if in.ToleratedFailurePercentage != nil {
		d.ToleratedFailurePercentage = ptr(float32(*in.ToleratedFailurePercentage))
	}
	if e := in.Error; e != nil && (e.RetryIndex >= 0 || e.CatchIndex >= 0) {
		d.ErrorDetails = &types.InspectionErrorDetails{}
		if e.RetryIndex >= 0 {
			d.ErrorDetails.RetryIndex = ptr(int32(e.RetryIndex))
		}
		if e.Retrying {
			d.ErrorDetails.RetryBackoffIntervalSeconds = ptr(clampInt32(int64(math.Round(e.RetryBackoff.Seconds()))))
		}
		if e.CatchIndex >= 0 {
			d.ErrorDetails.CatchIndex = ptr(int32(e.CatchIndex))
		}
	}
	return d
}

func clampInt32(n int64) int32 {
	return int32(min(max(n, math.MinInt32), math.MaxInt32))
}
