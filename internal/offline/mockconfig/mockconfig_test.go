package mockconfig

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

const (
	lambdaSuccess = `{"StatusCode":200,"Payload":{"StatusCode":200,"body":"Hello from Lambda!"}}`
	sqsSuccess    = `{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}`
)

// want is one expected answer: a Return (JSON), a Throw (error name and cause), not mocked, or
// no response (the execution fails).
type want struct {
	ret          string
	error, cause string
	notMocked    bool
	noResponse   bool
}

func check(t *testing.T, label string, r Response, mocked bool, err error, w want) {
	t.Helper()
	switch {
	case w.noResponse:
		if !errors.Is(err, ErrNoResponse) {
			t.Errorf("%s: got %+v, %v, want ErrNoResponse", label, r, err)
		}
		return
	case err != nil:
		t.Errorf("%s: %v", label, err)
		return
	case w.notMocked:
		if mocked {
			t.Errorf("%s: mocked, want the real integration", label)
		}
		return
	case !mocked:
		t.Errorf("%s: not mocked", label)
		return
	}
	out, err := r.Result()
	if w.ret != "" {
		if err != nil || string(out) != w.ret {
			t.Errorf("%s: got %s, %v; want Return %s", label, out, err, w.ret)
		}
		return
	}
	var f *asl.Failure
	if !errors.As(err, &f) || f.Name != w.error || f.Cause != w.cause {
		t.Errorf("%s: got %s, %v; want Throw %s (%s)", label, out, err, w.error, w.cause)
	}
}

// AWS's own example (testdata/README.md gives its source) parses, and each test case answers what
// AWS's page says it does.
func TestAWSExample(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "MockConfigFile.json"))
	if err != nil {
		t.Fatal(err)
	}
	notReady := want{error: "Lambda.ResourceNotReadyException", cause: "Lambda resource is not ready."}
	timedOut := want{error: "Lambda.TimeoutException", cause: "Lambda timed out."}
	tests := []struct {
		testCase string
		state    string
		answers  []want // for invocations 0, 1, …
	}{
		// "HappyPath - This test mocks the output of LambdaState and SQSState using
		// MockedLambdaSuccess and MockedSQSSuccess respectively."
		{"HappyPath", "LambdaState", []want{{ret: lambdaSuccess}, {noResponse: true}}},
		{"HappyPath", "SQSState", []want{{ret: sqsSuccess}, {noResponse: true}}},
		// "RetryPath": the initial attempt throws ResourceNotReady, the first and second retries
		// time out, the third retry returns; "If you do not specify a mocked response for a
		// specific retry attempt … the state machine execution will fail."
		{"RetryPath", "LambdaState", []want{notReady, timedOut, timedOut, {ret: lambdaSuccess}, {noResponse: true}}},
		{"RetryPath", "SQSState", []want{{ret: sqsSuccess}}},
		// "HybridPath - This test mocks the output of LambdaState. After LambdaState runs
		// successfully and receives mocked data as a response, SQSState performs an actual
		// service call."
		{"HybridPath", "LambdaState", []want{{ret: lambdaSuccess}}},
		{"HybridPath", "SQSState", []want{{notMocked: true}, {notMocked: true}}},
		// A state the machine does not have is not mocked either.
		{"HappyPath", "NoSuchState", []want{{notMocked: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.testCase+"/"+tt.state, func(t *testing.T) {
			tc, err := c.TestCase("LambdaSQSIntegration", tt.testCase)
			if err != nil {
				t.Fatal(err)
			}
			play := tc.Playback()
			for attempt, w := range tt.answers {
				r, mocked, err := tc.Response(tt.state, attempt)
				check(t, "Response "+string(rune('0'+attempt)), r, mocked, err, w)
				r, mocked, err = play.Next(tt.state)
				check(t, "Next "+string(rune('0'+attempt)), r, mocked, err, w)
			}
		})
	}

	t.Run("the states it mocks are the definition's", func(t *testing.T) {
		var def struct{ States map[string]json.RawMessage }
		b, err := os.ReadFile(filepath.Join("testdata", "LambdaSQSIntegration.asl.json"))
		if err != nil || json.Unmarshal(b, &def) != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"HappyPath", "RetryPath", "HybridPath"} {
			tc, err := c.TestCase("LambdaSQSIntegration", name)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.States() {
				if _, ok := def.States[s]; !ok {
					t.Errorf("%s mocks %s, which the definition does not have", name, s)
				}
			}
		}
	})

	t.Run("the error for a missing invocation names the entry to add", func(t *testing.T) {
		tc, _ := c.TestCase("LambdaSQSIntegration", "RetryPath")
		_, _, err := tc.Response("LambdaState", 4)
		for _, part := range []string{`"LambdaState"`, `"RetryPath"`, "MockedResponses.MockedLambdaRetry", "0-3", `"4"`} {
			if err == nil || !strings.Contains(err.Error(), part) {
				t.Errorf("error %v does not name %s", err, part)
			}
		}
	})

	t.Run("unknown state machine or test case", func(t *testing.T) {
		for _, tt := range []struct{ machine, testCase, says string }{
			{"LambdaSQSIntegration", "SadPath", `it has "HappyPath", "HybridPath", "RetryPath"`},
			{"Other", "HappyPath", `it has "LambdaSQSIntegration"`},
		} {
			_, err := c.TestCase(tt.machine, tt.testCase)
			if !errors.Is(err, ErrUnknownTestCase) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("TestCase(%q, %q) = %v, want ErrUnknownTestCase saying %s", tt.machine, tt.testCase, err, tt.says)
			}
		}
	})
}

