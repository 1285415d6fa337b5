// Package localapi is the API Gateway of the offline stack: a REST API with Lambda proxy
// integrations. Each HTTP request becomes the proxy event API Gateway sends (REST, payload format
// 1.0), the function's proxy response becomes the HTTP response, and what API Gateway answers by
// itself (unknown route or method, a function error or timeout, a request too large) comes back as
// the deployed API answers it, rendered through the template's gateway responses.
//
// Fidelity notes, from AWS's documentation and captures of REST APIs: `path` and `pathParameters`
// keep the client's percent-encoding (a REST API does not decode them; an HTTP API would), while
// query string parameters are decoded; an undefined method on a known resource answers 403
// MissingAuthenticationToken exactly as an unknown resource does; a function error or a malformed
// proxy response is a 502 of type DEFAULT_5XX with {"message": "Internal server error"}.
package localapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/account"
	"github.com/stepgate/stepgate/internal/offline/awsid"
)

// Route is one method on one resource of the REST API, integrated with one function.
type Route struct {
	Method   string // GET, POST, …, or ANY
	Path     string // the resource path, with {param} and a final {param+}: "/executions/{executionArn}"
	Function string // passed to Config.Invoke
}

// GatewayResponse customises one of API Gateway's own responses (AWS::ApiGateway::GatewayResponse,
// or an entry of an AWS::Serverless::Api's GatewayResponses).
type GatewayResponse struct {
	StatusCode int // 0 keeps the response type's own status
	// Headers maps a header name to a mapping expression: a quoted literal ("'value'") or
	// method.request.header.Name (querystring, path); see CheckGatewayResponse.
	Headers map[string]string
	// Templates maps a content type to a body template using $context variables.
	Templates map[string]string
}

// Config configures the API.
type Config struct {
	Routes []Route
	// GatewayResponses are keyed by response type (MISSING_AUTHENTICATION_TOKEN, DEFAULT_5XX, …).
	GatewayResponses map[string]GatewayResponse
	// Invoke calls a function synchronously. functionError is Lambda's X-Amz-Function-Error
	// ("" or "Unhandled"); err is for invocations Lambda rejects or that do not finish.
	Invoke             func(ctx context.Context, function string, event []byte) (payload []byte, functionError string, err error)
	Stage              string        // "Prod" when empty, as SAM names an implicit API's stage
	IntegrationTimeout time.Duration // 29 s when zero, API Gateway's default
	// BinaryMediaTypes are the API's binaryMediaTypes ("image/png", "*/*"); request bodies of these
	// types reach the function base64-encoded. Bodies that are not UTF-8 are always base64-encoded.
	BinaryMediaTypes []string
	AccountID        string // the local account (package account) when empty
	APIID            string // the apiId in the request context; "stepgate01" when empty
	// BodyTimeout bounds how long a request's body may take to arrive (a client that announces a
	// body and sends none is answered 408); 10 s when zero.
	BodyTimeout time.Duration
	Logger      *slog.Logger
	// LogPath turns a request's path into the one logged, hiding what is secret in it (a task
	// token); nil logs the path as sent.
	LogPath func(path string) string
}

// maxRequestBody is API Gateway's payload limit.
const maxRequestBody = 10 * 1024 * 1024

// API is the local REST API, an http.Handler. Listening on loopback only is the caller's job;
// serve it on Listener(ln) so that requests net/http cannot parse are answered in the API's shape.
type API struct {
	cfg    Config
	router *router
	logger *slog.Logger
	// stopping is cancelled by Stop: requests still waiting for their function answer 503.
	stopping context.Context
	stop     context.CancelFunc
}

