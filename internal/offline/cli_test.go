package offline_test

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/offline"
	"github.com/stepgate/stepgate/internal/offline/localec2"
)

// awsCLI finds the AWS CLI, preferring Debian's (the one .ci/run installs) over any other on PATH.
func awsCLI(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the AWS CLI is not installed; CI must install it (apt-get install awscli)")
		}
		t.Skip("the AWS CLI is not installed (apt-get install awscli)")
	}
	return path
}

// TestAWSCLI drives the offline stack's AWS endpoint with the official AWS CLI, an independent
// client: the README's commands, and the article's flow of start / describe / history / stop.
func TestAWSCLI(t *testing.T) {
	cli := awsCLI(t)
	s := startStack(t, func(c *offline.Config) { c.TimeScale = 1; c.TransitionDelay = time.Hour })
	const otherID = "i-0bbbbbbbbbbbbbbb2"
	if _, err := s.EC2.AddInstance(localec2.InstanceSpec{ID: otherID, State: localec2.StateRunning}); err != nil {
		t.Fatal(err)
	}
	// The CLI sends start-sync-execution to sync-<host>, so it is pointed at localhost, which
	// /etc/hosts pairs with sync-localhost (.ci/run adds the line).
	endpoint := strings.Replace(s.AWSURL, "127.0.0.1", "localhost", 1)
	run := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
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
	standard := s.StateMachineARNs["StandardStateMachine"]
	var executionARN string

	t.Run("list-state-machines", func(t *testing.T) {
		got := run(t, "stepfunctions", "list-state-machines")
		if n := len(got["stateMachines"].([]any)); n != 2 {
			t.Fatalf("%d state machines, want the template's 2: %v", n, got)
		}
	})
	t.Run("create-state-machine", func(t *testing.T) {
		got := run(t, "stepfunctions", "create-state-machine", "--name", "Hello", "--role-arn", "arn:aws:iam::123456789012:role/r",
			"--definition", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
		if !strings.HasSuffix(got["stateMachineArn"].(string), ":stateMachine:Hello") {
			t.Fatalf("%v", got)
		}
	})
	t.Run("start-execution", func(t *testing.T) {
		got := run(t, "stepfunctions", "start-execution", "--state-machine-arn", standard, "--name", "cli-1",
			"--input", `{"instance_id":"i-0123456789abcdef0","action":"start"}`)
		executionARN = got["executionArn"].(string)
	})
	t.Run("describe-execution", func(t *testing.T) {
		if got := run(t, "stepfunctions", "describe-execution", "--execution-arn", executionARN); got["status"] != "RUNNING" {
			t.Fatalf("%v", got)
		}
	})
	t.Run("stop-execution", func(t *testing.T) {
		run(t, "stepfunctions", "stop-execution", "--execution-arn", executionARN, "--error", "Cli", "--cause", "test")
		if got := run(t, "stepfunctions", "describe-execution", "--execution-arn", executionARN); got["status"] != "ABORTED" {
			t.Fatalf("%v", got)
		}
	})
	t.Run("get-execution-history", func(t *testing.T) {
		events := run(t, "stepfunctions", "get-execution-history", "--execution-arn", executionARN)["events"].([]any)
		first := events[0].(map[string]any)
		last := events[len(events)-1].(map[string]any)
		if first["type"] != "ExecutionStarted" || last["type"] != "ExecutionAborted" {
			t.Fatalf("history runs from %v to %v", first["type"], last["type"])
		}
	})
	t.Run("start-sync-execution", func(t *testing.T) {
		if _, err := net.LookupHost("sync-localhost"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("sync-localhost does not resolve; .ci/run adds `127.0.0.1 sync-localhost` to /etc/hosts")
			}
			t.Skip("sync-localhost does not resolve: add `127.0.0.1 sync-localhost` to /etc/hosts (README, Prerequisites)")
		}
		got := run(t, "stepfunctions", "start-sync-execution", "--state-machine-arn", s.StateMachineARNs["ExpressStateMachine"],
			"--input", `{"instance_id":"i-0123456789abcdef0","action":"start"}`)
		if got["status"] != "SUCCEEDED" || !strings.Contains(got["output"].(string), `"action":"start"`) {
			t.Fatalf("%v", got)
		}
	})
	t.Run("ec2 describe-instances", func(t *testing.T) {
		got := run(t, "ec2", "describe-instances", "--instance-ids", instanceID)
		in := got["Reservations"].([]any)[0].(map[string]any)["Instances"].([]any)[0].(map[string]any)
		if in["InstanceId"] != instanceID || in["State"].(map[string]any)["Name"] != "pending" {
			t.Fatalf("%v", in)
		}
	})
	fails := func(t *testing.T, code string, args ...string) {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"--endpoint-url", endpoint}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), code) {
			t.Fatalf("aws %s: got %v: %s, want %s", strings.Join(args, " "), err, out, code)
		}
	}
	t.Run("ec2 stop-instances on a pending instance is refused", func(t *testing.T) {
		fails(t, "IncorrectInstanceState", "ec2", "stop-instances", "--instance-ids", instanceID)
	})
	t.Run("ec2 stop-instances", func(t *testing.T) {
		got := run(t, "ec2", "stop-instances", "--instance-ids", otherID)
		change := got["StoppingInstances"].([]any)[0].(map[string]any)
		if change["PreviousState"].(map[string]any)["Name"] != "running" || change["CurrentState"].(map[string]any)["Name"] != "stopping" {
			t.Fatalf("%v", change)
		}
	})
	t.Run("ec2 start-instances on a stopping instance is refused", func(t *testing.T) {
		fails(t, "IncorrectInstanceState", "ec2", "start-instances", "--instance-ids", otherID)
	})
	t.Run("ec2 unknown instance", func(t *testing.T) {
		fails(t, "InvalidInstanceID.NotFound", "ec2", "start-instances", "--instance-ids", "i-0ccccccccccccccc3")
	})
}
