package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/mockconfig"
)

// An execution's Task states reach the registry of integrations (services.go) through an
// invoker of its own, which knows the execution's state machine and the mock test case it runs:
// a test case named by StartExecution ("<stateMachineArn>#<TestCaseName>", as Step Functions
// Local takes it) or, for the executions the HTTP routes start, which cannot name one, the
// state machine's default (Config.MockTestCases). A state the test case mocks answers from the
// mock configuration; any other runs on the emulated services; one neither serves fails the
// execution with States.Runtime and a cause that names the mock entry to add.

// loadMocks reads the mock configuration and checks the default test cases against it and the
// template's state machines.
func (st *setup) loadMocks(machines []string) (*mockconfig.Config, error) {
	cfg := st.cfg
	if cfg.MockConfig == "" {
		if len(cfg.MockTestCases) > 0 {
			return nil, fmt.Errorf("default mock test cases (%s) need a mock configuration: set %s or make local MOCK_CONFIG=…",
				strings.Join(slices.Sorted(maps.Keys(cfg.MockTestCases)), ", "), mockconfig.EnvVar)
		}
		return nil, nil
	}
	mocks, err := mockconfig.Load(cfg.MockConfig)
	if err != nil {
		return nil, err
	}
	for _, machine := range slices.Sorted(maps.Keys(cfg.MockTestCases)) {
		if !slices.Contains(machines, machine) {
			return nil, fmt.Errorf("default mock test case for %q: the template has no state machine of that name (it has %s)", machine, strings.Join(machines, ", "))
		}
		if _, err := mocks.TestCase(machine, cfg.MockTestCases[machine]); err != nil {
			return nil, fmt.Errorf("default mock test case for %q: %w", machine, err)
		}
	}
	return mocks, nil
}

// executionInvoker is localsfn.Config.ExecutionInvoker: each execution gets its own invoker,
// and its own count of each mocked state's invocations (mockconfig.Playback), as Step Functions
// Local counts them across the execution.
func (s *Stack) executionInvoker(machine, testCase string) (asl.Invoker, error) {
	if testCase == "" {
		testCase = s.mockDefaults[machine]
	}
	base := invoker{s: s, machine: machine, testCase: testCase}
	if testCase == "" {
		return base, nil
	}
	if s.mocks == nil {
		return nil, fmt.Errorf("test case %q: no mock configuration is loaded (set %s, or make local MOCK_CONFIG=…)", testCase, mockconfig.EnvVar)
	}
	tc, err := s.mocks.TestCase(machine, testCase)
	if err != nil {
		return nil, err
	}
	return mockInvoker{play: tc.Playback(), next: base}, nil
}

// mockInvoker answers the states its test case mocks and passes the others on.
type mockInvoker struct {
	play *mockconfig.Playback
	next invoker
}

// Invoke implements asl.Invoker. A mocked callback task does not wait, as AWS documents for
// Step Functions Local: Return stands for what comes back with the token (SendTaskSuccess) or
// for the job's end (.sync), and is the task's result; Throw fails it, as SendTaskFailure
// would. A Throw is an *asl.Failure, which Retry and Catch match as any task error.
func (m mockInvoker) Invoke(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	r, mocked, err := m.play.Next(req.StateName)
	if err != nil {
		// Past the last numbered response: the execution fails, as AWS documents.
		return nil, &asl.Failure{Name: asl.ErrNameRuntime, Cause: err.Error()}
	}
	if !mocked {
		return m.next.Invoke(ctx, req)
	}
	result, err := r.Result()
	if err != nil {
		return nil, err
	}
	if req.TaskToken == "" && lambdaResource(req.StateResource) {
		if result, err = mockedLambda(result); err != nil {
			return nil, err
		}
	}
	return req.Complete(result)
}

func lambdaResource(resource string) bool {
	return resource == lambdaInvoke || strings.HasPrefix(resource, "arn:aws:lambda:")
}

// lambdaInvoke is the optimised Lambda integration, which the engine unwraps.
const lambdaInvoke = "arn:aws:states:::lambda:invoke"

// mockedLambda turns a mocked Lambda Return, which is the whole Invoke response
// ({"StatusCode": 200, "Payload": …}) as AWS's mock files write it, into what the engine expects
// from a function: its Payload. For arn:aws:states:::lambda:invoke the engine then builds the
// Invoke response around it as for a real call (StatusCode 200, ExecutedVersion, the SDK's HTTP
// metadata), so $.Payload and ResultSelector see what AWS shows; the Return's other members are
// not kept. A Return with FunctionError fails the task as the function's error would (the
// Payload's errorType names it). A Return without Payload is a function that returned nothing.
func mockedLambda(ret json.RawMessage) (json.RawMessage, error) {
	var resp struct {
		Payload       json.RawMessage
		FunctionError string
	}
	if err := json.Unmarshal(ret, &resp); err != nil {
		return nil, &asl.Failure{Name: asl.ErrNameRuntime, Cause: "A mocked Lambda Return is the Invoke response, a JSON object with the function's answer as its Payload: " + err.Error()}
	}
	if resp.FunctionError != "" {
		return nil, functionError(resp.Payload)
	}
	if len(resp.Payload) == 0 {
		return json.RawMessage("null"), nil
	}
	return resp.Payload, nil
}

// unservedError is the answer for a Task resource that no integration serves and no mock
// answers; it names the mock entry that would.
type unservedError struct{ message string }

func (e *unservedError) Error() string { return e.message }
func (e *unservedError) Unwrap() error { return asl.ErrUnknownResource }

// unserved explains a Task no integration serves: the state, the resource, and the mock entry
// to add, as JSON that can be pasted into the mock configuration. The console says it too.
func (i invoker) unserved(req asl.TaskRequest, reason string) error {
	testCase := i.testCase
	if testCase == "" {
		testCase = "Offline"
	}
	response := "Mocked" + req.StateName
	ret := any(map[string]any{})
	if lambdaResource(req.StateResource) && req.TaskToken == "" {
		ret = map[string]any{"StatusCode": 200, "Payload": map[string]any{}}
	}
	// In the order of AWS's examples: StateMachines, then MockedResponses.
	entry, _ := json.Marshal(struct {
		StateMachines   any
		MockedResponses any
	}{
		StateMachines:   map[string]any{i.machine: map[string]any{"TestCases": map[string]any{testCase: map[string]string{req.StateName: response}}}},
		MockedResponses: map[string]any{response: map[string]any{"0": map[string]any{"Return": ret}}},
	})
	var run string
	switch {
	case i.testCase != "":
		run = fmt.Sprintf("test case %q runs; add the state to it", i.testCase)
	default:
		run = fmt.Sprintf("then run the test case: StartExecution on \"<stateMachineArn>#%s\", or make local MOCK_TEST_CASE=%s=%s for the executions the API starts", testCase, i.machine, testCase)
	}
	how := fmt.Sprintf("add the mock entry to the mock configuration (%s, make local MOCK_CONFIG=…); %s", mockconfig.EnvVar, run)
	msg := fmt.Sprintf("%s; the offline stack does not emulate it and no mock answers state %q. Mock it: %s. The entry: %s",
		reason, req.StateName, how, entry)
	i.s.log.Warn("task not served", "service", "states", "executionArn", req.ExecutionARN, "state", req.StateName,
		"resource", req.StateResource, "mock", json.RawMessage(entry), "how", how)
	return &unservedError{message: msg}
}

// isUnserved tells an integration's answer that it does not serve the request.
func isUnserved(err error) bool { return errors.Is(err, asl.ErrUnknownResource) }