// New returns the API.
func New(cfg Config) *API {
	if cfg.Stage == "" {
		cfg.Stage = "Prod"
	}
	if cfg.IntegrationTimeout <= 0 {
		cfg.IntegrationTimeout = 29 * time.Second
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = 10 * time.Second
	}
	if cfg.AccountID == "" {
		cfg.AccountID = account.ID
	}
	if cfg.APIID == "" {
		cfg.APIID = "stepgate01"
	}
	a := &API{cfg: cfg, router: newRouter(cfg.Routes), logger: cfg.Logger}
	a.stopping, a.stop = context.WithCancel(context.Background())
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	return a
}

// request is what one call carries through the handler.
type request struct {
	r                 *http.Request
	requestID         string
	extendedRequestID string
	start             time.Time
	resourcePath      string // the matched resource, "" when none matched
	executionParam    string // the executionArn path parameter, as sent
}

// Stop answers 503 to every request still waiting for its function, as a stopping service does,
// and to any that arrives later. The stack calls it when its shutdown drain runs out.
func (a *API) Stop() { a.stop() }

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{r: r, requestID: uuid.NewString(), extendedRequestID: newExtendedRequestID(), start: time.Now()}
	status, function := a.serve(w, req)
	path := r.URL.EscapedPath()
	if a.cfg.LogPath != nil {
		path = a.cfg.LogPath(path)
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", path),
		slog.String("resource", req.resourcePath),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(req.start)),
		slog.String("requestId", req.requestID),
		slog.String("function", function),
	}
	if arn := executionOf(w.Header(), req); arn != "" {
		attrs = append(attrs, slog.String("executionArn", arn))
	}
	a.logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// executionOf names the execution a request started or asked about, for the console: the
// X-Execution-Arn or Location header of the answer, else the executionArn path parameter.
func executionOf(h http.Header, req *request) string {
	if arn := h.Get("X-Execution-Arn"); arn != "" {
		return arn
	}
	candidates := []string{h.Get("Location")}
	if req.executionParam != "" {
		candidates = append(candidates, req.executionParam)
	}
	for _, c := range candidates {
		if i := strings.LastIndex(c, "/"); i >= 0 {
			c = c[i+1:]
		}
		if u, err := url.PathUnescape(c); err == nil && strings.HasPrefix(u, "arn:") {
			return u
		}
	}
	return ""
}

