package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/app/awsclient"
)

// BenchmarkStartExpress measures the handler's own work per request (decode, validate,
// canonicalize, map, render, log) with a fake that answers at once.
func BenchmarkStartExpress(b *testing.B) {
	h := newTestHandler(b, succeeding())
	req := request(routeExpress, `{"instance_id":"i-0123456789abcdef0","action":"start"}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h.Handle(ctx, req); resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}

// BenchmarkStartStandard is the same for the standard route with an Idempotency-Key.
func BenchmarkStartStandard(b *testing.B) {
	h := newTestHandler(b, succeeding())
	req := withHeader(request(routeStandard, `{"instance_id":"i-0123456789abcdef0","action":"start"}`), "Idempotency-Key", "key-1")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h.Handle(ctx, req); resp.StatusCode != 202 {
			b.Fatal(resp.StatusCode)
		}
	}
}

// BenchmarkSDKStartSyncExecution is a bare SDK StartSyncExecution against a local httptest
// server: the cost the handler's own work is compared with (serialization, signing, loopback
// HTTP), without any network latency to AWS.
func BenchmarkSDKStartSyncExecution(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"executionArn":"arn:aws:states:us-east-1:123456789012:express:stepgate_Express:n:r","startDate":1764063000.123,"stopDate":1764063001.0,"status":"SUCCEEDED","output":"{}"}`)
	}))
	defer srv.Close()
	cfg, err := awsclient.LoadConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")))
	if err != nil {
		b.Fatal(err)
	}
	client := awsclient.NewSFN(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	in := &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(testExpressARN),
		Input:           aws.String(`{"action":"start","instance_id":"i-0123456789abcdef0"}`),
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.StartSyncExecution(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
