package offline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/devtools/routereader"
	"github.com/stepgate/stepgate/internal/offline"
	"github.com/stepgate/stepgate/internal/offline/localec2"
	"github.com/stepgate/stepgate/internal/offline/localsfn"
)

const (
	instanceID = offline.FirstInstanceID
	// missingID is allowlisted through an env override but exists in no EC2: InstanceNotFound.
	missingID = "i-0fedcba9876543210"
	// terminatedID is allowlisted and added to the local EC2 as terminated.
	terminatedID = "i-0aaaaaaaaaaaaaaa1"
	repoRoot     = "../.."
)

// buildDir holds the three bootstraps, built once for this machine with the Makefile's recipe.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stepgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("make", "--no-print-directory", "-C", repoRoot, "build", "BUILD_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "make build: %v\n%s", err, out)
		os.Exit(1)
	}
	buildDir = filepath.Join(dir, runtime.GOOS+"-"+runtime.GOARCH)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startStack starts an offline stack on free ports with the real template, scaled time and
// instant EC2 transitions unless the caller changes them.
func startStack(t *testing.T, mutate func(*offline.Config)) *offline.Stack {
	t.Helper()
	allow := strings.Join([]string{instanceID, missingID, terminatedID}, ",")
	cfg := offline.Config{
		Template:  filepath.Join(repoRoot, "template.yaml"),
		BuildDir:  buildDir,
		APIAddr:   "127.0.0.1:0",
		AWSAddr:   "127.0.0.1:0",
		TimeScale: 20,
		EnvVars:   map[string]map[string]string{"Parameters": {"ALLOWED_INSTANCE_IDS": allow}},
		Log:       testLog{t},
		Routes:    routereader.Read,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := offline.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Template != filepath.Join(repoRoot, "template.yaml") {
		undocumented.Store(s, true) // a test template's routes are not docs/openapi.yaml's
	}
	t.Cleanup(func() {
		undocumented.Delete(s)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if _, err := s.EC2.AddInstance(localec2.InstanceSpec{ID: terminatedID, State: localec2.StateTerminated}); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitUntil polls cond until it holds: for what happens in the stack's other processes, which send
// no event this test could wait on. It has no deadline of its own (the test's -timeout bounds it), so
// a slow machine makes it wait longer, never fail.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// invocations counts the invocations of a function of the stack so far: one is counted when it
// starts, so a request the API passed to the function is in flight from then on.
func invocations(t *testing.T, s *offline.Stack, function string) int64 {
	t.Helper()
	for _, st := range s.Lambda.Stats() {
		if st.Name == function {
			return st.Invocations
		}
	}
	t.Fatalf("the stack has no function %s", function)
	return 0
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func call(t *testing.T, s *offline.Stack, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.APIURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		// What plain `curl -d` sends.
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
	}
	checkRequestID(t, req, resp, r.body)
	if _, ok := undocumented.Load(s); !ok {
		checkContract(t, req, resp, raw)
	}
	return r
}

func expectError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.body["error"] != code {
		t.Fatalf("got %d %s, want %d with error %q", r.status, r.raw, status, code)
	}
	if msg, _ := r.body["message"].(string); msg == "" {
		t.Errorf("error without a message: %s", r.raw)
	}
	if id, _ := r.body["requestId"].(string); id == "" {
		t.Errorf("error without a requestId: %s", r.raw)
	}
}

func body(id, action string) string {
	if action == "" {
		return fmt.Sprintf(`{"instance_id":%q}`, id)
	}
	return fmt.Sprintf(`{"instance_id":%q,"action":%q}`, id, action)
}

func TestExpressWorkflow(t *testing.T) {
	s := startStack(t, nil)
	steps := []struct {
		name                   string
		body                   string
		previous, action, curr string
	}{
		{"toggle a stopped instance starts it", body(instanceID, ""), "stopped", "start", "pending"},
		{"start a running instance does nothing", body(instanceID, "start"), "running", "none", "running"},
		{"toggle a running instance stops it", body(instanceID, "toggle"), "running", "stop", "stopping"},
		{"stop a stopped instance does nothing", body(instanceID, "stop"), "stopped", "none", "stopped"},
		{"start a stopped instance", body(instanceID, "start"), "stopped", "start", "pending"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := call(t, s, "POST", "/express-instance", st.body)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			want := map[string]any{"instance_id": instanceID, "previous_state": st.previous, "action": st.action, "current_state": st.curr}
			if fmt.Sprint(r.body) != fmt.Sprint(want) {
				t.Fatalf("output %s, want %v", r.raw, want)
			}
			if arn := r.header.Get("X-Execution-Arn"); !strings.Contains(arn, ":express:stepgate_Express:") {
				t.Errorf("X-Execution-Arn = %q", arn)
			}
		})
	}
}

func TestExpressErrors(t *testing.T) {
	s := startStack(t, nil)
	big := `{"instance_id":"` + instanceID + `","pad":"` + strings.Repeat("x", 256*1024) + `"}`
	cases := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"instance not found", body(missingID, ""), 404, "InstanceNotFound"},
		{"instance terminated", body(terminatedID, ""), 409, "InstanceTerminated"},
		{"not allowed", body("i-0123456789abcdef1", ""), 403, "InstanceNotAllowed"},
		{"not JSON", `instance_id=i-0123456789abcdef0`, 400, "InvalidRequest"},
		{"not an object", `["i-0123456789abcdef0"]`, 400, "InvalidRequest"},
		{"missing instance_id", `{"action":"start"}`, 400, "InvalidRequest"},
		{"malformed instance_id", body("i-XYZ", ""), 400, "InvalidRequest"},
		{"unknown action", body(instanceID, "reboot"), 400, "InvalidRequest"},
		{"too large", big, 413, "PayloadTooLarge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, call(t, s, "POST", "/express-instance", c.body), c.status, c.code)
		})
	}
	// The standard route shares the request rows; it fails later, in the execution, for the rest.
	for _, c := range cases[2:] {
		t.Run("standard "+c.name, func(t *testing.T) {
			expectError(t, call(t, s, "POST", "/standard-instance", c.body), c.status, c.code)
		})
	}
}

