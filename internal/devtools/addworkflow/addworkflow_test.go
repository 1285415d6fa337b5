package addworkflow

import (
	"strings"
	"testing"
)

const readme = "# x\n\n" + Section + "\n\nWrite:\n\n```yaml\n  M:\n    Type: T\n```\n\nthen:\n\n```text\n              \"GET /a\": {},\n```\n\n## Next\n\n```yaml\nnot: this\n```\n"

const template = "Resources:\n  F:\n    Properties:\n      Environment:\n        Variables:\n          ROUTES: !Sub |\n            {\"routes\": {\n              \"POST /b\": {}\n            }}\n"

func TestApply(t *testing.T) {
	steps, err := FromREADME([]byte(readme))
	if err != nil {
		t.Fatal(err)
	}
	if steps.Resources != "  M:\n    Type: T\n" || steps.Routes != "              \"GET /a\": {},\n" {
		t.Fatalf("steps = %+v", steps)
	}
	got, err := steps.Apply([]byte("\n" + template))
	if err != nil {
		t.Fatal(err)
	}
	want := "\nResources:\n  M:\n    Type: T\n\n  F:\n    Properties:\n      Environment:\n        Variables:\n          ROUTES: !Sub |\n            {\"routes\": {\n" +
		"              \"GET /a\": {},\n              \"POST /b\": {}\n            }}\n"
	if string(got) != want {
		t.Errorf("Apply =\n%s\nwant\n%s", got, want)
	}
}

func TestRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"no section":     "# x\n",
		"no yaml block":  Section + "\n```text\na\n```\n",
		"unclosed block": "\n" + Section + "\n```yaml\na\n",
	} {
		if _, err := FromREADME([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	steps := Steps{Resources: "  M: {}\n", Routes: "x,\n"}
	for name, tmpl := range map[string]string{
		"no Resources": "Parameters:\n",
		"no ROUTES":    "\nResources:\n  F: {}\n",
	} {
		if _, err := steps.Apply([]byte(tmpl)); err == nil || !strings.Contains(err.Error(), "template") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
