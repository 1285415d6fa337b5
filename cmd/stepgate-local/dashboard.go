package main

import (
	"context"
	"net"

	"github.com/stepgate/stepgate/internal/devtools/dashboard"
	"github.com/stepgate/stepgate/internal/offline"
)

// startDashboard serves the dashboard on ln in front of the stack's API and returns its URL. The
// page shows the stack as it runs (its declared routes and machines); locally the API enforces no
// auth, and the graph's definitions come straight from the local Step Functions.
func startDashboard(ctx context.Context, ln net.Listener, stack *offline.Stack) (string, error) {
	st, err := dashboard.FromOffline(stack)
	if err != nil {
		return "", err
	}
	url, _, err := dashboard.ServeOn(ctx, ln, dashboard.Config{Stack: st, StepFunctions: stack.SFN})
	return url, err
}
