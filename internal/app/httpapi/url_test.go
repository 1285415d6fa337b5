package httpapi

import "testing"

func TestBasePath(t *testing.T) {
	tests := []struct {
		path, resource, want string
	}{
		{"/Prod/standard-instance", "/standard-instance", "/Prod"},
		{"/standard-instance", "/standard-instance", ""},
		{"/v1/standard-instance/", "/standard-instance", "/v1"},
		{"/v1/instances/i-0123456789abcdef0", "/instances/{instance_id}", "/v1"},
		{"/instances/i-0123456789abcdef0", "/instances/{instance_id}", ""},
		{"/v1/executions", "/executions", "/v1"},
		{"ada", "/greet/{name}", ""},
		{"/v1/files/a/b/c", "/files/{path+}", ""},
	}
	for _, tc := range tests {
		if got := basePath(tc.path, tc.resource); got != tc.want {
			t.Errorf("basePath(%q, %q) = %q, want %q", tc.path, tc.resource, got, tc.want)
		}
	}
}
