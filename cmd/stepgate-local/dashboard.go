package main

import (
	"context"
	"fmt"
	"io"

	"github.com/stepgate/stepgate/internal/devtools/dashboard"
	"github.com/stepgate/stepgate/internal/offline"
)

// startDashboard serves the dashboard in front of the stack's API. Locally the API enforces no
// auth, and the graph's definitions come straight from the local Step Functions.
func startDashboard(ctx context.Context, addr string, stack *offline.Stack, out io.Writer) error {
	url, _, err := dashboard.Serve(ctx, addr, dashboard.Config{
		APIURL:        stack.APIURL,
		Auth:          dashboard.AuthNone,
		InstanceID:    stack.InstanceIDs["ManagedInstance"],
		StateMachines: stack.SFN,
	})
	if err != nil {
		return fmt.Errorf("%w (-dashboard \"\" starts none)", err)
	}
	fmt.Fprintf(out, "Dashboard: %s\n\n", url)
	return nil
}
