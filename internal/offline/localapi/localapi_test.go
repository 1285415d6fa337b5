package localapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/memnet"
)

var testRoutes = []Route{
	{Method: "POST", Path: "/express-instance", Function: "StartFunction"},
	{Method: "POST", Path: "/standard-instance", Function: "StartFunction"},
	{Method: "GET", Path: "/executions/{executionArn}", Function: "StatusFunction"},
	{Method: "DELETE", Path: "/executions/{executionArn}", Function: "StatusFunction"},
	{Method: "GET", Path: "/executions/latest", Function: "LatestFunction"},
	{Method: "ANY", Path: "/files/{key+}", Function: "FilesFunction"},
}

// templateResponses are gateway responses in the shape template.yaml declares them.
var templateResponses = map[string]GatewayResponse{
	"MISSING_AUTHENTICATION_TOKEN": {
		StatusCode: 404,
		Headers:    map[string]string{"Access-Control-Allow-Origin": "'*'"},
		Templates:  map[string]string{"application/json": `{"error":"$context.error.responseType","message":$context.error.messageString,"requestId":"$context.requestId"}`},
	},
	"DEFAULT_5XX": {
		Templates: map[string]string{"application/json": `{"error":"$context.error.responseType","message":$context.error.messageString,"requestId":"$context.requestId"}`},
	},
}

// fakeLambda records the events it gets and answers with a canned result.
type fakeLambda struct {
	mu       sync.Mutex
	events   []map[string]any
	function string
	payload  string
	fnError  string
	err      error
	block    bool // wait for the context to end
}

func (f *fakeLambda) invoke(ctx context.Context, function string, event []byte) ([]byte, string, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, "", err
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.function = function
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return nil, "", ctx.Err()
	}
	return []byte(f.payload), f.fnError, f.err
}

func (f *fakeLambda) lastEvent(t *testing.T) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("the function was not invoked")
	}
	return f.events[len(f.events)-1]
}

const okResponse = `{"statusCode":201,"headers":{"Content-Type":"application/json","X-Execution-Arn":"arn:x"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"{\"ok\":true}","isBase64Encoded":false}`

// TestStagePrefixBeforeGreedyResource: a deployed URL's stage is taken off before the routes are
// matched, so a greedy /{proxy+} does not take /Prod/executions/… from the explicit resource.
func TestStagePrefixBeforeGreedyResource(t *testing.T) {
	routes := []Route{
		{Method: "ANY", Path: "/{proxy+}", Function: "StartFunction"},
		{Method: "GET", Path: "/executions/{executionArn}", Function: "StatusFunction"},
	}
	for target, want := range map[string]string{
		"/Prod/executions/arn%3Aaws": "StatusFunction",
		"/executions/arn%3Aaws":      "StatusFunction",
		"/Prod/orders/1":             "StartFunction",
		"/orders/1":                  "StartFunction",
		"/Production/executions/x":   "StartFunction",
		"/Prod":                      "StartFunction",
	} {
		f := &fakeLambda{payload: okResponse}
		api := New(Config{Routes: routes, Invoke: f.invoke, Stage: "Prod"})
		if rec := serve(api, "GET", target, nil, nil); rec.Code != 201 || f.function != want {
			t.Errorf("GET %s: %d from %q, want %s", target, rec.Code, f.function, want)
		}
	}
}

func newAPI(f *fakeLambda, responses map[string]GatewayResponse) http.Handler {
	return New(Config{Routes: testRoutes, GatewayResponses: responses, Invoke: f.invoke, Stage: "Prod",
		BinaryMediaTypes: []string{"application/octet-stream"}})
}

