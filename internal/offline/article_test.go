package offline_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/offline/localec2"
)

// TestArticleDefinition runs the original article's state machine, unchanged, on the offline stack:
// describeInstanceStatus with States.Array, a Choice on the PascalCase result, then startInstances
// or stopInstances through the aws-sdk:ec2 integrations.
func TestArticleDefinition(t *testing.T) {
	s := startStack(t, nil)
	def, err := os.ReadFile("testdata/article.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	created, err := s.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("Article"), Definition: aws.String(string(def)), Type: typesOf("EXPRESS"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/article"),
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, key, want string
		after           localec2.State
	}{
		{"a stopped instance is started", "StartingInstances", "pending", localec2.StateRunning},
		{"a running instance is stopped", "StoppingInstances", "stopping", localec2.StateStopped},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, err := s.SFN.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
				StateMachineArn: created.StateMachineArn, Input: aws.String(`{"instance_id":"` + instanceID + `"}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != "SUCCEEDED" {
				t.Fatalf("status %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
			}
			var result map[string][]struct {
				InstanceID   string `json:"InstanceId"`
				CurrentState struct{ Name string }
			}
			if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &result); err != nil {
				t.Fatal(err)
			}
			if changes := result[st.key]; len(changes) != 1 || changes[0].InstanceID != instanceID || changes[0].CurrentState.Name != st.want {
				t.Fatalf("output %s", aws.ToString(out.Output))
			}
			if in, _ := s.EC2.Instance(instanceID); in.State != st.after {
				t.Fatalf("instance is %s, want %s", in.State, st.after)
			}
		})
	}
}
