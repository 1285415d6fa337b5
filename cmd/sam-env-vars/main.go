// Command sam-env-vars writes the --env-vars file of `sam local invoke` for every function of the
// template, resolving each declared environment variable against a target:
//
//	sam-env-vars -local [-endpoint http://127.0.0.1:4566]     the offline stack (make local)
//	sam-env-vars -stack stepgate                              a deployed stack (runs the AWS CLI)
//	sam-env-vars -describe-stacks a.json -describe-stack-resources b.json   saved AWS CLI output
//
// SAM CLI resolves a Ref to a resource as its logical ID; this file gives the functions the names
// the target really has. See internal/devtools/samenv.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/stepgate/stepgate/internal/devtools/samenv"
	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
	"github.com/stepgate/stepgate/internal/offline"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sam-env-vars:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("sam-env-vars", flag.ContinueOnError)
	template := fs.String("template", "template.yaml", "the SAM template")
	local := fs.Bool("local", false, "target the offline stack (make local)")
	endpoint := fs.String("endpoint", "http://127.0.0.1:4566",
		"with -local: the AWS endpoint as the function's container reaches it (127.0.0.1 with --docker-network host on Linux; http://host.docker.internal:4566 on Docker Desktop)")
	stack := fs.String("stack", "", "target this deployed stack: runs aws cloudformation describe-stacks and describe-stack-resources")
	stacksFile := fs.String("describe-stacks", "", "saved output of aws cloudformation describe-stacks --stack-name X")
	resourcesFile := fs.String("describe-stack-resources", "", "saved output of aws cloudformation describe-stack-resources --stack-name X")
	out := fs.String("o", "", "write the file here (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}

	var tmpl *samtemplate.Template
	var set map[string]string
	switch {
	case *local && *stack == "" && *stacksFile == "":
		var err error
		if tmpl, _, err = offline.LoadTemplate(*template, nil); err != nil {
			return err
		}
		set = offline.LambdaEnv(*endpoint)
	case !*local && (*stack != "") != (*stacksFile != "" || *resourcesFile != ""):
		var s *samenv.Stack
		var err error
		if *stack != "" {
			s, err = samenv.DescribeStack(context.Background(), *stack)
		} else {
			s, err = samenv.ReadStack(*stacksFile, *resourcesFile)
		}
		if err != nil {
			return err
		}
		if tmpl, err = samenv.LoadDeployed(*template, s); err != nil {
			return err
		}
	default:
		return errors.New("choose one target: -local, -stack NAME, or -describe-stacks FILE -describe-stack-resources FILE")
	}

	file, err := samenv.Generate(tmpl, set)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if *out == "" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}
