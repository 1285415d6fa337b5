// Command ec2toggle is the task Lambda the state machines call: it checks an instance's state,
// or starts or stops it, and fails with typed errors the state machines match by name.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/stepgate/stepgate/internal/app/awsclient"
	"github.com/stepgate/stepgate/internal/app/logging"
	"github.com/stepgate/stepgate/internal/app/workflow"
)

func main() {
	logger := logging.New(os.Stderr, os.Getenv(logging.EnvLevel))

	h, err := setup(context.Background(), logger)
	if err != nil {
		// Failing each task (the state machine sees a plain error) beats a crash loop; the
		// cause is logged with every invocation.
		logger.Error("configuration invalid; every task will fail", "error", err)
		h = Misconfigured(err, logger)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, logger *slog.Logger) (*Handler, error) {
	allow, err := workflow.ParseAllowlist(os.Getenv(workflow.AllowlistEnv))
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return NewHandler(allow, ec2.NewFromConfig(awsCfg), logger), nil
}