func serve(h http.Handler, method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestProxyEvent(t *testing.T) {
	const arn = "arn:aws:states:us-east-1:123456789012:execution:StandardStateMachine:abc"
	encodedARN := strings.ReplaceAll(arn, ":", "%3A")
	tests := []struct {
		name         string
		method       string
		target       string
		body         []byte
		header       http.Header
		wantFunction string
		want         map[string]any // top-level fields, compared as JSON
		wantContext  map[string]any // requestContext fields
	}{
		{
			name: "post with JSON body", method: "POST", target: "/express-instance",
			body:         []byte(`{"instance_id":"i-0123456789abcdef0"}`),
			header:       http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {"curl/8.0"}},
			wantFunction: "StartFunction",
			want: map[string]any{
				"resource": "/express-instance", "path": "/express-instance", "httpMethod": "POST",
				"body": `{"instance_id":"i-0123456789abcdef0"}`, "isBase64Encoded": false,
				"pathParameters": nil, "queryStringParameters": nil, "multiValueQueryStringParameters": nil,
				"stageVariables": nil,
			},
			wantContext: map[string]any{
				"resourcePath": "/express-instance", "path": "/Prod/express-instance", "stage": "Prod",
				"httpMethod": "POST", "accountId": "123456789012", "apiId": "stepgate01", "protocol": "HTTP/1.1",
			},
		},
		{
			name: "raw ARN path parameter and multi-value query", method: "GET",
			target: "/executions/" + arn + "?wait=5&tag=a&tag=b%20c", wantFunction: "StatusFunction",
			want: map[string]any{
				"resource": "/executions/{executionArn}", "path": "/executions/" + arn,
				"pathParameters":                  map[string]any{"executionArn": arn},
				"queryStringParameters":           map[string]any{"wait": "5", "tag": "b c"},
				"multiValueQueryStringParameters": map[string]any{"wait": []any{"5"}, "tag": []any{"a", "b c"}},
				"body":                            nil,
			},
			wantContext: map[string]any{"resourcePath": "/executions/{executionArn}", "path": "/Prod/executions/" + arn},
		},
		{
			// A REST API keeps the client's percent-encoding in path and pathParameters.
			name: "encoded ARN stays encoded", method: "DELETE", target: "/executions/" + encodedARN, wantFunction: "StatusFunction",
			want: map[string]any{
				"path": "/executions/" + encodedARN, "httpMethod": "DELETE",
				"pathParameters": map[string]any{"executionArn": encodedARN},
			},
		},
		{
			name: "literal resource wins over parameter", method: "GET", target: "/executions/latest", wantFunction: "LatestFunction",
			want: map[string]any{"resource": "/executions/latest", "pathParameters": nil},
		},
		{
			name: "greedy parameter with ANY", method: "PUT", target: "/files/a/b%2Fc.txt", wantFunction: "FilesFunction",
			want: map[string]any{"resource": "/files/{key+}", "pathParameters": map[string]any{"key": "a/b%2Fc.txt"}},
		},
		{
			name: "binary media type is base64", method: "POST", target: "/express-instance",
			body: []byte("plain"), header: http.Header{"Content-Type": {"application/octet-stream"}}, wantFunction: "StartFunction",
			want: map[string]any{"body": base64.StdEncoding.EncodeToString([]byte("plain")), "isBase64Encoded": true},
		},
		{
			name: "non UTF-8 body is base64", method: "POST", target: "/express-instance",
			body: []byte{0xff, 0xfe, 0x00}, wantFunction: "StartFunction",
			want: map[string]any{"body": base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0x00}), "isBase64Encoded": true},
		},
		{
			name: "deployed URL with stage prefix", method: "POST", target: "/Prod/standard-instance", wantFunction: "StartFunction",
			want:        map[string]any{"path": "/standard-instance", "resource": "/standard-instance"},
			wantContext: map[string]any{"path": "/Prod/standard-instance"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLambda{payload: okResponse}
			rec := serve(newAPI(f, nil), tt.method, tt.target, tt.body, tt.header)
			if rec.Code != 201 {
				t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
			}
			if f.function != tt.wantFunction {
				t.Errorf("function = %q, want %q", f.function, tt.wantFunction)
			}
			ev := f.lastEvent(t)
			for field, want := range tt.want {
				assertJSONEqual(t, field, ev[field], want)
			}
			rc, _ := ev["requestContext"].(map[string]any)
			for field, want := range tt.wantContext {
				assertJSONEqual(t, "requestContext."+field, rc[field], want)
			}
			if id, _ := rc["requestId"].(string); len(id) != 36 || rec.Header().Get("X-Amzn-RequestId") != id {
				t.Errorf("requestId = %q, x-amzn-RequestId = %q", id, rec.Header().Get("X-Amzn-RequestId"))
			}
			identity, _ := rc["identity"].(map[string]any)
			if identity["sourceIp"] != "192.0.2.1" || identity["userAgent"] != tt.header.Get("User-Agent") {
				t.Errorf("identity = %v", identity)
			}
			if _, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc["requestTime"].(string)); err != nil {
				t.Errorf("requestTime: %v", err)
			}
			headers, _ := ev["headers"].(map[string]any)
			if headers["X-Forwarded-For"] != "192.0.2.1" || headers["Host"] != "example.com" {
				t.Errorf("headers = %v", headers)
			}
		})
	}
}