func (a *API) serve(w http.ResponseWriter, req *request) (status int, function string) {
	r := req.r
	// A deployed URL starts with the stage (every statusUrl does): it is taken off first, as on
	// AWS, so a greedy /{proxy+} does not swallow it; a path without it is accepted too.
	path := r.URL.EscapedPath()
	m, ok := match{}, false
	if stripped, staged := strings.CutPrefix(path, "/"+a.cfg.Stage); staged && strings.HasPrefix(stripped, "/") {
		if m, ok = a.router.match(r.Method, stripped); ok {
			path = stripped
		}
	}
	if !ok {
		m, ok = a.router.match(r.Method, path)
	}
	if !ok {
		return a.gatewayError(w, req, typeMissingAuthenticationToken, "Missing Authentication Token"), ""
	}
	req.resourcePath = m.route.Path
	req.executionParam = m.params["executionArn"]
	if a.stopping.Err() != nil {
		return a.gatewayErrorStatus(w, req, typeDefault5XX, http.StatusServiceUnavailable, "Service Unavailable"), m.route.Function
	}

	if r.ContentLength > maxRequestBody {
		return a.gatewayError(w, req, typeRequestTooLarge, "Request Too Long"), m.route.Function
	}
	// A client that announces a body (chunked, or a Content-Length) and does not send it is
	// answered when BodyTimeout passes, not when it gives up.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(a.cfg.BodyTimeout))
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return a.gatewayErrorStatus(w, req, typeDefault4XX, http.StatusRequestTimeout, "Request Timeout: the request body did not arrive in time"), m.route.Function
	}
	if err != nil {
		return a.gatewayError(w, req, typeDefault4XX, "Bad Request"), m.route.Function
	}
	if len(body) > maxRequestBody {
		return a.gatewayError(w, req, typeRequestTooLarge, "Request Too Long"), m.route.Function
	}

	event, err := json.Marshal(a.event(req, m, path, body))
	if err != nil {
		a.logger.Error("encode proxy event", "requestId", req.requestID, "error", err)
		return a.gatewayError(w, req, typeDefault5XX, "Internal server error"), m.route.Function
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.IntegrationTimeout)
	defer cancel()
	stopAfter := context.AfterFunc(a.stopping, cancel)
	defer stopAfter()
	payload, functionError, err := a.cfg.Invoke(ctx, m.route.Function, event)
	switch {
	case err != nil && a.stopping.Err() != nil && r.Context().Err() == nil:
		a.logger.Warn("the stack stopped before the function answered", "requestId", req.requestID, "function", m.route.Function)
		return a.gatewayErrorStatus(w, req, typeDefault5XX, http.StatusServiceUnavailable, "Service Unavailable"), m.route.Function
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil:
		a.logger.Warn("Execution failed due to a timeout error", "requestId", req.requestID, "function", m.route.Function)
		return a.gatewayError(w, req, typeIntegrationTimeout, "Endpoint request timed out"), m.route.Function
	case err != nil && r.Context().Err() != nil:
		// The client went away; there is nobody to answer.
		return 499, m.route.Function
	case err != nil:
		// Lambda rejected the invocation: API Gateway answers 500.
		a.logger.Error("Execution failed due to configuration error", "requestId", req.requestID, "function", m.route.Function, "error", err)
		return a.gatewayErrorStatus(w, req, typeDefault5XX, http.StatusInternalServerError, "Internal server error"), m.route.Function
	case functionError != "":
		a.logger.Error("Lambda execution failed with status 200 due to customer function error",
			"requestId", req.requestID, "function", m.route.Function, "error", string(payload))
		return a.gatewayErrorStatus(w, req, typeDefault5XX, http.StatusBadGateway, "Internal server error"), m.route.Function
	}
	resp, err := parseProxyResponse(payload)
	if err != nil {
		a.logger.Error("Execution failed due to configuration error: Malformed Lambda proxy response",
			"requestId", req.requestID, "function", m.route.Function, "error", err)
		return a.gatewayErrorStatus(w, req, typeDefault5XX, http.StatusBadGateway, "Internal server error"), m.route.Function
	}
	h := w.Header()
	for name, values := range resp.headers {
		h[http.CanonicalHeaderKey(name)] = values
	}
	a.addServiceHeaders(h, req)
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{"application/json"}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(resp.body))}
	w.WriteHeader(resp.statusCode)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.body)
	}
	return resp.statusCode, m.route.Function
}

// addServiceHeaders adds what API Gateway adds to every response.
func (a *API) addServiceHeaders(h http.Header, req *request) {
	h["X-Amzn-Requestid"] = []string{req.requestID}
	h["X-Amz-Apigw-Id"] = []string{req.extendedRequestID}
}

// ---- the proxy event ---------------------------------------------------------------------------

// proxyEvent is the REST API proxy event (payload format 1.0). Nil maps and pointers encode as
// null, as API Gateway sends them.
type proxyEvent struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  requestContext      `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type requestContext struct {
	ResourceID        string   `json:"resourceId"`
	ResourcePath      string   `json:"resourcePath"`
	HTTPMethod        string   `json:"httpMethod"`
	ExtendedRequestID string   `json:"extendedRequestId"`
	RequestTime       string   `json:"requestTime"`
	Path              string   `json:"path"`
	AccountID         string   `json:"accountId"`
	Protocol          string   `json:"protocol"`
	Stage             string   `json:"stage"`
	DomainPrefix      string   `json:"domainPrefix"`
	RequestTimeEpoch  int64    `json:"requestTimeEpoch"`
	RequestID         string   `json:"requestId"`
	Identity          identity `json:"identity"`
	DomainName        string   `json:"domainName"`
	APIID             string   `json:"apiId"`
}

type identity struct {
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	AccountID                     *string `json:"accountId"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	Caller                        *string `json:"caller"`
	SourceIP                      string  `json:"sourceIp"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	AccessKey                     *string `json:"accessKey"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	UserArn                       *string `json:"userArn"`
	UserAgent                     string  `json:"userAgent"`
	User                          *string `json:"user"`
}

