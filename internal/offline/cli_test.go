package offline_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
	"github.com/stepgate/stepgate/internal/offline"
	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/localec2"
)

// cli runs the AWS CLI against one offline stack with throwaway credentials and no user config.
type cli struct {
	path     string
	endpoint string
}

func (c cli) cmd(extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(c.path, append([]string{"--endpoint-url", c.endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION="+offline.Region, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	cmd.Env = append(cmd.Env, extraEnv...)
	return cmd
}

// run expects success and returns the CLI's JSON answer.
func (c cli) run(t *testing.T, extraEnv []string, args ...string) map[string]any {
	t.Helper()
	out, err := c.cmd(extraEnv, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var v map[string]any
	if len(strings.TrimSpace(string(out))) > 0 {
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return v
}

// fails expects the CLI to fail with the error code given.
func (c cli) fails(t *testing.T, code string, args ...string) {
	t.Helper()
	out, err := c.cmd(nil, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), code) {
		t.Fatalf("aws %s: got %v: %s, want %s", strings.Join(args, " "), err, out, code)
	}
}

// proxyEnv makes the CLI send every request to the endpoint as its HTTP proxy. StartSyncExecution
// goes to the host "sync-<endpoint host>" (its API's host prefix); through the proxy that name is
// never resolved, so no /etc/hosts line is needed, with any CLI version.
func proxyEnv(endpoint string) []string {
	return []string{"HTTP_PROXY=" + endpoint, "http_proxy=" + endpoint, "NO_PROXY=", "no_proxy="}
}

// TestAWSCLI drives the offline stack's AWS endpoint with the official AWS CLI, an independent
// client: the README's commands, and the article's start / describe / history / stop. Every
// subtest prepares what it needs, so each passes or fails on its own.
func TestAWSCLI(t *testing.T) {
	// Any CLI version: v1, or v2 as Debian packages it.
	c := cli{path: testenv.MustHaveExecPath(t, testenv.AWSCLI)}
	s := startStack(t, func(c *offline.Config) { c.TimeScale = 1; c.TransitionDelay = time.Hour })
	c.endpoint = s.AWSURL
	standard := s.StateMachineARNs["StandardStateMachine"]
	express := s.StateMachineARNs["ExpressStateMachine"]
	ctx := context.Background()
	// startRunning starts a STANDARD execution (it waits 29 s first, so it is RUNNING for the test).
	// Its instance is one no EC2 holds, so that it never touches the instance the sync cases use.
	startRunning := func(t *testing.T, name string) string {
		t.Helper()
		out, err := s.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(standard), Name: aws.String(name),
			Input: aws.String(`{"instance_id":"` + missingID + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ExecutionArn)
	}
	addInstance := func(t *testing.T, id string, state localec2.State) {
		t.Helper()
		if _, err := s.EC2.AddInstance(localec2.InstanceSpec{ID: id, State: state}); err != nil {
			t.Fatal(err)
		}
	}
	syncInput := `{"instance_id":"` + instanceID + `","action":"stop"}`

	t.Run("list-state-machines", func(t *testing.T) {
		got := c.run(t, nil, "stepfunctions", "list-state-machines")
		if n := len(got["stateMachines"].([]any)); n != 2 {
			t.Fatalf("%d state machines, want the template's 2: %v", n, got)
		}
	})
	t.Run("create-state-machine", func(t *testing.T) {
		got := c.run(t, nil, "stepfunctions", "create-state-machine", "--name", "Hello", "--role-arn", "arn:aws:iam::"+offline.AccountID+":role/r",
			"--definition", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
		if !strings.HasSuffix(got["stateMachineArn"].(string), ":stateMachine:Hello") {
			t.Fatalf("%v", got)
		}
	})
	t.Run("start-execution", func(t *testing.T) {
		got := c.run(t, nil, "stepfunctions", "start-execution", "--state-machine-arn", standard, "--name", "cli-start",
			"--input", `{"instance_id":"`+missingID+`","action":"start"}`)
		if arn, _ := got["executionArn"].(string); !strings.HasSuffix(arn, ":cli-start") {
			t.Fatalf("%v", got)
		}
	})
	t.Run("describe-execution", func(t *testing.T) {
		arn := startRunning(t, "cli-describe")
		if got := c.run(t, nil, "stepfunctions", "describe-execution", "--execution-arn", arn); got["status"] != "RUNNING" {
			t.Fatalf("%v", got)
		}
	})
	t.Run("stop-execution", func(t *testing.T) {
		arn := startRunning(t, "cli-stop")
		c.run(t, nil, "stepfunctions", "stop-execution", "--execution-arn", arn, "--error", "Cli", "--cause", "test")
		if got := c.run(t, nil, "stepfunctions", "describe-execution", "--execution-arn", arn); got["status"] != "ABORTED" {
			t.Fatalf("%v", got)
		}
	})
	t.Run("get-execution-history", func(t *testing.T) {
		arn := startRunning(t, "cli-history")
		if _, err := s.SFN.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
		events := c.run(t, nil, "stepfunctions", "get-execution-history", "--execution-arn", arn)["events"].([]any)
		first := events[0].(map[string]any)
		last := events[len(events)-1].(map[string]any)
		if first["type"] != "ExecutionStarted" || last["type"] != "ExecutionAborted" {
			t.Fatalf("history runs from %v to %v", first["type"], last["type"])
		}
	})
	t.Run("start-sync-execution through HTTP_PROXY", func(t *testing.T) {
		// The README's recipe for every CLI version; the instance is stopped, so "stop" does nothing.
		got := c.run(t, proxyEnv(s.AWSURL), "stepfunctions", "start-sync-execution", "--state-machine-arn", express, "--input", syncInput)
		if got["status"] != "SUCCEEDED" || !strings.Contains(got["output"].(string), `"action":"none"`) {
			t.Fatalf("%v", got)
		}
	})
	t.Run("start-sync-execution with AWS_DISABLE_HOST_PREFIX_INJECTION", func(t *testing.T) {
		out, err := c.cmd([]string{"AWS_DISABLE_HOST_PREFIX_INJECTION=true"},
			"stepfunctions", "start-sync-execution", "--state-machine-arn", express, "--input", syncInput).CombinedOutput()
		if err != nil && strings.Contains(string(out), "sync-127.0.0.1") {
			// Older CLIs (Debian's 2.9 among them) do not know the variable; the proxy case covers them.
			version, _ := exec.Command(c.path, "--version").CombinedOutput()
			t.Skipf("SKIPPED: %s ignores AWS_DISABLE_HOST_PREFIX_INJECTION (CLIs released since early 2025 honour it); "+
				"the HTTP_PROXY case covers this CLI", strings.TrimSpace(string(version)))
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(string(out), `"status": "SUCCEEDED"`) {
			t.Fatalf("%s", out)
		}
	})
	t.Run("test-state through HTTP_PROXY", func(t *testing.T) {
		// The README's unit test of one state: the machine's definition as the endpoint holds it
		// (substitutions made), one of its states, a mocked Lambda answer, DEBUG inspection.
		definition := c.run(t, nil, "stepfunctions", "describe-state-machine", "--state-machine-arn", express)["definition"].(string)
		got := c.run(t, proxyEnv(s.AWSURL), "stepfunctions", "test-state", "--definition", definition, "--state-name", "Check",
			"--input", `{"instance_id":"`+instanceID+`","action":"stop"}`,
			"--mock", `{"result":"{\"instance_id\":\"`+instanceID+`\",\"state\":\"running\"}"}`,
			"--inspection-level", "DEBUG")
		if got["status"] != "SUCCEEDED" || got["nextState"] != "Decide" || !strings.Contains(got["output"].(string), `"check":{"instance_id":"`+instanceID+`","state":"running"}`) {
			t.Fatalf("%v", got)
		}
		if params := got["inspectionData"].(map[string]any)["afterParameters"]; params != `{"operation":"check","instance_id":"`+instanceID+`"}` {
			t.Fatalf("afterParameters = %v", params)
		}
		// Every member of the current model goes through the CLI: a context object, variables and
		// the retry count of a mocked error.
		got = c.run(t, proxyEnv(s.AWSURL), "stepfunctions", "test-state", "--definition", definition, "--state-name", "Check",
			"--input", `{"instance_id":"`+instanceID+`"}`, "--variables", `{"v":1}`,
			"--context", `{"Execution":{"Name":"from-the-cli"}}`,
			"--mock", `{"errorOutput":{"error":"Lambda.ServiceException","cause":"mocked"}}`,
			"--state-configuration", `{"retrierRetryCount":2}`, "--inspection-level", "TRACE")
		details := got["inspectionData"].(map[string]any)["errorDetails"].(map[string]any)
		if got["status"] != "RETRIABLE" || details["retryBackoffIntervalSeconds"] != float64(4) || got["inspectionData"].(map[string]any)["variables"] != `{"v":1}` {
			t.Fatalf("%v", got)
		}
	})
	t.Run("ec2 describe-instances", func(t *testing.T) {
		const id = "i-0dddddddddddddd01"
		addInstance(t, id, localec2.StatePending)
		got := c.run(t, nil, "ec2", "describe-instances", "--instance-ids", id)
		in := got["Reservations"].([]any)[0].(map[string]any)["Instances"].([]any)[0].(map[string]any)
		if in["InstanceId"] != id || in["State"].(map[string]any)["Name"] != "pending" {
			t.Fatalf("%v", in)
		}
	})
	t.Run("ec2 stop-instances on a pending instance is refused", func(t *testing.T) {
		const id = "i-0dddddddddddddd02"
		addInstance(t, id, localec2.StatePending)
		c.fails(t, "IncorrectInstanceState", "ec2", "stop-instances", "--instance-ids", id)
	})
	t.Run("ec2 stop-instances", func(t *testing.T) {
		const id = "i-0dddddddddddddd03"
		addInstance(t, id, localec2.StateRunning)
		got := c.run(t, nil, "ec2", "stop-instances", "--instance-ids", id)
		change := got["StoppingInstances"].([]any)[0].(map[string]any)
		if change["PreviousState"].(map[string]any)["Name"] != "running" || change["CurrentState"].(map[string]any)["Name"] != "stopping" {
			t.Fatalf("%v", change)
		}
	})
	t.Run("ec2 start-instances on a stopping instance is refused", func(t *testing.T) {
		const id = "i-0dddddddddddddd04"
		addInstance(t, id, localec2.StateStopping)
		c.fails(t, "IncorrectInstanceState", "ec2", "start-instances", "--instance-ids", id)
	})
	t.Run("ec2 unknown instance", func(t *testing.T) {
		c.fails(t, "InvalidInstanceID.NotFound", "ec2", "start-instances", "--instance-ids", "i-0ccccccccccccccc3")
	})
}

// TestAWSCLICallbacks resumes a workflow that waits for a person with the AWS CLI's
// send-task-success, send-task-failure and send-task-heartbeat against the local endpoint. The
// approval machine of testdata/integrations.yaml hands its task token to a nested execution
// (states:startExecution.waitForTaskToken), whose input is where the "person" reads it.
func TestAWSCLICallbacks(t *testing.T) {
	c := cli{path: testenv.MustHaveExecPath(t, testenv.AWSCLI)}
	// The person reads the token once the approval's task has handed it over (TaskSubmitted).
	var submitted sync.Map // execution ARN → chan struct{}
	submittedCh := func(arn string) chan struct{} {
		ch, _ := submitted.LoadOrStore(arn, make(chan struct{}))
		return ch.(chan struct{})
	}
	s := startStack(t, func(cfg *offline.Config) {
		cfg.Template = filepath.Join("testdata", "integrations.yaml")
		cfg.OnExecutionEvent = func(arn string, ev asl.HistoryEvent) {
			if ev.Type == asl.EventTaskSubmitted {
				close(submittedCh(arn))
			}
		}
	})
	c.endpoint = s.AWSURL
	approval, inbox := s.StateMachineARNs["ApprovalStateMachine"], s.StateMachineARNs["InboxStateMachine"]

	// ask starts an approval and returns its ARN and the token its nested execution got.
	ask := func(t *testing.T, name string) (string, string) {
		t.Helper()
		started := c.run(t, nil, "stepfunctions", "start-execution", "--state-machine-arn", approval, "--name", name, "--input", `{"id":"`+name+`"}`)
		arn, _ := started["executionArn"].(string)
		<-submittedCh(arn)
		events := c.run(t, nil, "stepfunctions", "get-execution-history", "--execution-arn", arn)["events"].([]any)
		for _, e := range events {
			ev := e.(map[string]any)
			if d, ok := ev["taskSubmittedEventDetails"].(map[string]any); ok {
				var child struct{ ExecutionArn string }
				if err := json.Unmarshal([]byte(d["output"].(string)), &child); err != nil {
					t.Fatal(err)
				}
				in := c.run(t, nil, "stepfunctions", "describe-execution", "--execution-arn", child.ExecutionArn)
				var input struct{ Order, Token string }
				if err := json.Unmarshal([]byte(in["input"].(string)), &input); err != nil || input.Order != name || input.Token == "" {
					t.Fatalf("the nested execution's input %v: %v", in["input"], err)
				}
				if in["stateMachineArn"] != inbox {
					t.Errorf("nested execution of %v", in["stateMachineArn"])
				}
				return arn, input.Token
			}
		}
		t.Fatalf("no TaskSubmitted in %v", events)
		return "", ""
	}

	t.Run("send-task-success", func(t *testing.T) {
		arn, token := ask(t, "approve-1")
		c.run(t, nil, "stepfunctions", "send-task-heartbeat", "--task-token", token)
		c.run(t, nil, "stepfunctions", "send-task-success", "--task-token", token, "--task-output", `{"approved":true}`)
		out := waitEnd(t, s, arn)
		if out.Status != "SUCCEEDED" || aws.ToString(out.Output) != `{"approved":true}` {
			t.Fatalf("%s %s", out.Status, aws.ToString(out.Output))
		}
		c.fails(t, "TaskTimedOut", "stepfunctions", "send-task-success", "--task-token", token, "--task-output", `{}`)
	})
	t.Run("send-task-failure", func(t *testing.T) {
		arn, token := ask(t, "reject-1")
		c.run(t, nil, "stepfunctions", "send-task-failure", "--task-token", token, "--error", "Rejected", "--cause", "over budget")
		out := waitEnd(t, s, arn)
		if out.Status != "FAILED" || aws.ToString(out.Error) != "Rejected" || aws.ToString(out.Cause) != "over budget" {
			t.Fatalf("%s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, token := ask(t, "errors-1")
		c.fails(t, "InvalidOutput", "stepfunctions", "send-task-success", "--task-token", token, "--task-output", `{"approved":`)
		c.fails(t, "InvalidToken", "stepfunctions", "send-task-success", "--task-token", "not-a-token", "--task-output", `{}`)
	})
}
