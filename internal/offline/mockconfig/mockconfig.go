// Package mockconfig reads AWS Step Functions Local's mock configuration, the MockConfigFile.json
// that SFN_MOCK_CONFIG names, and answers what a mocked Task state does on a given invocation:
// return a value, throw an error (as the engine's *asl.Failure), or nothing, because the test
// case does not mock that state and the real integration runs.
//
// The format and its meaning are AWS's ("Using mocked service integrations for testing in Step
// Functions Local" and "Configuration file for mocked service integrations" in the Step Functions
// developer guide), checked against LocalStack's implementation and tests of the same format:
//
//   - StateMachines.<state machine name>.TestCases.<test case>.<state name> names a mocked
//     response; MockedResponses.<name> maps invocation numbers ("0", or an inclusive range "1-2")
//     to exactly one of Return (any JSON value: the task's result as the integration returns it)
//     or Throw ({"Error", "Cause"}, both strings). Invocations are numbered consecutively from 0.
//   - A StartExecution on "<stateMachineArn>#<TestCaseName>" runs that test case (SplitTestCase).
//   - A state is counted per execution by its name, wherever it is (inside a Map's iterations or a
//     Parallel's branches too): its Nth invocation in the execution, retries and loops included,
//     gets response N (Playback). AWS's page says to run a mocked Map with MaxConcurrency 1 for
//     that reason; LocalStack shares one counter across an execution's Map and Parallel frames.
//   - Past the last numbered response there is none: the execution fails ("If you do not specify a
//     mocked response for a specific retry attempt … the state machine execution will fail").
//   - A mocked .waitForTaskToken task does not wait: Step Functions Local generates its token, and
//     the mocked Return or Throw stands for the callback's SendTaskSuccess or SendTaskFailure.
//   - For Lambda (arn:aws:states:::lambda:invoke or a function ARN) Return is the Invoke response,
//     {"StatusCode", "Payload", …}; a function-ARN resource passes on its Payload, as it would a real
//     one's.
//
// The package only reads and answers; the offline stack (internal/offline/mocks.go) decides when
// to ask: per execution, for the test case its StartExecution named or its machine's default.
package mockconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// EnvVar names the mock configuration file, as it does for Step Functions Local.
const EnvVar = "SFN_MOCK_CONFIG"

// Config is a parsed and validated mock configuration.
type Config struct {
	// machines maps a state machine's name to its test cases by name.
	machines map[string]map[string]*TestCase
}

// TestCase is one test case of one state machine: the states it mocks and their responses.
type TestCase struct {
	StateMachine string // the state machine's name, as StateMachines keys it
	Name         string
	states       map[string]*mockedResponse
}

// mockedResponse is one entry of MockedResponses: a response per invocation, 0 to len-1.
type mockedResponse struct {
	name  string
	steps []step // ordered, contiguous from invocation 0
}

// step is the response for invocations first through last.
type step struct {
	first, last int
	key         string // as written, for messages
	response    Response
}

// Response is what one invocation of a mocked state does: exactly one of Return and Throw is set.
type Response struct {
	Return json.RawMessage // the task's result, as the file holds it (JSON null included)
	Throw  *Throw
}

// Throw is a mocked task's error output.
type Throw struct {
	Error, Cause string
}

// Result is the invocation as a Task's integration reports it: the result, or the error as the
// engine's *asl.Failure, which Retry and Catch match like any task error. Each call returns
// values of its own.
func (r Response) Result() (json.RawMessage, error) {
	if r.Throw != nil {
		return nil, &asl.Failure{Name: r.Throw.Error, Cause: r.Throw.Cause}
	}
	return bytes.Clone(r.Return), nil
}

// ErrUnknownTestCase is wrapped by TestCase's error when the configuration has no such state
// machine or test case.
var ErrUnknownTestCase = errors.New("unknown mock test case")

// ErrNoResponse is wrapped by the error for an invocation past the last numbered response of a
// mocked state: the execution fails there.
var ErrNoResponse = errors.New("no mocked response for this invocation")

