package localec2

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
)

// TestAWSCLI drives the local EC2 with the official AWS CLI, the way the
// README tells users to. CI installs the CLI, so there a missing one fails.
func TestAWSCLI(t *testing.T) {
	awsPath := testenv.MustHaveExecPath(t, testenv.AWSCLI)
	if testing.Short() {
		t.Skip("-short: the AWS CLI takes about a second per command")
	}

	e, _ := newTestEC2(t, 0) // instant transitions: each command sees the last one's end state
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)

	// Only the dummy settings below reach the CLI: no profile, file or real
	// credential of the machine can change the outcome.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	)

	type stateName struct {
		Code int32
		Name string
	}
	type change struct {
		InstanceId                  string
		CurrentState, PreviousState stateName
	}
	type cliOutput struct {
		Reservations []struct {
			OwnerId   string
			Instances []struct {
				InstanceId string
				State      stateName
			}
		}
		InstanceStatuses []struct {
			InstanceId    string
			InstanceState stateName
		}
		StartingInstances, StoppingInstances []change
	}
	var out cliOutput // the last command's output, for the checks

	steps := []struct {
		name    string
		args    []string
		wantErr string // a failing command's stderr contains it
		check   func(t *testing.T)
	}{
		{
			name: "describe-instances",
			args: []string{"ec2", "describe-instances"},
			check: func(t *testing.T) {
				if len(out.Reservations) != 3 || out.Reservations[0].OwnerId != "123456789012" {
					t.Fatalf("reservations: %+v", out.Reservations)
				}
				if in := out.Reservations[0].Instances[0]; in.InstanceId != stoppedID || in.State != (stateName{80, "stopped"}) {
					t.Errorf("first instance %+v, want %s stopped", in, stoppedID)
				}
			},
		},
		{
			name: "start-instances",
			args: []string{"ec2", "start-instances", "--instance-ids", stoppedID},
			check: func(t *testing.T) {
				want := []change{{stoppedID, stateName{0, "pending"}, stateName{80, "stopped"}}}
				if len(out.StartingInstances) != 1 || out.StartingInstances[0] != want[0] {
					t.Errorf("StartingInstances = %+v, want %+v", out.StartingInstances, want)
				}
			},
		},
		{
			name: "describe-instances by ID and state filter",
			args: []string{"ec2", "describe-instances", "--instance-ids", stoppedID, "--filters", "Name=instance-state-name,Values=running"},
			check: func(t *testing.T) {
				if len(out.Reservations) != 1 || out.Reservations[0].Instances[0].State.Name != "running" {
					t.Errorf("reservations: %+v, want %s running", out.Reservations, stoppedID)
				}
			},
		},
		{
			name: "stop-instances",
			args: []string{"ec2", "stop-instances", "--instance-ids", stoppedID, "--force"},
			check: func(t *testing.T) {
				want := change{stoppedID, stateName{64, "stopping"}, stateName{16, "running"}}
				if len(out.StoppingInstances) != 1 || out.StoppingInstances[0] != want {
					t.Errorf("StoppingInstances = %+v, want %+v", out.StoppingInstances, want)
				}
			},
		},
		{
			name: "describe-instance-status --include-all-instances",
			args: []string{"ec2", "describe-instance-status", "--instance-ids", stoppedID, "--include-all-instances"},
			check: func(t *testing.T) {
				if len(out.InstanceStatuses) != 1 || out.InstanceStatuses[0].InstanceState != (stateName{80, "stopped"}) {
					t.Errorf("InstanceStatuses = %+v, want %s stopped", out.InstanceStatuses, stoppedID)
				}
			},
		},
		{
			name:    "start-instances of an unknown instance",
			args:    []string{"ec2", "start-instances", "--instance-ids", "i-0fffffffffffffff0"},
			wantErr: "(InvalidInstanceID.NotFound) when calling the StartInstances operation: The instance ID 'i-0fffffffffffffff0' does not exist",
		},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			args := append([]string{"--endpoint-url", srv.URL, "--region", "us-east-1", "--output", "json"}, s.args...)
			cmd := exec.CommandContext(ctx, awsPath, args...)
			cmd.Env = env
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.Output()
			if s.wantErr != "" {
				if err == nil || !strings.Contains(stderr.String(), s.wantErr) {
					t.Fatalf("aws %s: err %v, stderr %q; want a failure containing %q", strings.Join(s.args, " "), err, stderr.String(), s.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(s.args, " "), err, stderr.String())
			}
			out = cliOutput{}
			if err := json.Unmarshal(stdout, &out); err != nil {
				t.Fatalf("aws %s printed non-JSON %q: %v", strings.Join(s.args, " "), stdout, err)
			}
			s.check(t)
		})
	}
}