func TestMultiValueHeadersInEvent(t *testing.T) {
	f := &fakeLambda{payload: okResponse}
	serve(newAPI(f, nil), "GET", "/executions/x", nil, http.Header{"Accept": {"text/plain", "application/json"}})
	ev := f.lastEvent(t)
	assertJSONEqual(t, "headers.Accept", ev["headers"].(map[string]any)["Accept"], "application/json")
	assertJSONEqual(t, "multiValueHeaders.Accept", ev["multiValueHeaders"].(map[string]any)["Accept"], []any{"text/plain", "application/json"})
}

func TestProxyResponse(t *testing.T) {
	tests := []struct {
		name       string
		payload    string
		wantStatus int
		wantBody   string
		wantHeader map[string][]string
	}{
		{name: "full response", payload: okResponse, wantStatus: 201, wantBody: `{"ok":true}`,
			wantHeader: map[string][]string{"Content-Type": {"application/json"}, "X-Execution-Arn": {"arn:x"}, "Set-Cookie": {"a=1", "b=2"}}},
		{name: "base64 body", payload: `{"statusCode":200,"headers":{"Content-Type":"application/octet-stream"},"body":"` +
			base64.StdEncoding.EncodeToString([]byte{1, 2, 3}) + `","isBase64Encoded":true}`, wantStatus: 200, wantBody: "\x01\x02\x03"},
		{name: "status as string, boolean header", payload: `{"statusCode":"202","headers":{"X-Flag":true}}`, wantStatus: 202,
			wantHeader: map[string][]string{"X-Flag": {"true"}, "Content-Type": {"application/json"}}},
		{name: "multiValueHeaders win", payload: `{"statusCode":200,"headers":{"X-A":"single"},"multiValueHeaders":{"X-A":["m1","m2"]}}`,
			wantStatus: 200, wantHeader: map[string][]string{"X-A": {"m1", "m2"}}},
		{name: "no status code means 200", payload: `{"body":"hi"}`, wantStatus: 200, wantBody: "hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(newAPI(&fakeLambda{payload: tt.payload}, nil), "POST", "/express-instance", []byte(`{}`), nil)
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			for name, want := range tt.wantHeader {
				if got := rec.Header()[name]; !equalStrings(got, want) {
					t.Errorf("header %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestGatewayErrors(t *testing.T) {
	type gatewayBody struct {
		Message   string `json:"message"`
		Error     string `json:"error"`
		RequestID string `json:"requestId"`
	}
	tests := []struct {
		name        string
		method      string
		target      string
		body        []byte
		fake        *fakeLambda
		responses   map[string]GatewayResponse
		timeout     time.Duration
		wantStatus  int
		wantBody    gatewayBody
		wantErrType string
		wantCORS    bool // the template's literal header mapping applied
	}{
		{name: "unknown path", method: "GET", target: "/nope", wantStatus: 403,
			wantBody: gatewayBody{Message: "Missing Authentication Token"}, wantErrType: "MissingAuthenticationTokenException"},
		{name: "known path, undefined method", method: "PATCH", target: "/express-instance", wantStatus: 403,
			wantBody: gatewayBody{Message: "Missing Authentication Token"}, wantErrType: "MissingAuthenticationTokenException"},
		{name: "empty path parameter", method: "GET", target: "/executions/", wantStatus: 403,
			wantBody: gatewayBody{Message: "Missing Authentication Token"}},
		{name: "function error", method: "POST", target: "/express-instance",
			fake:       &fakeLambda{payload: `{"errorMessage":"boom","errorType":"InstanceNotFound"}`, fnError: "Unhandled"},
			wantStatus: 502, wantBody: gatewayBody{Message: "Internal server error"}, wantErrType: "InternalServerErrorException"},
		{name: "malformed proxy response: unknown field", method: "POST", target: "/express-instance",
			fake: &fakeLambda{payload: `{"statusCode":200,"bodyy":"x"}`}, wantStatus: 502, wantBody: gatewayBody{Message: "Internal server error"}},
		{name: "malformed proxy response: body not a string", method: "POST", target: "/express-instance",
			fake: &fakeLambda{payload: `{"statusCode":200,"body":{"a":1}}`}, wantStatus: 502, wantBody: gatewayBody{Message: "Internal server error"}},
		{name: "malformed proxy response: not an object", method: "POST", target: "/express-instance",
			fake: &fakeLambda{payload: `"hello"`}, wantStatus: 502, wantBody: gatewayBody{Message: "Internal server error"}},
		{name: "malformed proxy response: number header", method: "POST", target: "/express-instance",
			fake: &fakeLambda{payload: `{"headers":{"X":1}}`}, wantStatus: 502, wantBody: gatewayBody{Message: "Internal server error"}},
		{name: "invocation rejected", method: "POST", target: "/express-instance",
			fake: &fakeLambda{err: errors.New("function not found")}, wantStatus: 500, wantBody: gatewayBody{Message: "Internal server error"}},
		{name: "integration timeout", method: "POST", target: "/express-instance", fake: &fakeLambda{block: true},
			timeout: time.Millisecond, wantStatus: 504, wantBody: gatewayBody{Message: "Endpoint request timed out"}},
		{name: "template: missing token with status and headers", method: "DELETE", target: "/nowhere", responses: templateResponses,
			wantStatus: 404, wantBody: gatewayBody{Error: "MISSING_AUTHENTICATION_TOKEN", Message: "Missing Authentication Token"}, wantCORS: true},
		{name: "template: function error through DEFAULT_5XX keeps 502", method: "POST", target: "/express-instance",
			responses: templateResponses, fake: &fakeLambda{payload: `{}`, fnError: "Unhandled"},
			wantStatus: 502, wantBody: gatewayBody{Error: "DEFAULT_5XX", Message: "Internal server error"}},
		{name: "template: timeout falls back to DEFAULT_5XX", method: "POST", target: "/express-instance", responses: templateResponses,
			fake: &fakeLambda{block: true}, timeout: time.Millisecond,
			wantStatus: 504, wantBody: gatewayBody{Error: "INTEGRATION_TIMEOUT", Message: "Endpoint request timed out"}},
		{name: "template: 4xx does not fall back to DEFAULT_5XX", method: "GET", target: "/nope",
			responses:  map[string]GatewayResponse{"DEFAULT_5XX": templateResponses["DEFAULT_5XX"]},
			wantStatus: 403, wantBody: gatewayBody{Message: "Missing Authentication Token"}},
		{name: "request too large", method: "POST", target: "/express-instance", body: make([]byte, maxRequestBody+1),
			wantStatus: 413, wantBody: gatewayBody{Message: "Request Too Long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fake
			if f == nil {
				f = &fakeLambda{}
			}
			h := New(Config{Routes: testRoutes, GatewayResponses: tt.responses, Invoke: f.invoke, IntegrationTimeout: tt.timeout})
			rec := serve(h, tt.method, tt.target, tt.body, nil)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			var got gatewayBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			reqID := rec.Header().Get("X-Amzn-RequestId")
			if tt.wantBody.Error != "" {
				tt.wantBody.RequestID = reqID
			}
			if got != tt.wantBody {
				t.Errorf("body = %+v, want %+v", got, tt.wantBody)
			}
			if tt.wantErrType != "" && rec.Header().Get("X-Amzn-ErrorType") != tt.wantErrType {
				t.Errorf("x-amzn-ErrorType = %q, want %q", rec.Header().Get("X-Amzn-ErrorType"), tt.wantErrType)
			}
			// The request ID reaches the client in API Gateway's own header (and, through a
			// template, in the body), never in a mapped X-Request-Id.
			if len(reqID) != 36 || rec.Header().Get("X-Request-Id") != "" {
				t.Errorf("x-amzn-RequestId = %q, X-Request-Id = %q; want a request ID and no X-Request-Id", reqID, rec.Header().Get("X-Request-Id"))
			}
			if tt.wantCORS != (rec.Header().Get("Access-Control-Allow-Origin") == "*") {
				t.Errorf("Access-Control-Allow-Origin = %q, want the literal mapped: %v", rec.Header().Get("Access-Control-Allow-Origin"), tt.wantCORS)
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestRenderTemplate(t *testing.T) {
	req := &request{r: httptest.NewRequest("GET", "/x", nil), requestID: "rid", extendedRequestID: "ext=", resourcePath: "/x"}
	vars := contextVars{req: req, responseType: "DEFAULT_5XX", message: `say "hi"`}
	tests := []struct{ tmpl, want string }{
		{`{"message":$context.error.messageString}`, `{"message":"say \"hi\""}`},
		{`$context.error.message`, `say "hi"`},
		{`${context.requestId}-${context.error.responseType}`, `rid-DEFAULT_5XX`},
		{`$context.requestId.`, `rid.`},
		{`$context.unknown|$!context.unknown|$!{context.extendedRequestId}`, `$context.unknown||ext=`},
		{`cost: $5 and ${other}`, `cost: $5 and ${other}`},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			if got := renderTemplate(tt.tmpl, vars); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogsOneLinePerRequest(t *testing.T) {
	var buf syncWriter
	h := New(Config{Routes: testRoutes, Invoke: (&fakeLambda{payload: okResponse}).invoke, Logger: newJSONLogger(&buf)})
	rec := serve(h, "POST", "/express-instance", []byte(`{}`), nil)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", buf.Bytes(), err)
	}
	want := map[string]any{"method": "POST", "path": "/express-instance", "status": float64(201),
		"requestId": rec.Header().Get("X-Amzn-RequestId"), "function": "StartFunction"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Error("log line has no duration")
	}
}

func BenchmarkRequest(b *testing.B) {
	invoke := func(context.Context, string, []byte) ([]byte, string, error) { return []byte(okResponse), "", nil }
	h := New(Config{Routes: testRoutes, Invoke: invoke})
	body := []byte(`{"instance_id":"i-0123456789abcdef0","action":"toggle"}`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/express-instance?x=1", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 201 {
			b.Fatal(rec.Code)
		}
	}
}

func assertJSONEqual(t *testing.T, field string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s = %s, want %s", field, g, w)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

func newJSONLogger(w *syncWriter) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// A client that announces a body and never sends it is answered 408 when BodyTimeout passes, not
// when it gives up. The API is served in a synctest bubble over an in-memory network, so "when
// BodyTimeout passes" is exact.
func TestBodyTimeout(t *testing.T) {
	tests := []struct{ name, request string }{
		{"a chunked body that never comes", "POST /express-instance HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"a Content-Length body that never comes", "POST /express-instance HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const timeout = 300 * time.Millisecond
				f := &fakeLambda{payload: okResponse}
				api := New(Config{Routes: testRoutes, Invoke: f.invoke, BodyTimeout: timeout})
				ln := memnet.Listen()
				srv := &http.Server{Handler: api}
				go func() { _ = srv.Serve(api.Listener(ln)) }()
				defer srv.Close()

				conn, err := ln.Dial(context.Background(), "tcp", "")
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				began := time.Now()
				if _, err := io.WriteString(conn, tt.request); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusRequestTimeout || time.Since(began) != timeout {
					t.Errorf("%s after %s, want 408 after the %s body timeout", resp.Status, time.Since(began), timeout)
				}
				if len(f.events) != 0 {
					t.Errorf("the function was invoked: %v", f.events)
				}
			})
		})
	}
}
