package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

const (
	fixtures  = "../../internal/devtools/samenv/testdata/"
	template  = "../../template.yaml"
	stacks    = fixtures + "describe-stacks.json"
	resources = fixtures + "describe-stack-resources.json"
)

func setAWSEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("STEPGATE_API_KEY", "")
}

func TestRunRefuses(t *testing.T) {
	setAWSEnv(t)
	saved := []string{"-template", template, "-describe-stacks", stacks, "-describe-stack-resources", resources}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no stack", []string{"-addr", "127.0.0.1:0"}, "name the stack"},
		{"a name and saved answers", append([]string{"-stack", "x"}, saved...), "name the stack"},
		{"half of the saved answers", []string{"-describe-stacks", stacks}, "give both"},
		{"stray argument", []string{"-stack", "x", "extra"}, "unexpected arguments"},
		{"every interface", append([]string{"-addr", "0.0.0.0:3001"}, saved...), "not a loopback address"},
		{"a template the stack was not deployed from", []string{"-template", "../../internal/offline/testdata/third-workflow.yaml",
			"-describe-stacks", stacks, "-describe-stack-resources", resources}, "has no state machine GreetingStateMachine"},
		{"API not http", append([]string{"-addr", "127.0.0.1:0", "-api", "ftp://x"}, saved...), "API URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := run(context.Background(), tt.args, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestRunServesTheDeployedStack: from the stack's recorded AWS CLI answers alone, the command
// serves the page the stack's description (routes, machines, API, auth) and forwards to its API.
func TestRunServesTheDeployedStack(t *testing.T) {
	setAWSEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-template", template, "-describe-stacks", stacks,
			"-describe-stack-resources", resources}, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("read the banner: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	const api = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1"
	if !strings.Contains(line, "stack stepgate-prod: 3 routes, forwarding to "+api+", auth AWS_IAM") {
		t.Errorf("banner %q", line)
	}
	url := strings.Fields(strings.TrimPrefix(line, "stepgate dashboard on "))[0]
	req, _ := http.NewRequest("GET", url+"dashboard/stack", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Name, API, Auth string
		Routes          []struct{ Method, Path string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /dashboard/stack: %d, %v", resp.StatusCode, err)
	}
	if doc.Name != "stepgate-prod" || doc.API != api || doc.Auth != "AWS_IAM" || len(doc.Routes) != 3 {
		t.Errorf("the page is told %+v", doc)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
