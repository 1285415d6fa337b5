package localapi

import (
	"strings"
	"testing"
)

// TestCheckGatewayResponse holds the offline gateway to what API Gateway accepts as a gateway
// response's header mapping: a template that maps context.requestId must fail here as the stack
// would fail at creation.
func TestCheckGatewayResponse(t *testing.T) {
	tests := []struct {
		expr    string
		wantErr bool
	}{
		{"'*'", false},
		{"method.request.header.Origin", false},
		{"method.request.querystring.callback", false},
		{"method.request.path.executionArn", false},
		{"context.requestId", true},
		{"context.error.responseType", true},
		{"stageVariables.name", true},
		{"'unterminated", true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			err := CheckGatewayResponse("DEFAULT_4XX", GatewayResponse{Headers: map[string]string{"X-Request-Id": tt.expr}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.expr) {
				t.Errorf("error %q does not name the expression", err)
			}
		})
	}
}
