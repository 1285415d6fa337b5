// Command dashboard serves stepgate's dashboard on loopback and forwards its calls to a stepgate
// API: make local's (which starts it by itself), or a deployed stack's, signed with SigV4 from the
// default AWS credential chain (AuthMode AWS_IAM) or carrying the key in STEPGATE_API_KEY (API_KEY).
//
//	go run ./cmd/dashboard -api "$API" -instance "$ID"                 # AWS_IAM
//	STEPGATE_API_KEY=… go run ./cmd/dashboard -auth API_KEY -api "$API" -instance "$ID"
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
		addr     = fs.String("addr", dashboard.DefaultAddr, "where the page is served (loopback only)")
		apiURL   = fs.String("api", "", "the stepgate API's URL, stage included (the stack's ApiUrl output; http://127.0.0.1:3000 for make local)")
		auth     = fs.String("auth", dashboard.AuthIAM, "the API's AuthMode: AWS_IAM (SigV4 with the default credential chain), API_KEY (x-api-key from STEPGATE_API_KEY) or NONE")
		region   = fs.String("region", "", "the API's Region for SigV4 (default: from the execute-api host name, else the AWS configuration's)")
		instance = fs.String("instance", "", "the managed instance's ID (the stack's InstanceId output)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *apiURL == "" || *instance == "" {
		fs.Usage()
		return errors.New("-api and -instance are required")
	}
	// The default chain serves both uses: SigV4 for the API, and DescribeStateMachine for the graph
	// (AWS_ENDPOINT_URL_SFN points it at make local's endpoint).
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	cfg := dashboard.Config{
		APIURL:        *apiURL,
		Auth:          *auth,
		APIKey:        os.Getenv("STEPGATE_API_KEY"),
		Credentials:   awsCfg.Credentials,
		Region:        *region,
		InstanceID:    *instance,
		StateMachines: sfn.NewFromConfig(awsCfg),
		Log:           slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	if cfg.Region == "" && dashboard.RegionOf(*apiURL) == "" {
		cfg.Region = awsCfg.Region
	}
	url, done, err := dashboard.Serve(ctx, *addr, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stepgate dashboard on %s (forwarding to %s, auth %s); Ctrl-C stops it\n", url, *apiURL, *auth)
	<-done
	return nil
}