func (a *API) event(req *request, m match, path string, body []byte) *proxyEvent {
	r := req.r
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	headers, multiHeaders := eventHeaders(r, sourceIP)
	query, multiQuery := parseQuery(r.URL.RawQuery)
	ev := &proxyEvent{
		Resource:                        m.route.Path,
		Path:                            path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multiHeaders,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  m.params,
		RequestContext: requestContext{
			ResourceID:        m.resourceID,
			ResourcePath:      m.route.Path,
			HTTPMethod:        r.Method,
			ExtendedRequestID: req.extendedRequestID,
			RequestTime:       req.start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			Path:              "/" + a.cfg.Stage + path,
			AccountID:         a.cfg.AccountID,
			Protocol:          r.Proto,
			Stage:             a.cfg.Stage,
			DomainPrefix:      domainPrefix(r.Host),
			RequestTimeEpoch:  req.start.UnixMilli(),
			RequestID:         req.requestID,
			Identity:          identity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
			DomainName:        r.Host,
			APIID:             a.cfg.APIID,
		},
	}
	if len(body) > 0 {
		var s string
		if a.isBinary(r.Header.Get("Content-Type")) || !utf8.Valid(body) {
			s = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		} else {
			s = string(body)
		}
		ev.Body = &s
	}
	return ev
}

// eventHeaders returns the request's headers as API Gateway passes them (headers holds the last
// value of a repeated header), plus the ones its front end adds.
func eventHeaders(r *http.Request, sourceIP string) (map[string]string, map[string][]string) {
	single := make(map[string]string, len(r.Header)+5)
	multi := make(map[string][]string, len(r.Header)+5)
	for name, values := range r.Header {
		// Hop-by-hop and length headers do not reach the function, as behind API Gateway.
		if len(values) == 0 || name == "Connection" || name == "Content-Length" {
			continue
		}
		single[name] = values[len(values)-1]
		multi[name] = values
	}
	add := func(name, value string) {
		single[name] = value
		multi[name] = []string{value}
	}
	if r.Host != "" {
		add("Host", r.Host)
	}
	xff := sourceIP
	if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
		xff = prior + ", " + sourceIP
	}
	add("X-Forwarded-For", xff)
	add("X-Forwarded-Proto", "http")
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		add("X-Forwarded-Port", port)
	} else {
		add("X-Forwarded-Port", "80")
	}
	add("X-Amzn-Trace-Id", "Root="+awsid.TraceID())
	return single, multi
}

// parseQuery decodes the query string as API Gateway does: values percent-decoded, repeated keys
// kept in order in the multi-value map and the last one in the single-value map, nil when empty.
func parseQuery(raw string) (map[string]string, map[string][]string) {
	if raw == "" {
		return nil, nil
	}
	single := map[string]string{}
	multi := map[string][]string{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		key, value, _ := strings.Cut(part, "=")
		key, value = queryUnescape(key), queryUnescape(value)
		single[key] = value
		multi[key] = append(multi[key], value)
	}
	if len(single) == 0 {
		return nil, nil
	}
	return single, multi
}

func queryUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	// A malformed escape reaches the function as sent rather than failing the request.
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (a *API) isBinary(contentType string) bool {
	if contentType == "" || len(a.cfg.BinaryMediaTypes) == 0 {
		return false
	}
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	for _, t := range a.cfg.BinaryMediaTypes {
		t = strings.ToLower(t)
		switch {
		case t == "*/*" || t == mediaType:
			return true
		case strings.HasSuffix(t, "/*") && strings.HasPrefix(mediaType, strings.TrimSuffix(t, "*")):
			return true
		}
	}
	return false
}

