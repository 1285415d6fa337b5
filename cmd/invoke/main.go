// Command invoke runs one function's bootstrap under AWS's Lambda Runtime Interface Emulator with an
// event fixture: the Docker-free `sam local invoke`. The function gets the environment template.yaml
// gives it, pointed at the offline stack's AWS endpoint: the one `make local` runs if it is up, or
// one started here for the length of the call.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
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
		endpoint = fs.String("endpoint", "", "AWS endpoint URL for the function (default: make local's on 127.0.0.1:4566 if it is up, else one started here)")
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

	awsURL := *endpoint
	if awsURL == "" {
		if up("127.0.0.1:4566") {
			awsURL = "http://127.0.0.1:4566"
			fmt.Fprintln(stderr, "using the offline stack of `make local` at", awsURL)
		} else {
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

func up(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
