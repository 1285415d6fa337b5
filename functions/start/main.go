// Command start is the Lambda behind every start route the template declares in ROUTES (the API
// sends them all through its greedy /{proxy+} resource): it matches the request's method and path
// to a route, builds and validates the route's execution input, and starts the route's state
// machine synchronously or asynchronously. It knows no workflow; the routes are configuration
// (internal/app/route).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/stepgate/stepgate/internal/app/awsclient"
	"github.com/stepgate/stepgate/internal/app/httpapi"
)

func main() { httpapi.Start(setup) }

// setup reads the routes and builds the Step Functions client, once per environment.
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
