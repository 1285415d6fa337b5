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

// allowedRoute is a route the proxy forwards: a method, a path template whose "{}" segments match
// one path parameter, and the query parameters the route takes.
type allowedRoute struct {
	method   string
	segments []string
	query    []string
}

// statusRoutes are the status function's generic routes (docs/openapi.yaml), which every stepgate
// stack serves whatever its workflows.
var statusRoutes = []allowedRoute{
	{http.MethodGet, []string{"executions"}, []string{"status", "limit", "next"}},
	{http.MethodGet, []string{"executions", "{}"}, []string{"wait"}},
	{http.MethodDelete, []string{"executions", "{}"}, nil},
	{http.MethodGet, []string{"executions", "{}", "events"}, []string{"after", "wait"}},
}

// allowlist is what the proxy forwards for st: the generic status routes and every route the
// stack declares (its path parameters, its declared query parameters), whatever its mode.
func allowlist(st Stack) ([]allowedRoute, error) {
	out := slices.Clone(statusRoutes)
	for _, d := range st.Routes {
		segs := strings.Split(strings.TrimPrefix(d.Path, "/"), "/")
		for i, seg := range segs {
			switch {
			case paramSegment.MatchString(seg):
				segs[i] = "{}"
			case seg == "" || strings.ContainsAny(seg, "{}"):
				return nil, fmt.Errorf("route %s %s: the dashboard forwards paths of literal segments and {parameters}", d.Method, d.Path)
			}
		}
		out = append(out, allowedRoute{method: d.Method, segments: segs, query: slices.Clone(d.Input.Query)})
	}
	return out, nil
}

// paramSegment is a path template's parameter segment, as the routes document allows it.
var paramSegment = regexp.MustCompile(`^\{[A-Za-z0-9_]+\}$`)

// paramPattern is what a path parameter may hold, escaped: RFC 3986's path characters (what
// encodeURIComponent leaves, percent escapes, and the sub-delimiters), never a separator.
var paramPattern = regexp.MustCompile(`^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$`)

// match reports whether method and the escaped path (without the /api prefix) name one of the
// allowed routes, and which query parameters it accepts. A parameter that decodes to a dot segment
// or holds a slash or backslash matches nothing. Where two routes match, the one with a literal
// segment at the first place they differ wins, as API Gateway and the start function choose.
func (s *Server) match(method, escapedPath string) (allowedRoute, bool) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	var best *allowedRoute
	for k := range s.routes {
		rt := &s.routes[k]
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
		if ok && (best == nil || moreLiteral(rt.segments, best.segments)) {
			best = rt
		}
	}
	if best == nil {
		return allowedRoute{}, false
	}
	return *best, true
}

// moreLiteral reports whether template a, at the first segment where one of a and b (of the same
// length) has a parameter and the other a literal, has the literal.
func moreLiteral(a, b []string) bool {
	for i := range a {
		if (a[i] == "{}") != (b[i] == "{}") {
			return b[i] == "{}"
		}
	}
	return false
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
	rt, ok := s.match(r.Method, path)
	if !ok {
		s.refuse(w, r, http.StatusNotFound, "RouteNotAllowed",
			fmt.Sprintf("%s %s is neither a route the stack declares nor a status route; the dashboard forwards only those.", r.Method, path))
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
	switch cfg.Stack.Auth {
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
		return nil, fmt.Errorf("auth mode %q: want %s, %s or %s", cfg.Stack.Auth, AuthIAM, AuthAPIKey, AuthNone)
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
