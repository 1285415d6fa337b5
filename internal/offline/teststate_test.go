package offline_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/offline"
)

// TestStateUnitTestsOffline runs the README's Go unit tests of the workflow's states
// (statemachines/states_test.go: TestState through the SDK, awsclient's client) against an
// offline stack, as `make local` serves them: a Choice routes, mocked Lambda answers and errors
// retried or not, and an unmocked Check that runs the ec2toggle bootstrap on the local EC2.
func TestStateUnitTestsOffline(t *testing.T) {
	s := startStack(t, nil)
	cmd := exec.Command("go", "test", "-count=1", "-v", "./statemachines/")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+s.AWSURL, "AWS_REGION="+offline.Region,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test ./statemachines/: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "--- SKIP") || !strings.Contains(string(out), "--- PASS: TestExpressStates") {
		t.Fatalf("the state tests did not all run:\n%s", out)
	}
}
