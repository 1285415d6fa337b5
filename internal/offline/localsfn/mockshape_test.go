package localsfn

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// TestMockShapesGenerated regenerates mockshapes.json from botocore's models and wants the
// committed file. Without python3's botocore it skips (fails in CI: package testenv); with another botocore
// than the file was generated with it skips, since AWS's models change between releases.
func TestMockShapesGenerated(t *testing.T) {
	version, err := exec.Command("python3", "-c", "import botocore; print(botocore.__version__)").CombinedOutput()
	if err != nil {
		testenv.Unavailable(t, "python3 cannot import botocore ("+strings.TrimSpace(string(version))+")", "`pip install botocore`")
	}
	var file struct {
		GeneratedBy string `json:"generatedBy"`
	}
	if err := json.Unmarshal(mockShapesJSON, &file); err != nil {
		t.Fatal(err)
	}
	if want := " botocore " + strings.TrimSpace(string(version)); !strings.HasSuffix(file.GeneratedBy, want) {
		t.Skipf("mockshapes.json was generated %s, the installed one is%s: regenerate to compare "+
			"(python3 tools/mockshapes/generate.py > internal/offline/localsfn/mockshapes.json)", strings.TrimPrefix(file.GeneratedBy, "tools/mockshapes/generate.py "), want)
	}
	cmd := exec.Command("python3", "tools/mockshapes/generate.py")
	cmd.Dir = "../../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("generate.py: %v\n%s", err, stderr.Bytes())
	}
	if !bytes.Equal(out, mockShapesJSON) {
		t.Errorf("mockshapes.json is not what tools/mockshapes/generate.py writes; regenerate it:\n" +
			"  python3 tools/mockshapes/generate.py > internal/offline/localsfn/mockshapes.json")
	}
}

func TestCheckMockShape(t *testing.T) {
	const (
		startExecution = "arn:aws:states:::states:startExecution"
		getObject      = "arn:aws:states:::aws-sdk:s3:getObject"
		describe       = "arn:aws:states:::aws-sdk:ec2:describeInstances"
	)
	tests := []struct {
		name     string
		resource string
		mode     types.MockResponseValidationMode
		result   string
		want     string // the message after "Mock result schema validation error: "; "" for none
	}{
		{name: "a valid answer", resource: startExecution, result: `{"ExecutionArn":"a","StartDate":"2025-01-01T00:00:00Z"}`},
		{name: "members the model does not have", resource: startExecution, result: `{"ExecutionArn":"a","StartDate":"d","Extra":[1]}`},
		{name: "a required member missing", resource: startExecution, result: `{"StartDate":"d"}`, want: "Required field 'ExecutionArn' is missing"},
		{name: "PRESENT does not want required members", resource: startExecution, mode: types.MockResponseValidationModePresent, result: `{}`},
		{name: "PRESENT checks the members present", resource: startExecution, mode: types.MockResponseValidationModePresent, result: `{"StartDate":1}`, want: "Field 'StartDate' must be a string"},
		{name: "NONE checks nothing", resource: startExecution, mode: types.MockResponseValidationModeNone, result: `[1]`},
		{name: "a boolean", resource: getObject, result: `{"DeleteMarker":"yes"}`, want: "Field 'DeleteMarker' must be a boolean"},
		{name: "a map of strings", resource: getObject, result: `{"Metadata":{"k":1}}`, want: "Field 'k' must be a string"},
		{name: "a nested structure in a list", resource: describe, result: `{"Reservations":[{"Instances":[{"State":{"Name":"flying"}}]}]}`, want: "Field 'Name' is not an expected value"},
		{name: "an integer", resource: describe, result: `{"Reservations":[{"Instances":[{"AmiLaunchIndex":1.5}]}]}`, want: "Field 'AmiLaunchIndex' must be an integer"},
		{name: "not an object", resource: getObject, result: `"text"`, want: "The mocked result must be a JSON object"},
		{name: "a resource the table does not list", resource: "arn:aws:states:::aws-sdk:iot:listThings", result: `{"things":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := value.Decode([]byte(tt.result))
			if err != nil {
				t.Fatal(err)
			}
			err = checkMockShape(tt.resource, v, tt.mode)
			got := ""
			if err != nil {
				got = strings.TrimPrefix(errorMessage(err), "Mock result schema validation error: ")
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Every listed resource names a shape the file has.
	shapes := loadMockShapes()
	for r, root := range shapes.Resources {
		if _, ok := shapes.Shapes[root]; !ok {
			t.Errorf("%s: no shape %s", r, root)
		}
	}
}

func errorMessage(err error) string {
	_, _, msg := httpError(err)
	return msg
}
