package main

import (
	"context"
	"net"

	"github.com/stepgate/stepgate/internal/devtools/dashboard"
	"github.com/stepgate/stepgate/internal/offline"
)

// startDashboard serves the dashboard on ln in front of the stack's API and returns its URL.
// Locally the API enforces no auth, and the graph's definitions come straight from the local
// Step Functions.
func startDashboard(ctx context.Context, ln net.Listener, stack *offline.Stack) (string, error) {
	url, _, err := dashboard.ServeOn(ctx, ln, dashboard.Config{
		APIURL:        stack.APIURL,
		Auth:          dashboard.AuthNone,
		InstanceID:    stack.InstanceIDs["ManagedInstance"],
		StateMachines: stack.SFN,
	})
	return url, err
}