func TestInstanceInTransition(t *testing.T) {
	// The express machine's three re-checks wait 12 of its 20 s; at scale 5 that leaves 1.6 s of
	// real time for the tasks themselves, ample on a loaded machine.
	s := startStack(t, func(c *offline.Config) { c.TransitionDelay = time.Hour; c.TimeScale = 5 })
	if r := call(t, s, "POST", "/express-instance", body(instanceID, "start")); r.status != 200 || r.body["current_state"] != "pending" {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	// Pending for an hour: the workflow re-checks a bounded number of times, then gives up.
	expectError(t, call(t, s, "POST", "/express-instance", body(instanceID, "")), 409, "InstanceInTransition")
}

// replaceMachine swaps a state machine's definition for a test one, as a redeploy would.
func replaceMachine(t *testing.T, s *offline.Stack, name, typ, definition string) {
	t.Helper()
	ctx := context.Background()
	arn := s.StateMachineARNs[name]
	if _, err := s.SFN.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if definition == "" {
		return
	}
	if _, err := s.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(arn[strings.LastIndexByte(arn, ':')+1:]), Definition: aws.String(definition), Type: typesOf(typ),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/test"),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestExpressFailedAndTimedOut(t *testing.T) {
	s := startStack(t, nil)
	t.Run("failed with another error is a 502 with details", func(t *testing.T) {
		replaceMachine(t, s, "ExpressStateMachine", "EXPRESS",
			`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Broken","Cause":"{\"why\":\"test\"}"}}}`)
		r := call(t, s, "POST", "/express-instance", body(instanceID, ""))
		expectError(t, r, 502, "ExecutionFailed")
		details, _ := r.body["details"].(map[string]any)
		cause, _ := details["cause"].(map[string]any)
		if details["error"] != "Broken" || cause["why"] != "test" {
			t.Fatalf("details = %v", r.body["details"])
		}
		if arn, _ := r.body["executionArn"].(string); !strings.Contains(arn, ":express:") {
			t.Errorf("executionArn = %v", r.body["executionArn"])
		}
	})
	t.Run("timed out is a 504 with the execution ARN", func(t *testing.T) {
		replaceMachine(t, s, "ExpressStateMachine", "EXPRESS",
			`{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`)
		r := call(t, s, "POST", "/express-instance", body(instanceID, ""))
		expectError(t, r, 504, "ExecutionTimedOut")
		if arn, _ := r.body["executionArn"].(string); arn == "" {
			t.Errorf("no executionArn: %s", r.raw)
		}
	})
	t.Run("a missing state machine is a generic 500", func(t *testing.T) {
		replaceMachine(t, s, "ExpressStateMachine", "", "")
		r := call(t, s, "POST", "/express-instance", body(instanceID, ""))
		expectError(t, r, 500, "InternalError")
		if strings.Contains(r.raw, "StateMachineDoesNotExist") {
			t.Errorf("the SDK error leaked into the body: %s", r.raw)
		}
	})
}

func TestFaults(t *testing.T) {
	t.Run("throttling is a 429 with Retry-After", func(t *testing.T) {
		s := startStack(t, func(c *offline.Config) { c.Faults = localsfn.Faults{ThrottleRate: 1} })
		r := call(t, s, "POST", "/express-instance", body(instanceID, ""))
		expectError(t, r, 429, "Throttled")
		if r.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
		}
	})
	t.Run("throttled describe is a 429", func(t *testing.T) {
		s := startStack(t, func(c *offline.Config) { c.Faults = localsfn.Faults{ThrottleRate: 1} })
		arn := "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:any"
		expectError(t, call(t, s, "GET", "/executions/"+url.PathEscape(arn), ""), 429, "Throttled")
	})
	t.Run("execution limit is a 503 with Retry-After", func(t *testing.T) {
		s := startStack(t, func(c *offline.Config) { c.Faults = localsfn.Faults{ExecutionLimitRate: 1} })
		r := call(t, s, "POST", "/standard-instance", body(instanceID, ""))
		expectError(t, r, 503, "ExecutionLimitExceeded")
		if r.header.Get("Retry-After") != "5" {
			t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
		}
	})
}

