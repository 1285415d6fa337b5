package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunRefuses(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("STEPGATE_API_KEY", "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no API", []string{"-instance", "i-0123456789abcdef0"}, "-api and -instance are required"},
		{"no instance", []string{"-api", "http://127.0.0.1:3000"}, "-api and -instance are required"},
		{"every interface", []string{"-addr", "0.0.0.0:3001", "-auth", "NONE", "-api", "http://127.0.0.1:3000", "-instance", "i-0123456789abcdef0"}, "not a loopback address"},
		{"API key missing", []string{"-addr", "127.0.0.1:0", "-auth", "API_KEY", "-api", "http://127.0.0.1:3000", "-instance", "i-0123456789abcdef0"}, "STEPGATE_API_KEY"},
		{"unknown auth", []string{"-addr", "127.0.0.1:0", "-auth", "OPEN", "-api", "http://127.0.0.1:3000", "-instance", "i-0123456789abcdef0"}, "auth mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
