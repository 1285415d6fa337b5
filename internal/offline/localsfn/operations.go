package localsfn

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/mockconfig"
)

// The methods below mirror *sfn.Client's signatures (options are accepted and ignored), so a
// *Service satisfies the small interfaces the functions declare for the SDK client.

// CreateStateMachine registers a state machine. As on AWS it is idempotent for the same name,
// definition and type, and ignores a different roleArn in that case.
func (s *Service) CreateStateMachine(_ context.Context, in *sfn.CreateStateMachineInput, _ ...func(*sfn.Options)) (*sfn.CreateStateMachineOutput, error) {
	name, definition, roleARN := deref(in.Name), deref(in.Definition), deref(in.RoleArn)
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	if definition == "" {
		return nil, errConstraint("definition", "Member must not be null")
	}
	if len(definition) > maxDefinitionLength {
		return nil, errConstraint("definition", fmt.Sprintf("Member must have length less than or equal to %d", maxDefinitionLength))
	}
	if roleARN == "" {
		return nil, errConstraint("roleArn", "Member must not be null")
	}
	// There is no IAM locally: any ARN-shaped role will do, as long as it parses.
	if len(roleARN) > maxARNLength {
		return nil, errConstraint("roleArn", fmt.Sprintf("Member must have length less than or equal to %d", maxARNLength))
	}
	if _, err := arn.Parse(roleARN); err != nil {
		return nil, errInvalidArn("Unable to parse ARN: " + roleARN)
	}
	typ := in.Type
	if typ == "" {
		typ = types.StateMachineTypeStandard
	}
	if typ != types.StateMachineTypeStandard && typ != types.StateMachineTypeExpress {
		return nil, errConstraint("type", "Member must satisfy enum value set: [STANDARD, EXPRESS]")
	}
	machine, err := asl.Parse([]byte(definition))
	if err == nil && typ == types.StateMachineTypeExpress {
		if problems := machine.ExpressProblems(); problems != nil {
			err = problems
		}
	}
	if err != nil {
		var defErr *asl.DefinitionError
		if errors.As(err, &defErr) {
			return nil, &types.InvalidDefinition{Message: ptr(defErr.Error())}
		}
		return nil, fmt.Errorf("parse definition of %s: %w", name, err)
	}

	arn := s.stateMachineARN(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.stateMachines[arn]; ok {
		if old.definition != definition || old.typ != typ {
			return nil, &types.StateMachineAlreadyExists{Message: ptr(fmt.Sprintf("State Machine Already Exists: '%s'", arn))}
		}
		return &sfn.CreateStateMachineOutput{StateMachineArn: ptr(arn), CreationDate: ptr(old.created)}, nil
	}
	sm := &stateMachine{
		arn: arn, name: name, typ: typ, definition: definition, roleARN: roleARN,
		created: apiTime(s.clock.Now()), machine: machine,
	}
	s.stateMachines[arn] = sm
	s.log.Debug("state machine created", "stateMachineArn", arn, "type", typ)
	return &sfn.CreateStateMachineOutput{StateMachineArn: ptr(arn), CreationDate: ptr(sm.created)}, nil
}

// DescribeStateMachine returns a state machine's definition and settings.
func (s *Service) DescribeStateMachine(_ context.Context, in *sfn.DescribeStateMachineInput, _ ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error) {
	sm, err := s.lookupStateMachine(deref(in.StateMachineArn))
	if err != nil {
		return nil, err
	}
	return &sfn.DescribeStateMachineOutput{
		StateMachineArn: ptr(sm.arn),
		Name:            ptr(sm.name),
		Status:          types.StateMachineStatusActive,
		Definition:      ptr(sm.definition),
		RoleArn:         ptr(sm.roleARN),
		Type:            sm.typ,
		CreationDate:    ptr(sm.created),
		LoggingConfiguration: &types.LoggingConfiguration{
			Level: types.LogLevelOff,
		},
		TracingConfiguration: &types.TracingConfiguration{},
	}, nil
}

// ListStateMachines lists state machines by name, a page at a time.
func (s *Service) ListStateMachines(_ context.Context, in *sfn.ListStateMachinesInput, _ ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	items := make([]types.StateMachineListItem, 0, len(s.stateMachines))
	for _, sm := range s.stateMachines {
		items = append(items, types.StateMachineListItem{
			StateMachineArn: ptr(sm.arn), Name: ptr(sm.name), Type: sm.typ, CreationDate: ptr(sm.created),
		})
	}
	s.mu.Unlock()
	slices.SortFunc(items, func(a, b types.StateMachineListItem) int { return strings.Compare(*a.Name, *b.Name) })
	page, next, err := paginate(items, "ListStateMachines", deref(in.NextToken), limit)
	if err != nil {
		return nil, err
	}
	return &sfn.ListStateMachinesOutput{StateMachines: page, NextToken: next}, nil
}

// DeleteStateMachine removes a state machine. As on AWS, deleting one that does not exist
// succeeds; its executions stay describable until they age out.
func (s *Service) DeleteStateMachine(_ context.Context, in *sfn.DeleteStateMachineInput, _ ...func(*sfn.Options)) (*sfn.DeleteStateMachineOutput, error) {
	arn := deref(in.StateMachineArn)
	if err := parseStateMachineARN("stateMachineArn", arn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	_, existed := s.stateMachines[arn]
	delete(s.stateMachines, arn)
	s.mu.Unlock()
	if existed {
		s.log.Info("state machine deleted", "stateMachineArn", arn)
	}
	return &sfn.DeleteStateMachineOutput{}, nil
}

// StartExecution starts an execution. For a STANDARD machine the name is unique among the kept
// executions: the same name and input while the first is RUNNING returns that execution again,
// anything else is ExecutionAlreadyExists. An EXPRESS execution runs but cannot be described.
//
// As Step Functions Local does, "<stateMachineArn>#<TestCaseName>" runs the mock test case named
// after the '#' when Config.ExecutionInvoker is set.
func (s *Service) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	e, err := s.launch(in)
	if err != nil {
		return nil, err
	}
	return &sfn.StartExecutionOutput{ExecutionArn: ptr(e.arn), StartDate: ptr(e.startDate)}, nil
}

// launch starts an execution as StartExecution does and returns it: the running one it already
// had for the same STANDARD name and input, or a new one.
func (s *Service) launch(in *sfn.StartExecutionInput) (*execution, error) {
	e, err := s.newExecution(in.StateMachineArn, in.Name, in.Input, in.TraceHeader)
	if err != nil {
		return nil, err
	}
	if e.express {
		s.start(e, json.RawMessage(e.input))
		return e, nil
	}

	s.mu.Lock()
	if old, ok := s.executions[e.arn]; ok {
		s.mu.Unlock()
		status, _, _ := s.snapshot(old)
		if status == types.ExecutionStatusRunning && old.input == e.input {
			return old, nil
		}
		return nil, &types.ExecutionAlreadyExists{Message: ptr(fmt.Sprintf("Execution Already Exists: '%s'", e.arn))}
	}
	s.executions[e.arn] = e
	s.start(e, json.RawMessage(e.input))
	s.mu.Unlock()
	s.log.Debug("execution started", "executionArn", e.arn)
	return e, nil
}

// StartSyncExecution runs an EXPRESS execution to its end and returns its result. If ctx ends
// first the execution goes on (as on AWS, where the client's timeout does not stop it) and the
// context's error is returned.
func (s *Service) StartSyncExecution(ctx context.Context, in *sfn.StartSyncExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error) {
	e, err := s.newExecution(in.StateMachineArn, in.Name, in.Input, in.TraceHeader)
	if err != nil {
		return nil, err
	}
	if !e.express {
		return nil, errTypeNotSupported(e.sm.typ)
	}
	s.start(e, json.RawMessage(e.input))
	select {
	case <-e.finishedDone:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for express execution %s: %w", e.arn, ctx.Err())
	}
	res, stop := e.result, e.stopDate
	out := &sfn.StartSyncExecutionOutput{
		ExecutionArn:    ptr(e.arn),
		StateMachineArn: ptr(e.sm.arn),
		Name:            ptr(e.name),
		StartDate:       ptr(e.startDate),
		StopDate:        ptr(stop),
		Status:          types.SyncExecutionStatus(res.Status),
		Input:           ptr(e.input),
		InputDetails:    &types.CloudWatchEventsExecutionDataDetails{Included: true},
		BillingDetails:  billing(stop.Sub(e.startDate)),
	}
	if e.traceHeader != "" {
		out.TraceHeader = ptr(e.traceHeader)
	}
	if res.Output != nil {
		out.Output = ptr(string(res.Output))
		out.OutputDetails = &types.CloudWatchEventsExecutionDataDetails{Included: true}
	}
	if res.Status != string(types.SyncExecutionStatusSucceeded) {
		out.Error, out.Cause = optional(res.Error), optional(res.Cause)
	}
	return out, nil
}

// DescribeExecution describes a STANDARD execution.
func (s *Service) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	e, err := s.lookupExecution(deref(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	status, res, stop := s.snapshot(e)
	out := &sfn.DescribeExecutionOutput{
		ExecutionArn:    ptr(e.arn),
		StateMachineArn: ptr(e.sm.arn),
		Name:            ptr(e.name),
		Status:          status,
		StartDate:       ptr(e.startDate),
		Input:           ptr(e.input),
		InputDetails:    &types.CloudWatchEventsExecutionDataDetails{Included: true},
	}
	if e.traceHeader != "" {
		out.TraceHeader = ptr(e.traceHeader)
	}
	if status == types.ExecutionStatusRunning {
		return out, nil
	}
	out.StopDate = ptr(stop)
	if res.Output != nil {
		out.Output = ptr(string(res.Output))
		out.OutputDetails = &types.CloudWatchEventsExecutionDataDetails{Included: true}
	}
	if status != types.ExecutionStatusSucceeded {
		out.Error, out.Cause = optional(res.Error), optional(res.Cause)
	}
	return out, nil
}

// ListExecutions lists a STANDARD machine's kept executions, newest first.
func (s *Service) ListExecutions(_ context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	if in.MapRunArn != nil {
		return nil, errValidation("Map Runs are not supported by the local Step Functions")
	}
	sm, err := s.lookupStateMachine(deref(in.StateMachineArn))
	if err != nil {
		return nil, err
	}
	if sm.typ != types.StateMachineTypeStandard {
		return nil, errTypeNotSupported(sm.typ)
	}
	switch in.StatusFilter {
	case "", types.ExecutionStatusRunning, types.ExecutionStatusSucceeded, types.ExecutionStatusFailed,
		types.ExecutionStatusTimedOut, types.ExecutionStatusAborted, types.ExecutionStatusPendingRedrive:
	default:
		return nil, errConstraint("statusFilter", "Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	var mine []*execution
	for _, e := range s.executions {
		if e.sm.arn == sm.arn {
			mine = append(mine, e)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(mine, func(a, b *execution) int {
		return cmp.Or(b.startDate.Compare(a.startDate), strings.Compare(a.name, b.name))
	})
	items := make([]types.ExecutionListItem, 0, len(mine))
	for _, e := range mine {
		status, _, stop := s.snapshot(e)
		if in.StatusFilter != "" && status != in.StatusFilter {
			continue
		}
		item := types.ExecutionListItem{
			ExecutionArn: ptr(e.arn), StateMachineArn: ptr(sm.arn), Name: ptr(e.name),
			Status: status, StartDate: ptr(e.startDate),
		}
		if !stop.IsZero() {
			item.StopDate = ptr(stop)
		}
		items = append(items, item)
	}
	page, next, err := paginate(items, "ListExecutions:"+sm.arn+":"+string(in.StatusFilter), deref(in.NextToken), limit)
	if err != nil {
		return nil, err
	}
	return &sfn.ListExecutionsOutput{Executions: page, NextToken: next}, nil
}

// GetExecutionHistory returns a page of a STANDARD execution's events. The engine's events
// marshal to the wire shape; they are read into the SDK's types as a client would read them.
func (s *Service) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	e, err := s.lookupExecution(deref(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	events := e.run.History()
	if in.ReverseOrder {
		events = slices.Clone(events)
		slices.Reverse(events)
	}
	key := fmt.Sprintf("GetExecutionHistory:%s:%t", e.arn, in.ReverseOrder)
	page, next, err := paginate(events, key, deref(in.NextToken), limit)
	if err != nil {
		return nil, err
	}
	// Only the page is converted: a history holds up to 25,000 events.
	out := &sfn.GetExecutionHistoryOutput{NextToken: next, Events: make([]types.HistoryEvent, len(page))}
	for i, ev := range page {
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode history event %d of %s: %w", ev.ID, e.arn, err)
		}
		if in.IncludeExecutionData != nil && !*in.IncludeExecutionData {
			b = withoutExecutionData(b)
		}
		if err := unmarshalWire(b, &out.Events[i]); err != nil {
			return nil, fmt.Errorf("read history event %d of %s: %w", ev.ID, e.arn, err)
		}
	}
	return out, nil
}

// StopExecution aborts a running STANDARD execution and waits for the engine to record it. On an
// execution that already ended it changes nothing and returns the original stop date.
func (s *Service) StopExecution(ctx context.Context, in *sfn.StopExecutionInput, _ ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	if len(deref(in.Error)) > 256 {
		return nil, errConstraint("error", "Member must have length less than or equal to 256")
	}
	if len(deref(in.Cause)) > 32768 {
		return nil, errConstraint("cause", "Member must have length less than or equal to 32768")
	}
	e, err := s.lookupExecution(deref(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	if status, _, stop := s.snapshot(e); status != types.ExecutionStatusRunning {
		return &sfn.StopExecutionOutput{StopDate: ptr(stop)}, nil
	}
	e.run.Stop(deref(in.Error), deref(in.Cause))
	select {
	case <-e.run.Done():
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for %s to stop: %w", e.arn, ctx.Err())
	}
	s.finish(e)
	return &sfn.StopExecutionOutput{StopDate: ptr(e.stopDate)}, nil
}

// newExecution validates a start request and builds the execution it describes (not yet
// started or stored), with the Invoker its Task states use.
func (s *Service) newExecution(smARN, name, input, traceHeader *string) (*execution, error) {
	machineARN, testCase := deref(smARN), ""
	if s.cfg.ExecutionInvoker != nil {
		var err error
		if machineARN, testCase, err = mockconfig.SplitTestCase(machineARN); err != nil {
			return nil, errInvalidArn(err.Error())
		}
	}
	sm, err := s.lookupStateMachine(machineARN)
	if err != nil {
		return nil, err
	}
	invoker, err := s.invoker(sm.name, testCase)
	if err != nil {
		return nil, errInvalidName(fmt.Sprintf("%s#%s: %v", sm.arn, testCase, err))
	}
	n := deref(name)
	if name != nil {
		if err := validateName("name", n); err != nil {
			return nil, err
		}
	} else {
		n = uuid.NewString()
	}
	in := "{}"
	if input != nil {
		in = *input
	}
	if len(in) > maxInputLength {
		return nil, errConstraint("input", fmt.Sprintf("Member must have length less than or equal to %d", maxInputLength))
	}
	if !json.Valid([]byte(in)) {
		return nil, &types.InvalidExecutionInput{Message: ptr("Invalid State Machine Execution Input: 'The input is not valid JSON'")}
	}
	return &execution{
		arn:         s.executionARN(sm, n),
		name:        n,
		express:     sm.typ == types.StateMachineTypeExpress,
		sm:          sm,
		input:       in,
		traceHeader: deref(traceHeader),
		startDate:   apiTime(s.clock.Now()),
		invoker:     invoker,
	}, nil
}

func (s *Service) lookupStateMachine(arn string) (*stateMachine, error) {
	if err := parseStateMachineARN("stateMachineArn", arn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	sm, ok := s.stateMachines[arn]
	s.mu.Unlock()
	if !ok {
		return nil, errStateMachineDoesNotExist(arn)
	}
	return sm, nil
}

func (s *Service) lookupExecution(arn string) (*execution, error) {
	if err := parseExecutionARN("executionArn", arn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	e, ok := s.executions[arn]
	s.mu.Unlock()
	if !ok {
		return nil, errExecutionDoesNotExist(arn)
	}
	return e, nil
}

// billing mirrors Express billing: duration rounded up to 100 ms, memory in 64 MB steps (the
// engine's working set is always under the first step).
func billing(d time.Duration) *types.BillingDetails {
	ms := (d.Milliseconds() + 99) / 100 * 100
	return &types.BillingDetails{BilledDurationInMilliseconds: max(ms, 100), BilledMemoryUsedInMB: 64}
}

// pageSize applies AWS's maxResults rule: 0 (absent) means the default of 100, at most 1000.
func pageSize(n int32) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 0 || n > 1000:
		return 0, errConstraint("maxResults", "Member must have value less than or equal to 1000")
	}
	return int(n), nil
}

// paginate returns one page and the token for the next. A token is the offset bound to the
// listing it came from, so a token from another listing is InvalidToken, as on AWS.
func paginate[T any](items []T, key, token string, limit int) ([]T, *string, error) {
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, nil, errInvalidToken()
		}
		k, off, ok := strings.Cut(string(b), "\x00")
		n, err := strconv.Atoi(off)
		if !ok || k != key || err != nil || n < 0 || n > len(items) {
			return nil, nil, errInvalidToken()
		}
		start = n
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	if end == len(items) {
		return page, nil, nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + strconv.Itoa(end)))
	return page, &next, nil
}

// withoutExecutionData drops input and output from an event's details, which is what
// includeExecutionData=false asks for.
func withoutExecutionData(raw json.RawMessage) json.RawMessage {
	var ev map[string]json.RawMessage
	if json.Unmarshal(raw, &ev) != nil {
		return raw
	}
	for k, v := range ev {
		if !strings.HasSuffix(k, "EventDetails") {
			continue
		}
		var details map[string]json.RawMessage
		if json.Unmarshal(v, &details) != nil {
			continue
		}
		delete(details, "input")
		delete(details, "output")
		if b, err := json.Marshal(details); err == nil {
			ev[k] = b
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return raw
	}
	return bytes.TrimSpace(b)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// invoker is the Invoker a run of the state machine's Task states uses under the mock test case
// ("" for none): Config.ExecutionInvoker's when set, else Config.Invoker (nil when neither is).
func (s *Service) invoker(stateMachine, testCase string) (asl.Invoker, error) {
	if s.cfg.ExecutionInvoker != nil {
		return s.cfg.ExecutionInvoker(stateMachine, testCase)
	}
	return s.cfg.Invoker, nil
}
