package localsfn

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
)

// TestAWSCLI drives the service with the official AWS CLI, the way a person follows the README.
// CI installs the CLI; elsewhere the test is skipped when it is missing (package testenv).
func TestAWSCLI(t *testing.T) {
	awsPath := testenv.MustHaveExecPath(t, testenv.AWSCLI)
	env := newTestEnv(t, Config{})

	run := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(awsPath, append([]string{"--endpoint-url", env.srv.URL, "--region", testRegion, "--output", "json", "stepfunctions"}, args...)...)
		cmd.Env = append(withoutAWSVars(os.Environ()),
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("aws stepfunctions %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		out := map[string]any{}
		if stdout.Len() > 0 {
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("aws stepfunctions %s printed %q: %v", args[0], stdout.String(), err)
			}
		}
		return out
	}

	created := run(t, "create-state-machine", "--name", "Hold", "--definition", waitDefinition, "--role-arn", testRole)
	machine, _ := created["stateMachineArn"].(string)
	if machine != "arn:aws:states:us-east-1:123456789012:stateMachine:Hold" {
		t.Fatalf("create-state-machine printed %v", created)
	}
	env.createMachine(t, "Other", passDefinition, types.StateMachineTypeExpress)

	listed := run(t, "list-state-machines")
	if sms, _ := listed["stateMachines"].([]any); len(sms) != 2 {
		t.Errorf("list-state-machines printed %v, want two machines", listed)
	}

	started := run(t, "start-execution", "--state-machine-arn", machine, "--name", "cli-run", "--input", `{"instance_id":"i-0123456789abcdef0"}`)
	executionARN, _ := started["executionArn"].(string)
	if executionARN != "arn:aws:states:us-east-1:123456789012:execution:Hold:cli-run" || started["startDate"] == nil {
		t.Fatalf("start-execution printed %v", started)
	}

	described := run(t, "describe-execution", "--execution-arn", executionARN)
	if described["status"] != "RUNNING" || described["input"] != `{"instance_id":"i-0123456789abcdef0"}` {
		t.Errorf("describe-execution printed %v", described)
	}

	stopped := run(t, "stop-execution", "--execution-arn", executionARN, "--error", "Cancelled", "--cause", "from the CLI")
	if stopped["stopDate"] == nil {
		t.Errorf("stop-execution printed %v", stopped)
	}
	described = run(t, "describe-execution", "--execution-arn", executionARN)
	if described["status"] != "ABORTED" || described["error"] != "Cancelled" || described["stopDate"] == nil {
		t.Errorf("describe-execution after stop printed %v", described)
	}

	history := run(t, "get-execution-history", "--execution-arn", executionARN)
	events, _ := history["events"].([]any)
	if len(events) < 2 {
		t.Fatalf("get-execution-history printed %v", history)
	}
	first, _ := events[0].(map[string]any)
	last, _ := events[len(events)-1].(map[string]any)
	if first["type"] != "ExecutionStarted" || last["type"] != "ExecutionAborted" {
		t.Errorf("history runs from %v to %v, want ExecutionStarted … ExecutionAborted", first["type"], last["type"])
	}
}

// withoutAWSVars drops the caller's AWS settings (a profile, an endpoint, real credentials), so
// the CLI sees only the dummy ones the test sets. The CLI treats even an empty AWS_PROFILE as a
// profile name, so the variables must be absent, not empty.
func withoutAWSVars(environ []string) []string {
	kept := environ[:0:0]
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "AWS_") {
			kept = append(kept, kv)
		}
	}
	return kept
}
