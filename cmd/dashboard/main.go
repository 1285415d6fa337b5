// Command dashboard serves stepgate's dashboard for a deployed stack: on loopback, forwarding the
// page's calls to the stack's API signed with SigV4 from the default AWS credential chain (the
// API's AWS_IAM auth) or carrying the key in STEPGATE_API_KEY (API_KEY). It learns the stack from
// its name alone: template.yaml resolved with the stack's physical IDs, read through the AWS CLI
// as `make env-deployed` reads them (describe-stacks, describe-stack-resources), gives the routes,
// the state machines, the API's URL and its auth mode. make local serves the dashboard itself.
//
//	go run ./cmd/dashboard -stack stepgate
//	STEPGATE_API_KEY=… go run ./cmd/dashboard -stack stepgate          # deployed with AuthMode API_KEY
//	go run ./cmd/dashboard -stack stepgate -api https://api.example.com/v1   # through a custom domain
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/devtools/dashboard"
	"github.com/stepgate/stepgate/internal/devtools/samenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	var (
		addr          = fs.String("addr", dashboard.DefaultAddr, "where the page is served (loopback only)")
		stackName     = fs.String("stack", "", "the deployed stack's name (read with aws cloudformation describe-stacks and describe-stack-resources)")
		template      = fs.String("template", "template.yaml", "the template the stack was deployed from")
		apiURL        = fs.String("api", "", "call the API here instead of its execute-api URL (a custom domain name, stage or base path included)")
		stacksFile    = fs.String("describe-stacks", "", "instead of -stack: saved output of aws cloudformation describe-stacks --stack-name X")
		resourcesFile = fs.String("describe-stack-resources", "", "instead of -stack: saved output of aws cloudformation describe-stack-resources --stack-name X")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	var deployed *samenv.Stack
	var err error
	switch {
	case *stackName != "" && *stacksFile == "" && *resourcesFile == "":
		deployed, err = samenv.DescribeStack(ctx, *stackName)
	case *stackName == "" && (*stacksFile != "" || *resourcesFile != ""):
		deployed, err = samenv.ReadStack(*stacksFile, *resourcesFile)
	default:
		fs.Usage()
		return errors.New("name the stack: -stack NAME (or its saved AWS CLI answers: -describe-stacks FILE -describe-stack-resources FILE)")
	}
	if err != nil {
		return err
	}
	st, err := dashboard.FromDeployed(*template, deployed)
	if err != nil {
		return err
	}
	if *apiURL != "" {
		st.APIURL = *apiURL
	}
	// The default chain serves both uses: SigV4 for the API, and DescribeStateMachine for the graph.
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	cfg := dashboard.Config{
		Stack:         st,
		APIKey:        os.Getenv("STEPGATE_API_KEY"),
		Credentials:   awsCfg.Credentials,
		Region:        deployed.Options(nil).Region, // the stack's, where its API is
		StepFunctions: sfn.NewFromConfig(awsCfg),
		Log:           slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	url, done, err := dashboard.Serve(ctx, *addr, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stepgate dashboard on %s (stack %s: %d routes, forwarding to %s, auth %s); Ctrl-C stops it\n",
		url, st.Name, len(st.Routes), st.APIURL, st.Auth)
	<-done
	return nil
}
