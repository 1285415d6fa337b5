package conformance_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
	"github.com/stepgate/stepgate/internal/offline/asl"
)

// statusInvalidDefinition is the status both sides report for a definition
// they refuse to run.
const statusInvalidDefinition = "INVALID_DEFINITION"

// clockFactor shortens Wait states and retry intervals: the corpus uses
// waits of 0 or 1 second and retries of a few seconds, so a case takes
// milliseconds. The Node side overrides the same waits to 0 ms.
const clockFactor = 1000

// corpusCase is one file entry of testdata/corpus.
type corpusCase struct {
	Name       string            `json:"name"`
	Note       string            `json:"note,omitempty"`
	Definition json.RawMessage   `json:"definition"`
	Input      json.RawMessage   `json:"input,omitempty"`
	Tasks      map[string]string `json:"tasks,omitempty"`
}

// outcome is one interpreter's answer for a case, in the shape
// local-sfn-batch.mjs prints.
type outcome struct {
	Name   string          `json:"name,omitempty"`
	Status string          `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
}

// divergence is one entry of divergences.json: a case where
// aws-local-stepfunctions answers differently from AWS.
type divergence struct {
	Case string  `json:"case"`
	Node outcome `json:"node"`
	AWS  outcome `json:"aws"`
	Why  string  `json:"why"`
	Doc  struct {
		Page    string `json:"page"`
		Section string `json:"section"`
		Quote   string `json:"quote"`
	} `json:"doc"`
}

func TestDifferentialAgainstAWSLocalStepFunctions(t *testing.T) {
	root := testenv.ModuleRoot(t)
	corpusDir := filepath.Join(root, "internal", "offline", "asl", "conformance", "testdata", "corpus")
	cases := loadCorpus(t, corpusDir)
	divergences := loadDivergences(t, filepath.Join(root, "internal", "offline", "asl", "conformance", "divergences.json"), cases)
	nodeAnswers := runNode(t, root, corpusDir)

	var agreeing, diverging, failing []string
	for _, c := range cases {
		ok := t.Run(c.Name, func(t *testing.T) {
			node, found := nodeAnswers[c.Name]
			if !found {
				t.Fatalf("local-sfn-batch printed no answer for %s", c.Name)
			}
			want := node
			if d, isDivergence := divergences[c.Name]; isDivergence {
				// The recorded node answer must still be what node says, so the
				// list cannot outlive the bug it documents.
				if diff := compare(d.Node, node); diff != "" {
					t.Errorf("divergences.json records aws-local-stepfunctions' answer, but it now answers differently (%s): update or remove the entry", diff)
				}
				want = d.AWS
			}
			got := runEngine(t, c)
			if diff := compare(want, got); diff != "" {
				source := "aws-local-stepfunctions"
				if _, isDivergence := divergences[c.Name]; isDivergence {
					source = "AWS (divergences.json)"
				}
				t.Errorf("engine disagrees with %s: %s\nwant: %s\ngot:  %s", source, diff, describe(want), describe(got))
			}
		})
		switch _, isDivergence := divergences[c.Name]; {
		case !ok:
			failing = append(failing, c.Name)
		case isDivergence:
			diverging = append(diverging, c.Name)
		default:
			agreeing = append(agreeing, c.Name)
		}
	}
	t.Logf("conformance: %d cases, %d agreeing with aws-local-stepfunctions, %d recorded divergences matching AWS, %d failing",
		len(cases), len(agreeing), len(diverging), len(failing))
	if len(failing) > 0 {
		t.Logf("failing cases: %s", strings.Join(failing, ", "))
	}
}

// loadCorpus reads every .json file of dir, each one case or an array of
// cases, in file-name order, as local-sfn-batch.mjs does.
func loadCorpus(t *testing.T, dir string) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s (err %v)", dir, err)
	}
	sort.Strings(files)
	var cases []corpusCase
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read corpus: %v", err)
		}
		var batch []corpusCase
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
			var one corpusCase
			err = json.Unmarshal(data, &one)
			batch = []corpusCase{one}
		} else {
			err = json.Unmarshal(data, &batch)
		}
		if err != nil {
			t.Fatalf("parse %s: %v", filepath.Base(f), err)
		}
		for _, c := range batch {
			if c.Name == "" || len(c.Definition) == 0 {
				t.Fatalf("%s: a case lacks a name or a definition", filepath.Base(f))
			}
			if seen[c.Name] {
				t.Fatalf("%s: duplicate case name %s", filepath.Base(f), c.Name)
			}
			seen[c.Name] = true
			if len(c.Input) == 0 {
				c.Input = json.RawMessage(`{}`)
			}
			cases = append(cases, c)
		}
	}
	return cases
}

func loadDivergences(t *testing.T, path string, cases []corpusCase) map[string]divergence {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read divergences: %v", err)
	}
	var list []divergence
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("parse divergences: %v", err)
	}
	known := map[string]bool{}
	for _, c := range cases {
		known[c.Name] = true
	}
	byCase := map[string]divergence{}
	for _, d := range list {
		switch {
		case !known[d.Case]:
			t.Fatalf("divergences.json names %q, which is not in the corpus", d.Case)
		case byCase[d.Case].Case != "":
			t.Fatalf("divergences.json lists %q twice", d.Case)
		case d.Doc.Page == "" || d.Doc.Section == "" || d.Doc.Quote == "":
			t.Fatalf("divergences.json: %q must cite the AWS page, section and sentence that decide it", d.Case)
		case d.Node.Status == "" || d.AWS.Status == "":
			t.Fatalf("divergences.json: %q needs both answers", d.Case)
		}
		byCase[d.Case] = d
	}
	return byCase
}

// runNode runs the whole corpus through aws-local-stepfunctions once. Without
// the Node tools it skips, or fails in CI (package testenv).
func runNode(t *testing.T, root, corpusDir string) map[string]outcome {
	t.Helper()
	nodeBin := testenv.MustHaveNodeModule(t, "aws-local-stepfunctions")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join(root, "tools", "node", "local-sfn-batch.mjs"), corpusDir)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("local-sfn-batch.mjs: %v\n%s", err, stderr.String())
	}
	answers := map[string]outcome{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var o outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("local-sfn-batch.mjs printed a line that is not an answer: %v: %s", err, sc.Text())
		}
		answers[o.Name] = o
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read local-sfn-batch.mjs output: %v", err)
	}
	return answers
}

// runEngine runs one case through internal/offline/asl with the mock invoker.
func runEngine(t *testing.T, c corpusCase) outcome {
	t.Helper()
	sm, err := asl.Parse(c.Definition)
	if err != nil {
		var defErr *asl.DefinitionError
		if !errors.As(err, &defErr) {
			t.Fatalf("asl.Parse returned %T, want *asl.DefinitionError: %v", err, err)
		}
		return outcome{Status: statusInvalidDefinition, Cause: err.Error()}
	}
	execution := sm.Start(context.Background(), c.Input, asl.Config{
		Invoker: newMockInvoker(c.Tasks),
		Clock:   asl.NewScaledClock(clockFactor),
	})
	// The bound only stops a hung engine from hanging the suite; a healthy
	// case takes milliseconds.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := execution.Wait(ctx)
	if res.Status == asl.StatusRunning {
		execution.Stop("conformance.Hung", "the execution did not finish within 30s")
		t.Fatalf("execution still RUNNING after 30s")
	}
	return outcome{Status: res.Status, Output: res.Output, Error: res.Error, Cause: res.Cause}
}

// compare returns "" when got matches want, or what differs. Outputs compare
// as JSON values (object key order and number spelling do not matter). A
// cause is compared only for errors the case itself names (from a Fail state
// or a mock task): the cause of a States.* error is each engine's own prose.
func compare(want, got outcome) string {
	if want.Status != got.Status {
		return fmt.Sprintf("status %s, want %s", got.Status, want.Status)
	}
	switch want.Status {
	case asl.StatusSucceeded:
		equal, err := jsonEqual(want.Output, got.Output)
		if err != nil {
			return err.Error()
		}
		if !equal {
			return "output differs"
		}
	case asl.StatusFailed:
		if want.Error != got.Error {
			return fmt.Sprintf("error %q, want %q", got.Error, want.Error)
		}
		if !strings.HasPrefix(want.Error, "States.") && want.Cause != got.Cause {
			return fmt.Sprintf("cause %q, want %q", got.Cause, want.Cause)
		}
	}
	return ""
}

func jsonEqual(a, b json.RawMessage) (bool, error) {
	var va, vb any
	if err := json.Unmarshal(orNull(a), &va); err != nil {
		return false, fmt.Errorf("want output is not JSON: %w", err)
	}
	if err := json.Unmarshal(orNull(b), &vb); err != nil {
		return false, fmt.Errorf("got output is not JSON: %w", err)
	}
	return reflect.DeepEqual(va, vb), nil
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

func describe(o outcome) string {
	switch o.Status {
	case asl.StatusSucceeded:
		return fmt.Sprintf("SUCCEEDED %s", orNull(o.Output))
	case asl.StatusFailed:
		return fmt.Sprintf("FAILED %s (cause %q)", o.Error, o.Cause)
	default:
		return fmt.Sprintf("%s %s", o.Status, o.Cause)
	}
}
