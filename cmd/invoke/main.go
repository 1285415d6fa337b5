// Command invoke runs one function's bootstrap under AWS's Lambda Runtime Interface Emulator with an
// event fixture: the Docker-free `sam local invoke`. The function gets the environment template.yaml
// gives it, pointed at an offline stack's AWS endpoint: the one at -endpoint when what answers
// there says it is a stepgate offline stack (its health route), else one started here for the
// length of the call.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/rie"
	"github.com/stepgate/stepgate/internal/offline"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	var (
		template = fs.String("template", "template.yaml", "the SAM template")
		buildDir = fs.String("build-dir", "", "directory holding <LogicalId>/bootstrap built for this machine")
		function = fs.String("function", "start", "a function's folder under functions/ (start), or its logical ID")
		event    = fs.String("event", "", "the event fixture (JSON file)")
		endpoint = fs.String("endpoint", "http://"+offline.DefaultAWSAddr, "the AWS endpoint of a running offline stack (make local's); when no stepgate stack answers there, one is started for this call")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The offline stack and the emulator both write to stderr.
	stderr = offline.SyncWriter(stderr)
	if *buildDir == "" || *event == "" {
		return fmt.Errorf("-build-dir and -event are required")
	}
	payload, err := os.ReadFile(*event)
	if err != nil {
		return err
	}
	if !json.Valid(payload) {
		return fmt.Errorf("%s is not valid JSON", *event)
	}
	ctx := context.Background()

	tmpl, _, err := offline.LoadTemplate(*template, nil)
	if err != nil {
		return fmt.Errorf("load %s: %w", *template, err)
	}
	// `make invoke FN=start` names a function by its folder, as the Makefile builds it.
	logicalID, err := tmpl.FunctionByFolder(*function)
	if err != nil {
		return err
	}

	awsURL := strings.TrimRight(*endpoint, "/")
	health, err := probe(ctx, awsURL)
	if err == nil {
		fmt.Fprintf(stderr, "using the offline stack at %s (process %d)\n", awsURL, health.PID)
	} else {
		fmt.Fprintf(stderr, "no stepgate offline stack at %s (%v): starting one for this call\n", awsURL, err)
		stack, err := offline.Start(ctx, offline.Config{
			Template: *template, BuildDir: *buildDir,
			APIAddr: "127.0.0.1:0", AWSAddr: "127.0.0.1:0",
			TimeScale: 10, Log: stderr, LogLevel: slog.LevelWarn,
		})
		if err != nil {
			return fmt.Errorf("start the offline stack: %w", err)
		}
		defer stack.Close(context.Background())
		awsURL = stack.AWSURL
		fmt.Fprintln(stderr, "started an offline stack for this call at", awsURL)
	}
	env, timeout, err := offline.EmulatorEnv(tmpl, logicalID, awsURL)
	if err != nil {
		return err
	}

	toolDir := filepath.Join(filepath.Dir(filepath.Clean(*buildDir)), "tools")
	if err := os.MkdirAll(toolDir, 0o755); err != nil {
		return err
	}
	emulator, err := rie.Build(ctx, toolDir)
	if err != nil {
		return err
	}
	e, err := rie.Start(ctx, rie.Config{
		Emulator:  emulator,
		Bootstrap: filepath.Join(*buildDir, logicalID, "bootstrap"),
		Env:       env,
		Output:    stderr,
	})
	if err != nil {
		return err
	}
	defer e.Close()
	ictx, cancel := context.WithTimeout(ctx, time.Duration(timeout+5)*time.Second)
	defer cancel()
	answer, err := e.Invoke(ictx, payload)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, answer, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(answer)
	}
	pretty.WriteByte('\n')
	_, err = stdout.Write(pretty.Bytes())
	return err
}

// probe asks endpoint whether it is a stepgate offline stack, so that a port held by something
// else (LocalStack uses 4566 too) is never mistaken for one.
func probe(ctx context.Context, endpoint string) (offline.Health, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var h offline.Health
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+offline.HealthPath, nil)
	if err != nil {
		return h, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return h, errors.New("nothing answers")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h) != nil || h.Service != offline.HealthService {
		return offline.Health{}, fmt.Errorf("what answers there is not a stepgate offline stack (%s %s)", offline.HealthPath, resp.Status)
	}
	return h, nil
}
