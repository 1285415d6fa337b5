package offline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/rie"
	"github.com/stepgate/stepgate/internal/devtools/samenv"
	"github.com/stepgate/stepgate/internal/offline"
)

// localEnvVarsFile is where `make env-local` writes the offline stack's --env-vars file.
const localEnvVarsFile = "build/env/local.json"

var samLocalInvoke = regexp.MustCompile(`sam local invoke (\w+)((?: +[^ \n]+)*)`)

// TestREADMESamLocalInvoke runs every `sam local invoke` line of the README that targets the
// offline stack as SAM CLI would run it: the environment built the way SAM CLI builds it (template
// values with Ref to a resource as its logical ID, parameter defaults, Globals, then the --env-vars
// file the line names, generated here as `make env-local` generates it, for this test's stack), and
// the function's bootstrap under AWS's Lambda Runtime Interface Emulator. What it cannot cover is
// the container itself: Docker, the arm64 image and its network (README: --docker-network host).
func TestREADMESamLocalInvoke(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	type invocation struct{ line, function, event, envVars string }
	var lines []invocation
	for _, m := range samLocalInvoke.FindAllStringSubmatch(string(readme), -1) {
		inv := invocation{line: strings.TrimSpace(m[0]), function: m[1]}
		args := strings.Fields(m[2])
		for i := 0; i+1 < len(args); i++ {
			switch args[i] {
			case "-e", "--event":
				inv.event = args[i+1]
			case "-n", "--env-vars":
				inv.envVars = args[i+1]
			}
		}
		if inv.event == "" {
			t.Errorf("README line %q names no event fixture", inv.line)
			continue
		}
		if inv.envVars != "" && inv.envVars != localEnvVarsFile {
			continue // a deployed stack's file: only a real deployment can check those lines
		}
		lines = append(lines, inv)
	}
	if len(lines) == 0 {
		t.Fatal("the README shows no `sam local invoke` line for the offline stack")
	}

	s := startStack(t, nil)
	ctx := context.Background()
	templatePath := filepath.Join(repoRoot, "template.yaml")
	tmpl, _, err := offline.LoadTemplate(templatePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	file, err := samenv.Generate(tmpl, offline.LambdaEnv(s.AWSURL))
	if err != nil {
		t.Fatal(err)
	}
	emulator, err := rie.Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	for _, inv := range lines {
		t.Run(inv.function+" "+filepath.Base(inv.event), func(t *testing.T) {
			var envVars samenv.File
			if inv.envVars != "" {
				envVars = file
			}
			vars, err := samenv.CLIEnvironment(templatePath, inv.function, envVars, nil, samenv.Creds{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			env := make([]string, 0, len(vars))
			for k, v := range vars {
				env = append(env, k+"="+v)
			}
			sort.Strings(env)
			e, err := rie.Start(ctx, rie.Config{Emulator: emulator, Bootstrap: filepath.Join(buildDir, inv.function, "bootstrap"), Env: env, Output: testLog{t}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			event, err := os.ReadFile(filepath.Join(repoRoot, inv.event))
			if err != nil {
				t.Fatal(err)
			}
			answer, err := e.Invoke(ctx, event)
			if err != nil {
				t.Fatalf("%s: %v", inv.line, err)
			}
			var got struct {
				StatusCode *int              `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Body       string            `json:"body"`
				ErrorType  string            `json:"errorType"`
			}
			if err := json.Unmarshal(answer, &got); err != nil {
				t.Fatalf("%s answered %s: %v", inv.line, answer, err)
			}
			switch {
			case got.ErrorType != "":
				t.Errorf("%s failed with %s: %s", inv.line, got.ErrorType, answer)
			case got.StatusCode != nil && *got.StatusCode >= 500:
				t.Errorf("%s answered %d %s (environment %v)", inv.line, *got.StatusCode, got.Body, vars)
			case got.StatusCode != nil && got.Headers["X-Request-Id"] == "":
				t.Errorf("%s answered without X-Request-Id: %s", inv.line, answer)
			}
		})
	}
}
