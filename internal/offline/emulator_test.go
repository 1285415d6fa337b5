package offline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/rie"
	"github.com/stepgate/stepgate/internal/offline"
)

// TestFunctionsUnderEmulator runs the same bootstrap binaries that sam build packages under AWS's
// Lambda Runtime Interface Emulator, with the template's environment and the offline stack as their
// AWS endpoint, and invokes the events/ fixtures as `sam local invoke` would. The express fixture
// is also the proof that StartSyncExecution's sync- host prefix is disabled for a custom endpoint:
// with it, the call would go to sync-127.0.0.1 and fail.
func TestFunctionsUnderEmulator(t *testing.T) {
	s := startStack(t, nil)
	ctx := context.Background()
	emulator, err := rie.Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _, err := offline.LoadTemplate(filepath.Join(repoRoot, "template.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := func(t *testing.T, fn string) *rie.Emulator {
		env, _, err := offline.EmulatorEnv(tmpl, fn, s.AWSURL)
		if err != nil {
			t.Fatal(err)
		}
		e, err := rie.Start(ctx, rie.Config{Emulator: emulator, Bootstrap: filepath.Join(buildDir, fn, "bootstrap"), Env: env, Output: testLog{t}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}

	// API fixtures: the proxy response's status and, for errors, the error code.
	apiCases := []struct {
		fn, event string
		status    int
		code      string
	}{
		{"StartFunction", "express-instance.json", 200, ""},
		{"StartFunction", "express-instance-base64.json", 200, ""},
		{"StartFunction", "express-instance-bad-json.json", 400, "InvalidRequest"},
		{"StartFunction", "express-instance-not-allowed.json", 403, "InstanceNotAllowed"},
		{"StartFunction", "express-instance-unknown-action.json", 400, "InvalidRequest"},
		{"StartFunction", "standard-instance.json", 202, ""},
		{"StartFunction", "standard-instance-idempotency-key.json", 202, ""},
		{"StartFunction", "standard-instance-bad-idempotency-key.json", 400, "InvalidRequest"},
		{"StartFunction", "instance-get.json", 200, ""},
		{"StatusFunction", "execution-get.json", 404, "ExecutionNotFound"},
		{"StatusFunction", "execution-get-bad-arn.json", 400, "InvalidExecutionArn"},
		{"StatusFunction", "execution-get-bad-wait.json", 400, "InvalidRequest"},
		{"StatusFunction", "execution-get-express.json", 400, "ExpressExecutionNotDescribable"},
		{"StatusFunction", "execution-get-foreign.json", 404, "ExecutionNotFound"},
		{"StatusFunction", "execution-delete.json", 404, "ExecutionNotFound"},
	}
	// One emulator per function for the whole test, as one warm environment would serve them.
	emulators := map[string]*rie.Emulator{}
	for _, fn := range []string{"StartFunction", "StatusFunction", "Ec2ToggleFunction"} {
		emulators[fn] = start(t, fn)
	}
	for _, c := range apiCases {
		t.Run(c.event, func(t *testing.T) {
			answer, err := emulators[c.fn].Invoke(ctx, fixture(t, c.event))
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				StatusCode int               `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Body       string            `json:"body"`
			}
			if err := json.Unmarshal(answer, &resp); err != nil {
				t.Fatalf("not a proxy response: %s", answer)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body is not a JSON object: %q", resp.Body)
			}
			if resp.StatusCode != c.status || (c.code != "" && body["error"] != c.code) {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, resp.Body, c.status, c.code)
			}
			if resp.Headers["X-Request-Id"] == "" {
				t.Errorf("no X-Request-Id: %v", resp.Headers)
			}
		})
	}

	// Task fixtures: the result, or the errorType Step Functions matches in ErrorEquals.
	taskCases := []struct {
		event, wantState, wantType string
	}{
		{"ec2toggle-check.json", "stopped", ""},
		{"ec2toggle-not-allowed.json", "", "InstanceNotAllowed"},
		{"ec2toggle-bad-instance-id.json", "", "InvalidTaskInput"},
		{"ec2toggle-unknown-operation.json", "", "InvalidTaskInput"},
		{"ec2toggle-not-object.json", "", "InvalidTaskInput"},
	}
	for _, c := range taskCases {
		t.Run(c.event, func(t *testing.T) {
			answer, err := emulators["Ec2ToggleFunction"].Invoke(ctx, fixture(t, c.event))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(answer, &got); err != nil {
				t.Fatalf("answer %s: %v", answer, err)
			}
			if c.wantType != "" {
				if got["errorType"] != c.wantType {
					t.Fatalf("errorType = %v, want %s (%s)", got["errorType"], c.wantType, answer)
				}
				return
			}
			if got["state"] != c.wantState {
				t.Fatalf("state = %v, want %s (%s)", got["state"], c.wantState, answer)
			}
		})
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