// Load reads and validates the mock configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mock configuration: %w", err)
	}
	c, err := Parse(data)
	var invalid *Error
	if errors.As(err, &invalid) {
		invalid.File = path
	}
	return c, err
}

// TestCase returns the test case of the named state machine (its name, not its ARN).
func (c *Config) TestCase(stateMachine, testCase string) (*TestCase, error) {
	cases, ok := c.machines[stateMachine]
	if !ok {
		return nil, fmt.Errorf("%w: the mock configuration has no state machine %q (it has %s)",
			ErrUnknownTestCase, stateMachine, list(slices.Sorted(maps.Keys(c.machines))))
	}
	tc, ok := cases[testCase]
	if !ok {
		return nil, fmt.Errorf("%w: state machine %q has no test case %q in the mock configuration (it has %s)",
			ErrUnknownTestCase, stateMachine, testCase, list(slices.Sorted(maps.Keys(cases))))
	}
	return tc, nil
}

// States lists the states the test case mocks, sorted.
func (tc *TestCase) States() []string {
	return slices.Sorted(maps.Keys(tc.states))
}

// Response answers what invocation attempt (0 for the first) of state does under this test case.
// mocked is false when the test case does not mock the state: the real integration runs. An
// invocation past the last numbered response is an error wrapping ErrNoResponse that names the
// entry to add.
func (tc *TestCase) Response(state string, attempt int) (r Response, mocked bool, err error) {
	m, ok := tc.states[state]
	if !ok {
		return Response{}, false, nil
	}
	for _, s := range m.steps {
		if attempt >= s.first && attempt <= s.last {
			return s.response, true, nil
		}
	}
	covered := "none"
	if n := len(m.steps); n > 0 {
		covered = fmt.Sprintf("0-%d", m.steps[n-1].last)
	}
	return Response{}, true, fmt.Errorf("%w: state %q of state machine %q, test case %q, is mocked by MockedResponses.%s, "+
		"which covers invocations %s and not invocation %d: add a response for %q to it",
		ErrNoResponse, state, tc.StateMachine, tc.Name, m.name, covered, attempt, fmt.Sprint(attempt))
}

// Playback plays a test case's responses to one execution: each state's invocations are counted
// from 0, across the execution's retries, loops, Map iterations and Parallel branches. It is
// safe for concurrent use by the execution's branches and iterations.
type Playback struct {
	tc   *TestCase
	mu   sync.Mutex
	next map[string]int
}

// Playback starts counting for a new execution of the test case.
func (tc *TestCase) Playback() *Playback {
	return &Playback{tc: tc, next: map[string]int{}}
}

// Next answers the state's next invocation and counts it, as Response does. A state the test
// case does not mock is not counted.
func (p *Playback) Next(state string) (r Response, mocked bool, err error) {
	if _, ok := p.tc.states[state]; !ok {
		return Response{}, false, nil
	}
	p.mu.Lock()
	attempt := p.next[state]
	p.next[state] = attempt + 1
	p.mu.Unlock()
	return p.tc.Response(state, attempt)
}

// SplitTestCase splits the stateMachineArn of a StartExecution into the state machine's ARN and
// the test case it asks for, "<stateMachineArn>#<TestCaseName>" as Step Functions Local takes it.
// Without a '#' the test case is "" (no mocks).
func SplitTestCase(stateMachineARN string) (arn, testCase string, err error) {
	arn, testCase, found := strings.Cut(stateMachineARN, "#")
	switch {
	case !found:
		return stateMachineARN, "", nil
	case arn == "":
		return "", "", fmt.Errorf("%q: no state machine ARN before the '#' of the test case", stateMachineARN)
	case testCase == "":
		return "", "", fmt.Errorf("%q: no test case name after the '#'", stateMachineARN)
	case strings.Contains(testCase, "#"):
		return "", "", fmt.Errorf("%q: more than one '#': want <stateMachineArn>#<TestCaseName>", stateMachineARN)
	}
	return arn, testCase, nil
}

// list quotes names for a message.
func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}
