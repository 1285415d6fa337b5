package sdktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/devtools/memnet"
)

// loadedConn plays a loaded machine's client side: each Write returns 10 ms after its bytes went out
// (the writeLoop descheduled after writing the body), and the response comes 4 KB a millisecond.
type loadedConn struct{ net.Conn }

func (c loadedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	time.Sleep(10 * time.Millisecond)
	return n, err
}

func (c loadedConn) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return c.Conn.Read(p[:min(len(p), 4096)])
}

// historyPage is a GetExecutionHistory answer of 1,000 events, as the local Step Functions serves
// one: large enough that reading it outlasts the writeLoop's pause.
func historyPage() string {
	events := make([]string, 1000)
	for i := range events {
		events[i] = fmt.Sprintf(`{"id":%d,"previousEventId":%d,"timestamp":1.7e9,"type":"PassStateEntered",`+
			`"stateEnteredEventDetails":{"name":"P","input":"{}","inputDetails":{"truncated":false}}}`, i+1, i)
	}
	return `{"events":[` + strings.Join(events, ",") + `]}`
}

// The race, on the bubble's clock: with the SDK's own body the connection is closed under the
// response; with HTTPClient's the page is read whole. If the first case ever stops failing, smithy-go
// or net/http has changed and HTTPClient may go.
func TestHTTPClientOwnsRequestBodies(t *testing.T) {
	page := historyPage()
	tests := []struct {
		name    string
		client  func(*http.Client) *http.Client
		wantErr error // io.ErrClosedPipe is a pipe's "use of closed network connection"
	}{
		{name: "the SDK's body", client: func(c *http.Client) *http.Client { return c }, wantErr: io.ErrClosedPipe},
		{name: "a body of the transport's own", client: HTTPClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ln := memnet.Listen()
				srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body) // the whole request first, as the local Step Functions reads it
					w.Header().Set("Content-Type", "application/x-amz-json-1.0")
					w.Header().Set("Content-Length", fmt.Sprint(len(page)))
					_, _ = w.Write([]byte(page))
				})}
				go func() { _ = srv.Serve(ln) }()
				transport := &http.Transport{DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
					c, err := ln.Dial(ctx, network, address)
					return loadedConn{c}, err
				}}
				defer func() {
					srv.Close()
					transport.CloseIdleConnections()
					time.Sleep(time.Second) // the bubble's: the transport's goroutines see the connection closed and end
				}()
				client := sfn.New(sfn.Options{
					Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1"),
					Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
					HTTPClient:       tt.client(&http.Client{Transport: transport}),
					RetryMaxAttempts: 1,
				})
				out, err := client.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{
					ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:M:e"), MaxResults: 1000})
				switch {
				case tt.wantErr == nil && (err != nil || len(out.Events) != 1000):
					t.Fatalf("got %v, want the 1,000 events", err)
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
			})
		})
	}
}
