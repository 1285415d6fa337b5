package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/stepgate/stepgate/internal/clock"
)

// route is one of the stack's routes (docs/openapi.yaml): a method, a path pattern whose "{}"
// segments match one path parameter, and the query parameters the route takes.
type route struct {
	method   string
	segments []string
	query    []string
}

// routes is the fixed allowlist: nothing else reaches the API through the dashboard.
var routes = []route{
	{http.MethodPost, []string{"express-instance"}, nil},
	{http.MethodPost, []string{"standard-instance"}, nil},
	{http.MethodGet, []string{"executions"}, []string{"status", "limit", "next"}},
	{http.MethodGet, []string{"executions", "{}"}, []string{"wait"}},
	{http.MethodDelete, []string{"executions", "{}"}, nil},
	{http.MethodGet, []string{"executions", "{}", "events"}, []string{"after", "wait"}},
	{http.MethodGet, []string{"instances", "{}"}, nil},
}

// paramPattern is what a path parameter may hold, escaped or not: an execution ARN or an
// instance ID, never a path separator or a dot segment.
var paramPattern = regexp.MustCompile(`^[A-Za-z0-9:._%-]+$`)

// match reports whether method and the escaped path (without the /api prefix) name one of routes,
// and which query parameters it accepts.
func match(method, escapedPath string) (route, bool) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, rt := range routes {
		if rt.method != method || len(rt.segments) != len(segs) {
			continue
		}
		ok := true
		for i, want := range rt.segments {
			got := segs[i]
			if want == "{}" {
				dec, err := url.PathUnescape(got)
				ok = err == nil && paramPattern.MatchString(got) && dec != "." && dec != ".." && !strings.ContainsAny(dec, "/\\")
			} else {
				ok = got == want
			}
			if !ok {
				break
			}
		}
		if ok {
			return rt, true
		}
	}
	return route{}, false
}

// forwardedRequestHeaders are the only request headers the API sees from the page; cookies and
// everything else stay behind.
var forwardedRequestHeaders = []string{"Content-Type", "Accept", "Idempotency-Key"}

// forwardedResponseHeaders are the API's headers the page reads.
var forwardedResponseHeaders = []string{"Content-Type", "Location", "Retry-After", "X-Request-Id",
	"X-Execution-Arn", "X-Amzn-Requestid"}

// maxBody is above the API's own 256 KiB limit, so the API answers PayloadTooLarge itself.
const maxBody = 512 << 10

// forward sends an allowed call to the API, signed or keyed as the auth mode wants.
func (s *Server) forward(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api")
	rt, ok := match(r.Method, path)
	if !ok {
		s.refuse(w, r, http.StatusNotFound, "RouteNotAllowed",
			fmt.Sprintf("%s %s is not one of the stack's routes; the dashboard forwards only those.", r.Method, path))
		return
	}
	query := r.URL.Query()
	for name := range query {
		if !slices.Contains(rt.query, name) {
			s.refuse(w, r, http.StatusBadRequest, "InvalidRequest",
				fmt.Sprintf("Query parameter %q is not one this route takes.", name))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.refuse(w, r, http.StatusRequestEntityTooLarge, "PayloadTooLarge", "The request body is larger than the dashboard forwards.")
		return
	}
	target := *s.api
	target.RawPath = s.api.EscapedPath() + path
	target.Path, _ = url.PathUnescape(target.RawPath)
	target.RawQuery = query.Encode()
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, "InvalidRequest", "The request could not be forwarded.")
		return
	}
	for _, h := range forwardedRequestHeaders {
		if v := r.Header.Get(h); v != "" {
			out.Header.Set(h, v)
		}
	}
	if err := s.signer.sign(r.Context(), out, body); err != nil {
		s.log.Error("sign", "error", err)
		s.refuse(w, r, http.StatusInternalServerError, "SigningFailed",
			"The dashboard could not sign the call: check your AWS credentials (aws sts get-caller-identity).")
		return
	}
	resp, err := s.cfg.Client.Do(out)
	if err != nil {
		s.log.Error("forward", "method", r.Method, "path", path, "error", err)
		code, status := "ApiUnreachable", http.StatusBadGateway
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			code, status = "ApiTimeout", http.StatusGatewayTimeout
		}
		s.refuse(w, r, status, code, fmt.Sprintf("The stepgate API at %s did not answer; is it running?", s.api.Host))
		return
	}
	defer resp.Body.Close()
	for _, h := range forwardedResponseHeaders {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	// The API answers JSON; anything else is shown as text, never rendered as a page of our
	// origin (which holds the credentials).
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// requestSigner authenticates a forwarded call as the API's auth mode wants.
type requestSigner interface {
	sign(ctx context.Context, r *http.Request, body []byte) error
}

func newSigner(cfg Config, api *url.URL) (requestSigner, error) {
	switch cfg.Auth {
	case AuthNone:
		return noAuth{}, nil
	case AuthAPIKey:
		if cfg.APIKey == "" {
			return nil, errors.New("API_KEY auth needs the key's value (STEPGATE_API_KEY)")
		}
		return apiKey(cfg.APIKey), nil
	case AuthIAM:
		if cfg.Credentials == nil {
			return nil, errors.New("AWS_IAM auth needs AWS credentials")
		}
		region := cfg.Region
		if region == "" {
			region = RegionOf(api.String())
		}
		if region == "" {
			return nil, fmt.Errorf("AWS_IAM auth: no Region in %s; set -region", api.Host)
		}
		clk := cfg.Clock
		if clk == nil {
			clk = clock.Real{}
		}
		return &sigV4{creds: cfg.Credentials, region: region, clock: clk, signer: v4.NewSigner()}, nil
	default:
		return nil, fmt.Errorf("auth mode %q: want %s, %s or %s", cfg.Auth, AuthIAM, AuthAPIKey, AuthNone)
	}
}

// RegionOf reads the Region from an execute-api URL (https://ID.execute-api.REGION.amazonaws.com/…);
// "" for any other host.
func RegionOf(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	for i, p := range parts {
		if p == "execute-api" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return ""
}

type noAuth struct{}

func (noAuth) sign(context.Context, *http.Request, []byte) error { return nil }

type apiKey string

func (k apiKey) sign(_ context.Context, r *http.Request, _ []byte) error {
	r.Header.Set("x-api-key", string(k))
	return nil
}

// sigV4 signs for API Gateway (service execute-api) with the default credential chain's
// credentials, refreshed by the provider as they expire.
type sigV4 struct {
	creds  aws.CredentialsProvider
	region string
	clock  clock.Clock
	signer *v4.Signer
}

func (s *sigV4) sign(ctx context.Context, r *http.Request, body []byte) error {
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("retrieve credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	return s.signer.SignHTTP(ctx, creds, r, payload, "execute-api", s.region, s.clock.Now().UTC())
}