func TestStandardWorkflow(t *testing.T) {
	s := startStack(t, nil)
	start := call(t, s, "POST", "/standard-instance", body(instanceID, "start"), "Idempotency-Key", "e2e-1")
	if start.status != 202 {
		t.Fatalf("start: %d %s", start.status, start.raw)
	}
	arn, _ := start.body["executionArn"].(string)
	statusURL, _ := start.body["statusUrl"].(string)
	if !strings.Contains(arn, ":execution:stepgate_Standard:") || start.header.Get("Location") != statusURL ||
		start.header.Get("Retry-After") != "5" || start.body["startDate"] == nil {
		t.Fatalf("start answer: %v %s", start.header, start.raw)
	}
	u, err := url.Parse(statusURL)
	if err != nil || !strings.HasPrefix(u.Path, "/"+s.StageName+"/executions/") || !strings.Contains(u.EscapedPath(), "%3A") {
		t.Fatalf("statusUrl %q: want the stage and an encoded ARN", statusURL)
	}

	t.Run("same key and body again is the same execution", func(t *testing.T) {
		again := call(t, s, "POST", "/standard-instance", body(instanceID, "start"), "Idempotency-Key", "e2e-1")
		if again.status != 202 || again.body["executionArn"] != arn {
			t.Fatalf("%d %s, want 202 with %s", again.status, again.raw, arn)
		}
	})
	t.Run("same key with another body is refused", func(t *testing.T) {
		expectError(t, call(t, s, "POST", "/standard-instance", body(instanceID, "stop"), "Idempotency-Key", "e2e-1"), 422, "IdempotencyKeyReused")
	})
	t.Run("the long poll follows it to SUCCEEDED", func(t *testing.T) {
		path := "/executions/" + url.PathEscape(arn) + "?wait=20"
		var r response
		for i := 0; i < 5; i++ {
			if r = call(t, s, "GET", path, ""); r.body["status"] != "RUNNING" {
				break
			}
		}
		if r.status != 200 || r.body["status"] != "SUCCEEDED" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		out, _ := r.body["output"].(map[string]any)
		in, _ := r.body["input"].(map[string]any)
		if out["action"] != "start" || out["previous_state"] != "stopped" || in["instance_id"] != instanceID || r.body["stopDate"] == nil {
			t.Fatalf("described: %s", r.raw)
		}
	})
	t.Run("same key and body after it closed is still the same execution", func(t *testing.T) {
		// Step Functions now answers ExecutionAlreadyExists; the Lambda describes it and compares.
		again := call(t, s, "POST", "/standard-instance", body(instanceID, "start"), "Idempotency-Key", "e2e-1")
		if again.status != 202 || again.body["executionArn"] != arn || again.body["startDate"] != start.body["startDate"] {
			t.Fatalf("%d %s, want 202 with %s", again.status, again.raw, arn)
		}
	})
	t.Run("a raw ARN in the path works too", func(t *testing.T) {
		if r := call(t, s, "GET", "/executions/"+arn, ""); r.status != 200 || r.body["executionArn"] != arn {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("stopping a finished execution is a 409", func(t *testing.T) {
		expectError(t, call(t, s, "DELETE", "/executions/"+url.PathEscape(arn), ""), 409, "ExecutionNotRunning")
	})
}

func TestStandardCancel(t *testing.T) {
	s := startStack(t, func(c *offline.Config) { c.TimeScale = 1 }) // the 29 s wait keeps it running
	start := call(t, s, "POST", "/standard-instance", body(instanceID, ""))
	if start.status != 202 {
		t.Fatalf("start: %d %s", start.status, start.raw)
	}
	arn := start.body["executionArn"].(string)
	r := call(t, s, "DELETE", "/executions/"+url.PathEscape(arn), "")
	if r.status != 202 || r.body["status"] != "ABORTED" {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	if r := call(t, s, "GET", "/executions/"+url.PathEscape(arn)+"?wait=0", ""); r.body["status"] != "ABORTED" {
		t.Fatalf("after cancel: %s", r.raw)
	}
}

func TestStatusErrors(t *testing.T) {
	s := startStack(t, nil)
	express := call(t, s, "POST", "/express-instance", body(instanceID, "start"))
	expressARN := express.header.Get("X-Execution-Arn")
	unknown := "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:nope"
	foreign := "arn:aws:states:us-east-1:123456789012:execution:SomeoneElses:abc"
	cases := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"not an ARN", "GET", "/executions/not-an-arn", 400, "InvalidExecutionArn"},
		{"wait not an integer", "GET", "/executions/" + url.PathEscape(unknown) + "?wait=soon", 400, "InvalidRequest"},
		{"wait out of range", "GET", "/executions/" + url.PathEscape(unknown) + "?wait=21", 400, "InvalidRequest"},
		{"express execution", "GET", "/executions/" + url.PathEscape(expressARN), 400, "ExpressExecutionNotDescribable"},
		{"unknown execution", "GET", "/executions/" + url.PathEscape(unknown), 404, "ExecutionNotFound"},
		{"unknown execution within a wait", "GET", "/executions/" + url.PathEscape(unknown) + "?wait=1", 404, "ExecutionNotFound"},
		{"foreign state machine", "GET", "/executions/" + url.PathEscape(foreign), 404, "ExecutionNotFound"},
		{"delete unknown", "DELETE", "/executions/" + url.PathEscape(unknown), 404, "ExecutionNotFound"},
		{"delete not an ARN", "DELETE", "/executions/nope", 400, "InvalidExecutionArn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, call(t, s, c.method, c.path, ""), c.status, c.code)
		})
	}
}

// TestUnknownPathsAndMethods: every path the explicit resources do not take reaches the start
// function through /{proxy+}, which answers an unknown one 404 and a known one with another method
// 405 with Allow, in the one error shape; a method an explicit resource lacks is API Gateway's own
// 403, as on AWS.
func TestUnknownPathsAndMethods(t *testing.T) {
	s := startStack(t, nil)
	for _, c := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/nowhere", 404, "NotFound", ""},
		{"POST", "/express-instance/more", 404, "NotFound", ""},
		{"PUT", "/express-instance", 405, "MethodNotAllowed", "POST"},
		{"DELETE", "/instances/" + instanceID, 405, "MethodNotAllowed", "GET"},
		{"PUT", "/executions/x", 403, "MISSING_AUTHENTICATION_TOKEN", ""},
		{"POST", "/executions", 403, "MISSING_AUTHENTICATION_TOKEN", ""},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := call(t, s, c.method, c.path, "")
			expectError(t, r, c.status, c.code)
			if r.header.Get("Allow") != c.allow {
				t.Errorf("Allow = %q, want %q", r.header.Get("Allow"), c.allow)
			}
		})
	}
}

func TestPortInUse(t *testing.T) {
	s := startStack(t, nil)
	_, err := offline.Start(context.Background(), offline.Config{
		Template: filepath.Join(repoRoot, "template.yaml"), BuildDir: buildDir,
		APIAddr: "127.0.0.1:0", AWSAddr: strings.TrimPrefix(s.AWSURL, "http://"),
	})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("got %v, want an error saying the port is in use", err)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	if testing.Verbose() {
		l.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func typesOf(typ string) sfntypes.StateMachineType { return sfntypes.StateMachineType(typ) }
