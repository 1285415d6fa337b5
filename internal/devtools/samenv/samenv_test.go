package samenv

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
)

const templatePath = "../../../template.yaml"

func TestCLIEnvironment(t *testing.T) {
	file := File{
		"Parameters": {"FILE_SET": "from Parameters", "BOTH_SET": "from Parameters", "NOT_DECLARED": "x"},
		"Worker":     {"BOTH_SET": "from Worker", "ALSO_NOT_DECLARED": "y"},
		"Helper":     {"FILE_SET": "for Helper only"},
	}
	shell := map[string]string{"SHELL_SET": "from shell", "BOTH_SET": "from shell", "PATH": "/bin"}
	got, err := CLIEnvironment("testdata/cli-template.yaml", "Worker", file, shell, Creds{}, map[string]string{"Level": "DEBUG"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		// Template values as SAM CLI resolves them: parameter overrides, logical IDs, Lambda ARNs.
		"LEVEL":        "DEBUG",
		"FROM_GLOBALS": "global",
		"QUEUE":        "Queue",
		"TARGET":       "arn:aws:lambda:us-east-1:123456789012:function:helper-fn",
		"DOC":          `{"queue":"Queue","region":"us-east-1"}`,
		// Precedence: template < shell < file ("Parameters" < the function's own object).
		"SHELL_SET": "from shell",
		"FILE_SET":  "from Parameters",
		"BOTH_SET":  "from Worker",
		// SAM CLI's own variables.
		"AWS_SAM_LOCAL":                   "true",
		"AWS_LAMBDA_FUNCTION_NAME":        "Worker",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     "7",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_FUNCTION_HANDLER":     "bootstrap",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "aws/lambda/Worker",
		"AWS_LAMBDA_LOG_STREAM_NAME":      "$LATEST",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_ACCESS_KEY_ID":               "defaultkey",
		"AWS_SECRET_ACCESS_KEY":           "defaultsecret",
		"AWS_ACCOUNT_ID":                  "123456789012",
	}
	if !maps.Equal(got, want) {
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if got[k] != want[k] {
				t.Errorf("%s = %q, want %q", k, got[k], want[k])
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected %s = %q (a file or the shell cannot add variables)", k, got[k])
			}
		}
	}
	if _, err := CLIEnvironment("testdata/cli-template.yaml", "Nobody", nil, nil, Creds{}, nil); err == nil {
		t.Error("an unknown function was accepted")
	}
}

func loadFixtureStack(t *testing.T) *Stack {
	t.Helper()
	stacks, err := os.ReadFile("testdata/describe-stacks.json")
	if err != nil {
		t.Fatal(err)
	}
	resources, err := os.ReadFile("testdata/describe-stack-resources.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseStack(stacks, resources)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGenerateDeployed checks the deployed file generically: the template is loaded once with a
// marker for every Ref/GetAtt, and each marker must come out as what the stack's physical IDs say.
func TestGenerateDeployed(t *testing.T) {
	s := loadFixtureStack(t)
	tmpl, err := LoadDeployed(templatePath, s)
	if err != nil {
		t.Fatal(err)
	}
	file, err := Generate(tmpl, nil)
	if err != nil {
		t.Fatal(err)
	}

	opts := s.Options(tmpl.Parameters)
	if opts.Region != "eu-west-1" || opts.AccountID != "210987654321" || opts.Parameters["LogLevel"] != "DEBUG" {
		t.Errorf("options %+v: want the stack's region, account and parameters", opts)
	}
	if _, ok := opts.Parameters["RemovedLongAgo"]; ok {
		t.Error("a parameter the template no longer declares was passed on")
	}
	opts.Resolve = func(id, attr string) (string, bool) { return "«" + id + "|" + attr + "»", true }
	marked, err := samtemplate.Load(templatePath, opts)
	if err != nil {
		t.Fatal(err)
	}
	fns, err := marked.Functions()
	if err != nil {
		t.Fatal(err)
	}
	marker := regexp.MustCompile(`«([^|»]+)\|([^»]*)»`)
	expect := func(id, attr string) string {
		r := s.Resources[id]
		switch attr {
		case "":
			return r.PhysicalID
		case "Arn":
			if r.Type == "AWS::Lambda::Function" {
				return "arn:aws:lambda:eu-west-1:210987654321:function:" + r.PhysicalID
			}
			return r.PhysicalID
		case "Name":
			return r.PhysicalID[strings.LastIndex(r.PhysicalID, ":")+1:]
		}
		t.Fatalf("no expectation for %s.%s", id, attr)
		return ""
	}
	refs := 0
	for _, f := range fns {
		got, ok := file[f.LogicalID]
		if !ok {
			t.Errorf("no entry for %s", f.LogicalID)
			continue
		}
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(f.Environment))) {
			t.Errorf("%s: variables %v, template declares %v", f.LogicalID, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(f.Environment)))
		}
		for name, v := range f.Environment {
			want := marker.ReplaceAllStringFunc(v, func(m string) string {
				refs++
				p := marker.FindStringSubmatch(m)
				return expect(p[1], p[2])
			})
			if got[name] != want {
				t.Errorf("%s %s = %q, want %q", f.LogicalID, name, got[name], want)
			}
			if _, isResource := tmpl.Resources[got[name]]; isResource {
				t.Errorf("%s %s = %q is a logical ID, what SAM CLI alone would give", f.LogicalID, name, got[name])
			}
		}
	}
	if refs == 0 {
		t.Error("no environment variable names a resource: the test checks nothing")
	}

	// A resource the stack does not have (here: none at all) is an error naming the variable.
	s.Resources = map[string]StackResource{"Other": {Type: "AWS::SQS::Queue", PhysicalID: "q"}}
	tmpl, err = LoadDeployed(templatePath, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(tmpl, nil); err == nil || !strings.Contains(err.Error(), "not known to the target stack") {
		t.Errorf("Generate with unknown resources: %v, want an error naming the variable", err)
	}
}

func TestParseStackErrors(t *testing.T) {
	for name, c := range map[string][2]string{
		"not JSON":        {`{`, `{"StackResources":[{"LogicalResourceId":"A"}]}`},
		"no stack":        {`{"Stacks":[]}`, `{"StackResources":[{"LogicalResourceId":"A"}]}`},
		"bad stack ID":    {`{"Stacks":[{"StackId":"x"}]}`, `{"StackResources":[{"LogicalResourceId":"A"}]}`},
		"no resources":    {`{"Stacks":[{"StackId":"arn:aws:cloudformation:us-east-1:1:stack/a/b"}]}`, `{"StackResources":[]}`},
		"resources error": {`{"Stacks":[{"StackId":"arn:aws:cloudformation:us-east-1:1:stack/a/b"}]}`, `[]`},
	} {
		if _, err := ParseStack([]byte(c[0]), []byte(c[1])); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
