package asl

import (
	"encoding/json"
	"os"
	"testing"
)

// awsRecorded is one execution AWS ran and recorded: transcribed from
// LocalStack's AWS-validated snapshot tests (localstack/localstack,
// tests/aws/services/stepfunctions/v2/**/*.snapshot.json, with the
// definitions of tests/aws/services/stepfunctions/templates), each naming
// its source file and test.
type awsRecorded struct {
	Name       string          `json:"name"`
	Source     string          `json:"source"`
	Note       string          `json:"note,omitempty"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Status     string          `json:"status"`
	Output     json.RawMessage `json:"output,omitempty"`
	Error      string          `json:"error,omitempty"`
	Cause      string          `json:"cause,omitempty"`
}

// TestAWSRecordedAnswers runs testdata/aws_recorded.json and compares the
// status, the output (as JSON values), the error and the cause with what
// AWS recorded.
func TestAWSRecordedAnswers(t *testing.T) {
	data, err := os.ReadFile("testdata/aws_recorded.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []awsRecorded
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res, _ := runMachine(t, string(c.Definition), string(c.Input), nil)
			if res.Status != c.Status || res.Error != c.Error {
				t.Fatalf("%s %s (%s), AWS recorded %s %s (%s)\nsource: %s", res.Status, res.Error, res.Cause, c.Status, c.Error, c.Cause, c.Source)
			}
			if c.Status == StatusSucceeded {
				jsonEqual(t, res.Output, string(c.Output))
			}
			if c.Cause != "" && res.Cause != c.Cause {
				t.Errorf("cause = %q\nAWS recorded %q\nsource: %s", res.Cause, c.Cause, c.Source)
			}
		})
	}
}
