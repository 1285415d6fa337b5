package jsonata

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// corpusCase is one entry of testdata/corpus.json: expressions from the AWS
// documentation's JSONata pages and our own, over one order document.
type corpusCase struct {
	Name  string          `json:"name"`
	Expr  string          `json:"expr"`
	Input json.RawMessage `json:"input"`
}

// answer is one evaluation as tools/node/jsonata-batch.mjs prints it.
type answer struct {
	Name      string          `json:"name"`
	Value     json.RawMessage `json:"value,omitempty"`
	Undefined bool            `json:"undefined,omitempty"`
	Error     string          `json:"error,omitempty"`
}

// accepted is one entry of testdata/divergences.json: a case where this
// package answers differently from npm jsonata, and why that is accepted.
type accepted struct {
	Case string `json:"case"`
	Npm  string `json:"npm"`
	Go   string `json:"go"`
	Why  string `json:"why"`
}

// TestDifferentialAgainstNpmJSONata compares every corpus expression with
// the reference implementation. Divergences must be recorded, and a recorded
// one must still diverge exactly as written.
func TestDifferentialAgainstNpmJSONata(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	var cases []corpusCase
	readJSON(t, "testdata/corpus.json", &cases)
	var divs []accepted
	readJSON(t, "testdata/divergences.json", &divs)
	recorded := map[string]accepted{}
	for _, d := range divs {
		recorded[d.Case] = d
	}
	ref := runNode(t, root, filepath.Join(root, "internal", "offline", "asl", "jsonata", "testdata", "corpus.json"))

	agree := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, ok := ref[c.Name]
			if !ok {
				t.Fatalf("jsonata-batch.mjs printed no answer")
			}
			got := evalCase(t, c)
			npm := show(want)
			if d, isDiv := recorded[c.Name]; isDiv {
				if d.Npm != npm || d.Go != got {
					t.Errorf("divergences.json is stale: npm %s (recorded %s), go %s (recorded %s)", npm, d.Npm, got, d.Go)
				}
				return
			}
			if npm != got {
				t.Errorf("%s\nnpm: %s\ngo:  %s", c.Expr, npm, got)
				return
			}
			agree++
		})
	}
	t.Logf("JSONata corpus: %d cases, %d agree with npm jsonata, %d recorded divergences", len(cases), agree, len(divs))
}

func evalCase(t *testing.T, c corpusCase) string {
	t.Helper()
	in, err := value.Decode(c.Input)
	if err != nil {
		t.Fatalf("input: %v", err)
	}
	x, err := Compile(c.Expr, nil)
	if err != nil {
		return "error"
	}
	v, err := x.Eval(context.Background(), func(name string) (any, bool) {
		if name == "states" {
			return map[string]any{"input": in}, true
		}
		return nil, false
	})
	switch {
	case errors.Is(err, ErrUndefined):
		return "undefined"
	case err != nil:
		return "error"
	}
	return canonical(t, v)
}

func show(a answer) string {
	switch {
	case a.Error != "":
		return "error"
	case a.Undefined:
		return "undefined"
	}
	v, err := value.Decode(a.Value)
	if err != nil {
		return "bad JSON: " + err.Error()
	}
	return canonical(nil, v)
}

// canonical encodes compactly with objects in their key order, so that key
// order counts, as it does in AWS's outputs.
func canonical(t *testing.T, v any) string {
	b, err := value.Append(nil, v)
	if err != nil {
		if t != nil {
			t.Fatalf("encode: %v", err)
		}
		return "encode error"
	}
	return string(b)
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func runNode(t *testing.T, root, corpus string) map[string]answer {
	t.Helper()
	nodeBin := testenv.MustHaveNodeModule(t, "jsonata")
	script := filepath.Join(root, "tools", "node", "jsonata-batch.mjs")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, script, corpus)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jsonata-batch.mjs: %v\n%s", err, stderr.String())
	}
	answers := map[string]answer{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var a answer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("jsonata-batch.mjs printed %q: %v", sc.Text(), err)
		}
		answers[a.Name] = a
	}
	return answers
}