// domainPrefix is the first label of the host, as in requestContext.domainPrefix.
func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}

// ---- the proxy response ------------------------------------------------------------------------

type proxyResponse struct {
	statusCode int
	headers    map[string][]string
	body       []byte
}

// parseProxyResponse validates a function's answer the way API Gateway does: a JSON object with
// only statusCode, headers, multiValueHeaders, body and isBase64Encoded, each of its type.
func parseProxyResponse(payload []byte) (proxyResponse, error) {
	var raw struct {
		StatusCode        json.RawMessage            `json:"statusCode"`
		Headers           map[string]json.RawMessage `json:"headers"`
		MultiValueHeaders map[string]json.RawMessage `json:"multiValueHeaders"`
		Body              json.RawMessage            `json:"body"`
		IsBase64Encoded   json.RawMessage            `json:"isBase64Encoded"`
	}
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 || payload[0] != '{' {
		return proxyResponse{}, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return proxyResponse{}, fmt.Errorf("decode: %w", err)
	}
	out := proxyResponse{statusCode: http.StatusOK, headers: make(map[string][]string, len(raw.Headers)+len(raw.MultiValueHeaders))}
	if isPresent(raw.StatusCode) {
		code, err := parseStatusCode(raw.StatusCode)
		if err != nil {
			return proxyResponse{}, err
		}
		out.statusCode = code
	}
	// multiValueHeaders win over headers for the same name, as AWS documents.
	for name, v := range raw.MultiValueHeaders {
		if !isPresent(v) {
			continue
		}
		var values []json.RawMessage
		if err := json.Unmarshal(v, &values); err != nil {
			return proxyResponse{}, fmt.Errorf("multiValueHeaders.%s: not a list", name)
		}
		for _, value := range values {
			s, err := headerValue(value)
			if err != nil {
				return proxyResponse{}, fmt.Errorf("multiValueHeaders.%s: %w", name, err)
			}
			out.headers[name] = append(out.headers[name], s)
		}
	}
	for name, v := range raw.Headers {
		s, err := headerValue(v)
		if err != nil {
			return proxyResponse{}, fmt.Errorf("headers.%s: %w", name, err)
		}
		if _, ok := out.headers[name]; !ok {
			out.headers[name] = []string{s}
		}
	}
	var base64Body bool
	if isPresent(raw.IsBase64Encoded) {
		if err := json.Unmarshal(raw.IsBase64Encoded, &base64Body); err != nil {
			return proxyResponse{}, errors.New("isBase64Encoded: not a boolean")
		}
	}
	if isPresent(raw.Body) {
		var body string
		if err := json.Unmarshal(raw.Body, &body); err != nil {
			return proxyResponse{}, errors.New("body: not a string")
		}
		if base64Body {
			decoded, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				return proxyResponse{}, fmt.Errorf("body: invalid base64: %w", err)
			}
			out.body = decoded
		} else {
			out.body = []byte(body)
		}
	}
	return out, nil
}

func isPresent(v json.RawMessage) bool { return len(v) > 0 && string(v) != "null" }

func parseStatusCode(v json.RawMessage) (int, error) {
	s := string(v)
	if s[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, errors.New("statusCode: invalid")
		}
	}
	code, err := strconv.Atoi(s)
	if err != nil || code < 100 || code > 599 {
		return 0, fmt.Errorf("statusCode %s: not an HTTP status", v)
	}
	return code, nil
}

// headerValue accepts the header values API Gateway accepts: strings and booleans.
func headerValue(v json.RawMessage) (string, error) {
	switch s := string(v); s {
	case "true", "false":
		return s, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", errors.New("not a string")
	}
	return s, nil
}

// ---- identifiers -------------------------------------------------------------------------------

// newExtendedRequestID returns an ID in the form of API Gateway's extendedRequestId ("AbCdEfGhIjKlMnO=").
func newExtendedRequestID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])[:15] + "="
}