// A Map's iterations (or a Parallel's branches) share the execution's count of a state: two
// concurrent iterations get invocations 0 and 1, never the same one.
func TestPlaybackCountsAcrossIterations(t *testing.T) {
	c, err := Parse([]byte(`{"StateMachines":{"M":{"TestCases":{"T":{"ProcessValue":"R"}}}},
		"MockedResponses":{"R":{"0":{"Return":"first"},"1":{"Return":"second"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.TestCase("M", "T")
	if err != nil {
		t.Fatal(err)
	}
	play := tc.Playback()
	results := make([]string, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			r, _, err := play.Next("ProcessValue")
			if err != nil {
				t.Error(err)
				return
			}
			out, _ := r.Result()
			results[i] = string(out)
		})
	}
	wg.Wait()
	slices.Sort(results)
	if results[0] != `"first"` || results[1] != `"second"` {
		t.Errorf("two iterations got %v, want the first and the second response once each", results)
	}
	if _, _, err := play.Next("ProcessValue"); !errors.Is(err, ErrNoResponse) {
		t.Errorf("a third invocation: %v, want ErrNoResponse", err)
	}
	// A new execution counts from 0 again.
	if r, _, _ := tc.Playback().Next("ProcessValue"); string(r.Return) != `"first"` {
		t.Errorf("a new execution's first invocation returned %s", r.Return)
	}
}

// Return keeps what the file holds, as the file writes it (key order included), whatever its type.
func TestReturnValues(t *testing.T) {
	c, err := Parse([]byte(`{"StateMachines":{"M":{"TestCases":{"T":{"S":"R"}}}},"MockedResponses":{"R":{
		"0":{"Return":{"z":1,"a":[true,null]}},"1":{"Return":"string-literal"},"2":{"Return":null},"3-4":{"Return":12345678901234567890}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := c.TestCase("M", "T")
	for attempt, want := range []string{`{"z":1,"a":[true,null]}`, `"string-literal"`, `null`, `12345678901234567890`, `12345678901234567890`} {
		r, mocked, err := tc.Response("S", attempt)
		out, rerr := r.Result()
		if err != nil || !mocked || rerr != nil || string(out) != want {
			t.Errorf("invocation %d: %s (%v, %v, %v), want %s", attempt, out, mocked, err, rerr, want)
		}
	}
}

// Every malformed file fails with the path of the bad entry.
func TestMalformed(t *testing.T) {
	// wrap builds a configuration around one mocked response.
	wrap := func(response string) string {
		return `{"StateMachines":{"M":{"TestCases":{"T":{"S":"R"}}}},"MockedResponses":{"R":` + response + `}}`
	}
	tests := []struct {
		name, file string
		path, says string // the first problem
		problems   int    // how many in all; 0 means 1
	}{
		{"not JSON", "{\n  \"StateMachines\": {,\n}", "", "line 2, column 21", 0},
		{"not an object", `[]`, "", "want a mock configuration (a JSON object), got an array", 0},
		{"MockedResponses missing", `{"StateMachines":{}}`, "MockedResponses", "missing", 0},
		{"a misspelt top-level key", `{"StateMachines":{},"MockedResponse":{}}`, "MockedResponse", `not a field of a mock configuration (it has "StateMachines", "MockedResponses")`, 2},
		{"a state machine not an object", `{"StateMachines":{"M":[]},"MockedResponses":{}}`, "StateMachines.M", "got an array", 0},
		{"TestCases missing", `{"StateMachines":{"M":{}},"MockedResponses":{}}`, "StateMachines.M.TestCases", "missing", 0},
		{"a field beside TestCases", `{"StateMachines":{"M":{"TestCases":{},"Definition":"x"}},"MockedResponses":{}}`, "StateMachines.M.Definition", "not a field", 0},
		{"a test case not an object", `{"StateMachines":{"M":{"TestCases":{"T":"R"}}},"MockedResponses":{}}`, "StateMachines.M.TestCases.T", "got a string", 0},
		{"a state's response not a name", `{"StateMachines":{"M":{"TestCases":{"T":{"S":{"0":{"Return":1}}}}}},"MockedResponses":{}}`, "StateMachines.M.TestCases.T.S", "want the name of a mocked response (a string), got an object", 0},
		{"a response that does not exist", `{"StateMachines":{"M":{"TestCases":{"T":{"My State":"Nope"}}}},"MockedResponses":{}}`, `StateMachines.M.TestCases.T["My State"]`, `mocked response "Nope" is not in MockedResponses`, 0},
		{"a test case given twice", `{"StateMachines":{"M":{"TestCases":{"T":{},"T":{}}}},"MockedResponses":{}}`, "StateMachines.M.TestCases.T", "given twice", 0},
		{"a response not an object", wrap(`[]`), "MockedResponses.R", "got an array", 0},
		{"no responses", wrap(`{}`), "MockedResponses.R", `no responses: give one per invocation, from "0"`, 0},
		{"a key that is no number", wrap(`{"first":{"Return":1}}`), "MockedResponses.R.first", `want an invocation number ("0")`, 0},
		{"a negative number", wrap(`{"-1":{"Return":1}}`), `MockedResponses.R.-1`, `want an invocation number`, 0},
		{"a half range", wrap(`{"0-":{"Return":1}}`), `MockedResponses.R.0-`, `want an invocation number`, 0},
		{"a space", wrap(`{" 0":{"Return":1}}`), `MockedResponses.R[" 0"]`, `want an invocation number`, 0},
		{"a range backwards", wrap(`{"0":{"Return":1},"3-1":{"Return":1}}`), "MockedResponses.R.3-1", "the range ends before it starts", 0},
		{"a number too large", wrap(`{"0":{"Return":1},"1-99999999999999999999":{"Return":1}}`), "MockedResponses.R.1-99999999999999999999", "out of range", 0},
		{"not from 0", wrap(`{"1":{"Return":1}}`), "MockedResponses.R", `the first response is for invocation 1: number them from "0"`, 0},
		{"a gap", wrap(`{"0":{"Return":1},"1-2":{"Return":2},"4":{"Return":3}}`), "MockedResponses.R", `no response for invocation 3 (after "1-2", before "4")`, 0},
		{"an overlap", wrap(`{"0-1":{"Return":1},"1":{"Return":2}}`), "MockedResponses.R", `"0-1" and "1" both answer invocation 1`, 0},
		{"an invocation given twice", wrap(`{"0":{"Return":1},"0":{"Return":2}}`), "MockedResponses.R.0", "given twice", 0},
		{"both Return and Throw", wrap(`{"0":{"Return":1,"Throw":{"Error":"E","Cause":"C"}}}`), "MockedResponses.R.0", "both Return and Throw", 0},
		{"neither", wrap(`{"0":{}}`), "MockedResponses.R.0", "want Return or Throw", 0},
		{"a misspelt Return", wrap(`{"0":{"Retrun":1}}`), "MockedResponses.R.0.Retrun", `not a field of a response (it has "Return", "Throw")`, 0},
		{"Throw not an object", wrap(`{"0":{"Throw":"Lambda.TimeoutException"}}`), "MockedResponses.R.0.Throw", "got a string", 0},
		{"Throw without Cause", wrap(`{"0":{"Throw":{"Error":"E"}}}`), "MockedResponses.R.0.Throw.Cause", "missing", 0},
		{"Throw with an Error not a string", wrap(`{"0":{"Throw":{"Error":1,"Cause":"C"}}}`), "MockedResponses.R.0.Throw.Error", "want a string, got a number", 0},
		{"Throw with an empty Error", wrap(`{"0":{"Throw":{"Error":"","Cause":"C"}}}`), "MockedResponses.R.0.Throw.Error", "empty", 0},
		{"Throw with another field", wrap(`{"0":{"Throw":{"Error":"E","Cause":"C","Retryable":true}}}`), "MockedResponses.R.0.Throw.Retryable", "not a field of Throw", 0},
		{"every problem at once", `{"StateMachines":{"M":{"TestCases":{"T":{"A":"Nope","B":"Bad"}}}},"MockedResponses":{"Bad":{"0":{}},"Worse":{"x":{"Return":1}}}}`,
			"MockedResponses.Bad.0", "want Return or Throw", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file))
			var invalid *Error
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse accepted it (err %v)", err)
			}
			first := invalid.Problems[0]
			if first.Path != tt.path || !strings.Contains(first.Message, tt.says) {
				t.Errorf("first problem %q, want %s: …%s…", first, tt.path, tt.says)
			}
			if want := max(tt.problems, 1); len(invalid.Problems) != want {
				t.Errorf("%d problems, want %d: %v", len(invalid.Problems), want, err)
			}
		})
	}
}

// Load names the file, in its errors too.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "MockConfigFile.json")
	if err := os.WriteFile(bad, []byte(`{"StateMachines":{},"MockedResponses":{"R":{}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil || err.Error() != "mock configuration "+bad+`: MockedResponses.R: no responses: give one per invocation, from "0"` {
		t.Errorf("Load: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// StartExecution picks a test case with "<stateMachineArn>#<TestCaseName>", as in AWS's page.
func TestSplitTestCase(t *testing.T) {
	const machine = "arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration"
	tests := []struct {
		in, arn, testCase string
		fails             bool
	}{
		{in: machine + "#HappyPath", arn: machine, testCase: "HappyPath"},
		{in: machine, arn: machine},
		{in: machine + "#", fails: true},
		{in: "#HappyPath", fails: true},
		{in: machine + "#Happy#Path", fails: true},
	}
	for _, tt := range tests {
		arn, testCase, err := SplitTestCase(tt.in)
		if (err != nil) != tt.fails || arn != tt.arn || testCase != tt.testCase {
			t.Errorf("SplitTestCase(%q) = %q, %q, %v", tt.in, arn, testCase, err)
		}
	}
}
