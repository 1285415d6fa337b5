// Command status is the Lambda behind GET /executions, GET and DELETE /executions/{executionArn}
// and GET /executions/{executionArn}/events: it serves every execution of the stack's state
// machines (STATE_MACHINES, one ARN pattern): it lists the STANDARD machines' executions,
// describes one (with an optional long poll) or stops it, and follows its progress.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/stepgate/stepgate/internal/app/awsclient"
	"github.com/stepgate/stepgate/internal/app/httpapi"
)

func main() { httpapi.Start(setup) }

// setup reads the stack's machine pattern and builds the Step Functions client, once per environment.
func setup(ctx context.Context, logger *slog.Logger) (*httpapi.Handler, error) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	client, err := awsclient.SFNFromEnv(ctx)
	if err != nil {
		return nil, err
	}
	return NewHandler(cfg, client, logger).Handler, nil
}
