package httpapi

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestBasePath(t *testing.T) {
	tests := []struct {
		path, resource, proxy, want string
	}{
		{"/Prod/standard-instance", "/standard-instance", "", "/Prod"},
		{"/standard-instance", "/standard-instance", "", ""},
		{"/v1/standard-instance/", "/standard-instance", "", "/v1"},
		{"/v1/instances/i-0123456789abcdef0", "/instances/{instance_id}", "", "/v1"},
		{"/instances/i-0123456789abcdef0", "/instances/{instance_id}", "", ""},
		{"/v1/executions", "/executions", "", "/v1"},
		{"ada", "/greet/{name}", "", ""},
		// The greedy resource every start route is served through: the proxy parameter says how
		// many segments it matched, whatever the stage or custom-domain base path before them.
		{"/v1/standard-instance", "/{proxy+}", "standard-instance", "/v1"},
		{"/v1/instances/i-0123456789abcdef0", "/{proxy+}", "instances/i-0123456789abcdef0", "/v1"},
		{"/api/v2/orders/o-1/", "/{proxy+}", "orders/o-1/", "/api/v2"},
		{"/orders", "/{proxy+}", "orders", ""},
		{"/v1/files/a/b/c", "/files/{path+}", "a/b/c", "/v1"},
		{"/v1", "/{proxy+}", "", "/v1"},
	}
	for _, tc := range tests {
		req := &events.APIGatewayProxyRequest{Resource: tc.resource, RequestContext: events.APIGatewayProxyRequestContext{Path: tc.path}}
		if tc.proxy != "" {
			req.PathParameters = map[string]string{"proxy": tc.proxy, "path": tc.proxy}
		}
		if got := basePath(req); got != tc.want {
			t.Errorf("basePath(%q, %q, proxy %q) = %q, want %q", tc.path, tc.resource, tc.proxy, got, tc.want)
		}
	}
}
