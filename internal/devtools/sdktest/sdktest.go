// Package sdktest holds what tests need around the AWS SDK's clients that the SDK does not give
// them: an HTTP client that is safe with the SDK's retries switched off.
package sdktest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// HTTPClient returns a copy of c whose transport reads, for each request, a copy of the body that
// the transport alone owns.
//
// Why: smithy-go, the SDK's HTTP layer, closes a request's body as soon as the response's headers
// arrive, and once closed its body answers io.EOF from WriteTo. net/http's writeLoop, after writing
// a body of known length, probes it for bytes beyond that length (through WriteTo). When the
// writeLoop is descheduled between the two, as on a loaded machine, the probe meets the closed
// body, takes its io.EOF for an error and closes the connection while the response is still being
// read: "use of closed network connection" (seen reading 1,000-event history pages). The SDK's
// default retryer retries that error (aws-sdk-go-v2 issue 2737); a test client with retries
// switched off, so that every injected fault reaches the test, sees it. With a body of its own the
// transport never reads what the SDK closes.
func HTTPClient(c *http.Client) *http.Client {
	out := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out.Transport = ownBodies{base}
	return &out
}

type ownBodies struct{ base http.RoundTripper }

func (o ownBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return o.base.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the request body: %w", err)
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return o.base.RoundTrip(r)
}
