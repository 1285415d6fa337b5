package awsclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// recorder is a Step Functions JSON 1.0 endpoint that records each request's host and target.
type recorder struct {
	mu    sync.Mutex
	hosts []string
	ops   []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	r.mu.Lock()
	r.hosts, r.ops = append(r.hosts, req.Host), append(r.ops, op)
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch op {
	case "StartSyncExecution":
		_, _ = io.WriteString(w, `{"executionArn":"arn:aws:states:us-east-1:123456789012:express:M:n:r","startDate":1764063000.123,"stopDate":1764063001.0,"status":"SUCCEEDED","output":"{}"}`)
	case "StartExecution":
		_, _ = io.WriteString(w, `{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:M:n","startDate":1764063000.123}`)
	case "TestState":
		_, _ = io.WriteString(w, `{"status":"SUCCEEDED","output":"{}"}`)
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException"}`)
	}
}

func testConfig(t *testing.T) aws.Config {
	t.Helper()
	// Ignore any shared config on the machine; the endpoint comes from the test.
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	cfg, err := LoadConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCustomEndpointDisablesSyncPrefix(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, url string) *sfn.Client
	}{
		{"AWS_ENDPOINT_URL", func(t *testing.T, url string) *sfn.Client {
			t.Setenv("AWS_ENDPOINT_URL", url)
			return NewSFN(testConfig(t))
		}},
		{"AWS_ENDPOINT_URL_SFN", func(t *testing.T, url string) *sfn.Client {
			t.Setenv("AWS_ENDPOINT_URL_SFN", url)
			return NewSFN(testConfig(t))
		}},
		{"BaseEndpoint in config", func(t *testing.T, url string) *sfn.Client {
			cfg := testConfig(t)
			cfg.BaseEndpoint = aws.String(url)
			return NewSFN(cfg)
		}},
		{"BaseEndpoint in options", func(t *testing.T, url string) *sfn.Client {
			return NewSFN(testConfig(t), func(o *sfn.Options) { o.BaseEndpoint = aws.String(url) })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			client := tc.setup(t, srv.URL)
			ctx := context.Background()
			sync, err := client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
				StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express"), Input: aws.String("{}"),
			})
			if err != nil {
				t.Fatalf("StartSyncExecution: %v", err)
			}
			if sync.Status != "SUCCEEDED" {
				t.Errorf("status = %s", sync.Status)
			}
			if _, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard"), Input: aws.String("{}"),
			}); err != nil {
				t.Fatalf("StartExecution: %v", err)
			}
			// TestState has the same "sync-" endpoint trait as StartSyncExecution.
			if _, err := client.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`)}); err != nil {
				t.Fatalf("TestState: %v", err)
			}
			host := strings.TrimPrefix(srv.URL, "http://")
			want := []string{host, host, host}
			if strings.Join(rec.hosts, ",") != strings.Join(want, ",") || strings.Join(rec.ops, ",") != "StartSyncExecution,StartExecution,TestState" {
				t.Errorf("requests = %v %v, want both to %s", rec.ops, rec.hosts, host)
			}
		})
	}
}

// TestDefaultEndpointKeepsSyncPrefix: against AWS itself the prefix is required, so without a
// custom endpoint the middleware must not be installed.
// TestDefaultEndpointKeepsSyncPrefix runs as on AWS: the template declares AWS_ENDPOINT_URL empty
// (so that sam local invoke's --env-vars may set it), and an empty value is no custom endpoint.
func TestDefaultEndpointKeepsSyncPrefix(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_SFN", "")
	var sawHost string
	client := NewSFN(testConfig(t), func(o *sfn.Options) {
		o.HTTPClient = httpClientFunc(func(r *http.Request) (*http.Response, error) {
			sawHost = r.URL.Host
			return nil, context.Canceled
		})
		o.RetryMaxAttempts = 1
	})
	_, _ = client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express"),
	})
	if sawHost != "sync-states.us-east-1.amazonaws.com" {
		t.Errorf("host = %q, want the sync- prefixed AWS endpoint", sawHost)
	}
	sawHost = ""
	_, _ = client.TestState(context.Background(), &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`)})
	if sawHost != "sync-states.us-east-1.amazonaws.com" {
		t.Errorf("TestState host = %q, want the sync- prefixed AWS endpoint", sawHost)
	}
}

type httpClientFunc func(*http.Request) (*http.Response, error)

func (f httpClientFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }
