// Command start is the Lambda behind every start route template.yaml declares in ROUTES
// (POST /express-instance, POST /standard-instance, GET /instances/{instance_id}): it builds and
// validates each route's execution input and starts the route's state machine synchronously or
// asynchronously. It knows no workflow; the routes are configuration (internal/app/route).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stepgate/stepgate/internal/app/awsclient"
	"github.com/stepgate/stepgate/internal/app/logging"
)

func main() {
	logger := logging.New(os.Stderr, os.Getenv(logging.EnvLevel))

	h, err := setup(context.Background(), logger)
	if err != nil {
		// Answering 500 on every request beats a crash loop: the cause is logged with each
		// request and callers get the documented error shape.
		logger.Error("configuration invalid; every request will answer 500 InternalError", "error", err)
		h = Misconfigured(err, logger)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, logger *slog.Logger) (*Handler, error) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return NewHandler(cfg, awsclient.NewSFN(awsCfg), logger), nil
}
