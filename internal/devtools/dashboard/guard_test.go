package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/internal/app/route"
)

const (
	testAddr     = "127.0.0.1:3001"
	testInstance = "i-0123456789abcdef0"
	testMachine  = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard"
)

// fakeDescriber answers DescribeStateMachine for one ARN, and GetExecutionHistory with a canned
// history, two events a page (so that the reader must follow NextToken).
type fakeDescriber struct {
	definition string
	err        error
	history    []sfntypes.HistoryEvent
}

func (f fakeDescriber) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	from := 0
	if in.NextToken != nil {
		from, _ = strconv.Atoi(aws.ToString(in.NextToken))
	}
	to := min(from+2, len(f.history))
	out := &sfn.GetExecutionHistoryOutput{Events: f.history[from:to]}
	if to < len(f.history) {
		out.NextToken = aws.String(strconv.Itoa(to))
	}
	return out, nil
}

func (f fakeDescriber) DescribeStateMachine(_ context.Context, in *sfn.DescribeStateMachineInput, _ ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.StateMachineArn) != testMachine {
		return nil, &smithy.GenericAPIError{Code: "StateMachineDoesNotExist", Message: "no such machine"}
	}
	return &sfn.DescribeStateMachineOutput{StateMachineArn: in.StateMachineArn, Name: aws.String("stepgate_Standard"),
		Type: sfntypes.StateMachineTypeStandard, Definition: aws.String(f.definition)}, nil
}

// upstream records what reached the API.
type upstream struct {
	mu   sync.Mutex
	reqs []*http.Request
	srv  *httptest.Server
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		u.mu.Lock()
		u.reqs = append(u.reqs, r)
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		w.Header().Set("Set-Cookie", "session=secret")
		w.Header().Set("Location", "https://api.example/executions/x")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) last(t *testing.T) *http.Request {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatal("nothing reached the API")
	}
	return u.reqs[len(u.reqs)-1]
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

// newTestServer serves the sample stack (its routes and machines) with cfg's API URL and auth.
func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	sample := sampleStack(t, cfg.Stack.APIURL)
	cfg.Stack.Routes, cfg.Stack.StateMachines = sample.Routes, sample.StateMachines
	return newServer(t, cfg)
}

// newServer serves cfg.Stack, with no auth unless cfg says otherwise.
func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Stack.Auth == "" {
		cfg.Stack.Auth = AuthNone
	}
	if cfg.StepFunctions == nil {
		cfg.StepFunctions = fakeDescriber{definition: `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`}
	}
	s, err := New(testAddr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request as a browser on the dashboard's page would (Chromium marks the page's own
// calls Sec-Fetch-Site: same-origin), changed by mutate.
func do(s *Server, method, target, body string, mutate func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://"+testAddr+target, strings.NewReader(body))
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if mutate != nil {
		mutate(r)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func expectRefusal(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
	}
	if w.Code != status || body["error"] != code || body["message"] == "" || body["requestId"] == "" {
		t.Fatalf("got %d %s, want %d %s with a message and a requestId", w.Code, w.Body.String(), status, code)
	}
}

func TestRefusesOtherHostsAndOrigins(t *testing.T) {
	up := newUpstream(t)
	s := newTestServer(t, Config{Stack: Stack{APIURL: up.srv.URL}})
	tests := []struct {
		name   string
		mutate func(*http.Request)
		code   string
	}{
		{"DNS rebinding: another name for 127.0.0.1", func(r *http.Request) { r.Host = "attacker.example:3001" }, "HostNotAllowed"},
		{"right name, wrong port", func(r *http.Request) { r.Host = "127.0.0.1:3002" }, "HostNotAllowed"},
		{"no port", func(r *http.Request) { r.Host = "127.0.0.1" }, "HostNotAllowed"},
		{"empty host", func(r *http.Request) { r.Host = "" }, "HostNotAllowed"},
		{"another site's page", func(r *http.Request) { r.Header.Set("Origin", "https://attacker.example") }, "OriginNotAllowed"},
		{"another local port's page", func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:8080") }, "OriginNotAllowed"},
		{"a sandboxed frame", func(r *http.Request) { r.Header.Set("Origin", "null") }, "OriginNotAllowed"},
		{"https on our port", func(r *http.Request) { r.Header.Set("Origin", "https://127.0.0.1:3001") }, "OriginNotAllowed"},
		{"cross-site fetch metadata", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, "OriginNotAllowed"},
		{"same-site, other origin", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }, "OriginNotAllowed"},
		{"another site's frame or script claiming navigation", func(r *http.Request) {
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Sec-Fetch-Mode", "navigate")
			r.Header.Set("Sec-Fetch-Dest", "iframe")
		}, "OriginNotAllowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range []string{"/api/executions", "/", "/dashboard/stack"} {
				w := do(s, http.MethodGet, target, "", tt.mutate)
				expectRefusal(t, w, http.StatusForbidden, tt.code)
			}
			w := do(s, http.MethodPost, "/api/standard-instance", `{"instance_id":"`+testInstance+`"}`, tt.mutate)
			expectRefusal(t, w, http.StatusForbidden, tt.code)
		})
	}
	if n := up.count(); n != 0 {
		t.Fatalf("%d refused requests reached the API", n)
	}

	accepted := []func(*http.Request){
		nil, // Sec-Fetch-Site: same-origin, as do sends it
		func(r *http.Request) { r.Host = "localhost:3001" },
		func(r *http.Request) { r.Header.Del("Sec-Fetch-Site"); r.Header.Set("Origin", "http://127.0.0.1:3001") },
		func(r *http.Request) {
			r.Header.Del("Sec-Fetch-Site")
			r.Header.Set("Origin", "http://localhost:3001")
			r.Host = "localhost:3001"
		},
		func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:3001") },
	}
	// A link on another site opens the page (only the page: its calls come from its own origin).
	link := func(r *http.Request) {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Sec-Fetch-Mode", "navigate")
		r.Header.Set("Sec-Fetch-Dest", "document")
	}
	if w := do(s, http.MethodGet, "/", "", link); w.Code != http.StatusOK {
		t.Errorf("a link from another site to the page: %d", w.Code)
	}
	for _, target := range []string{"/api/executions", "/dashboard/stack"} {
		expectRefusal(t, do(s, http.MethodGet, target, "", link), http.StatusForbidden, "OriginNotAllowed")
	}
	for i, m := range accepted {
		if w := do(s, http.MethodGet, "/api/executions", "", m); w.Code != http.StatusAccepted {
			t.Errorf("accepted case %d: got %d %s", i, w.Code, w.Body.String())
		}
	}
}

func TestForwardsOnlyTheStacksRoutes(t *testing.T) {
	up := newUpstream(t)
	s := newTestServer(t, Config{Stack: Stack{APIURL: up.srv.URL + "/Prod"}})
	arn := "arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Astepgate_Standard%3Aabc"
	allowed := []struct{ method, target, upstreamPath string }{
		{"POST", "/api/express-instance", "/Prod/express-instance"},
		{"POST", "/api/standard-instance", "/Prod/standard-instance"},
		{"GET", "/api/executions?limit=5&status=RUNNING", "/Prod/executions?limit=5&status=RUNNING"},
		{"GET", "/api/executions/" + arn + "?wait=20", "/Prod/executions/" + arn + "?wait=20"},
		{"DELETE", "/api/executions/" + arn, "/Prod/executions/" + arn},
		{"GET", "/api/executions/" + arn + "/events?after=7&wait=20", "/Prod/executions/" + arn + "/events?after=7&wait=20"},
		{"GET", "/api/instances/" + testInstance, "/Prod/instances/" + testInstance},
	}
	for _, tt := range allowed {
		t.Run("allowed "+tt.method+" "+tt.target, func(t *testing.T) {
			w := do(s, tt.method, tt.target, `{}`, nil)
			if w.Code != http.StatusAccepted {
				t.Fatalf("got %d %s", w.Code, w.Body.String())
			}
			got := up.last(t)
			if got.Method != tt.method || got.RequestURI != tt.upstreamPath {
				t.Fatalf("API got %s %s, want %s %s", got.Method, got.RequestURI, tt.method, tt.upstreamPath)
			}
		})
	}
	refused := []struct{ method, target, code string }{
		{"GET", "/api/express-instance", "RouteNotAllowed"},
		{"PUT", "/api/standard-instance", "RouteNotAllowed"},
		{"POST", "/api/executions", "RouteNotAllowed"},
		{"GET", "/api/executions/" + arn + "/history", "RouteNotAllowed"},
		{"GET", "/api/executions/" + arn + "/events/x", "RouteNotAllowed"},
		{"GET", "/api/instances/..%2F..%2Fadmin", "RouteNotAllowed"},
		{"GET", "/api/instances/%2E%2E", "RouteNotAllowed"},
		{"GET", "/api/instances/a%2Fb", "RouteNotAllowed"},
		{"GET", "/api/instances/", "RouteNotAllowed"},
		{"GET", "/api/", "RouteNotAllowed"},
		{"GET", "/api/restapis", "RouteNotAllowed"},
		{"DELETE", "/api/instances/" + testInstance, "RouteNotAllowed"},
		{"GET", "/api/executions?admin=1", "InvalidRequest"},
		{"GET", "/api/executions/" + arn + "?after=1", "InvalidRequest"},
	}
	before := up.count()
	for _, tt := range refused {
		t.Run("refused "+tt.method+" "+tt.target, func(t *testing.T) {
			w := do(s, tt.method, tt.target, "", nil)
			status := http.StatusNotFound
			if tt.code == "InvalidRequest" {
				status = http.StatusBadRequest
			}
			expectRefusal(t, w, status, tt.code)
		})
	}
	if n := up.count() - before; n != 0 {
		t.Fatalf("%d refused requests reached the API", n)
	}
}

// TestForwardsTheDeclaredRoutes: a stack's own routes reach its API through the dashboard with
// nothing but their declaration (the README's workflows, the third workflow's path and query
// parameters); a route the stack does not declare is refused before the API sees it.
func TestForwardsTheDeclaredRoutes(t *testing.T) {
	up := newUpstream(t)
	stacks := map[string]Stack{
		"sample":          sampleStack(t, up.srv.URL),
		"README workflow": localStack(t, readmeTemplate(t), up.srv.URL),
		"third workflow":  localStack(t, filepath.Join(repoRoot, "internal", "offline", "testdata", "third-workflow.yaml"), up.srv.URL),
		"overlapping": {APIURL: up.srv.URL, Routes: []route.Description{
			{Method: "GET", Path: "/orders/{order_id}"},
			{Method: "GET", Path: "/orders/latest", Input: route.Inputs{Query: []string{"n"}}},
		}},
	}
	tests := []struct {
		stack, method, target string
		forwarded             bool
	}{
		{"README workflow", "POST", "/api/quotes", true},
		{"README workflow", "POST", "/api/reports", true},
		{"README workflow", "GET", "/api/quotes", false},
		{"README workflow", "POST", "/api/orders", false},
		{"sample", "POST", "/api/quotes", false},
		{"third workflow", "GET", "/api/greetings/ada?lang=fr", true},
		{"third workflow", "GET", "/api/greetings/J%C3%BCrgen%20M.", true},
		{"third workflow", "GET", "/api/greetings/ada?name=x", false},
		{"third workflow", "POST", "/api/greetings", true},
		{"third workflow", "GET", "/api/greetings/ada/more", false},
		{"third workflow", "GET", "/api/executions?limit=3", true},
		// The literal segment wins, as in API Gateway and the start function.
		{"overlapping", "GET", "/api/orders/latest?n=2", true},
		{"overlapping", "GET", "/api/orders/o-1", true},
		{"overlapping", "GET", "/api/orders/o-1?n=2", false},
	}
	for _, tt := range tests {
		t.Run(tt.stack+" "+tt.method+" "+tt.target, func(t *testing.T) {
			s := newServer(t, Config{Stack: stacks[tt.stack]})
			before := up.count()
			w := do(s, tt.method, tt.target, `{}`, nil)
			if tt.forwarded {
				if w.Code != http.StatusAccepted || up.last(t).RequestURI != strings.TrimPrefix(tt.target, "/api") {
					t.Fatalf("got %d %s", w.Code, w.Body.String())
				}
				return
			}
			if w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest || up.count() != before {
				t.Fatalf("got %d %s; %d calls reached the API", w.Code, w.Body.String(), up.count()-before)
			}
		})
	}
}

func TestForwardsOnlyTheHeadersTheAPIReads(t *testing.T) {
	up := newUpstream(t)
	s := newTestServer(t, Config{Stack: Stack{APIURL: up.srv.URL}})
	w := do(s, "POST", "/api/standard-instance", `{"instance_id":"`+testInstance+`"}`, func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "k-1")
		r.Header.Set("Cookie", "dashboard=1")
		r.Header.Set("Authorization", "Bearer from-the-page")
		r.Header.Set("X-Api-Key", "from-the-page")
	})
	if w.Code != http.StatusAccepted || w.Body.String() != `{"ok":true}` {
		t.Fatalf("got %d %s", w.Code, w.Body.String())
	}
	got := up.last(t)
	if got.Header.Get("Idempotency-Key") != "k-1" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("API did not get the page's Idempotency-Key and Content-Type: %v", got.Header)
	}
	for _, h := range []string{"Cookie", "Authorization", "X-Api-Key", "Origin"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("API got %s: %q from the page", h, v)
		}
	}
	if w.Header().Get("Set-Cookie") != "" {
		t.Errorf("the API's Set-Cookie reached the page")
	}
	if w.Header().Get("X-Request-Id") != "req-1" || w.Header().Get("Location") == "" {
		t.Errorf("the page lost the API's X-Request-Id or Location: %v", w.Header())
	}
}

func TestAPIPagesAreNotRendered(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<script>alert(1)</script>")
	}))
	defer api.Close()
	s := newTestServer(t, Config{Stack: Stack{APIURL: api.URL}})
	w := do(s, "GET", "/api/executions", "", nil)
	if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("an HTML answer of the API reached the page as %q", ct)
	}
}

func TestAPIKeyMode(t *testing.T) {
	up := newUpstream(t)
	s := newTestServer(t, Config{Stack: Stack{APIURL: up.srv.URL, Auth: AuthAPIKey}, APIKey: "the-key"})
	if w := do(s, "GET", "/api/executions", "", nil); w.Code != http.StatusAccepted {
		t.Fatalf("got %d %s", w.Code, w.Body.String())
	}
	if got := up.last(t).Header.Get("X-Api-Key"); got != "the-key" {
		t.Fatalf("x-api-key = %q", got)
	}
	if _, err := New(testAddr, Config{Stack: Stack{APIURL: up.srv.URL, Auth: AuthAPIKey}, StepFunctions: fakeDescriber{}}); err == nil {
		t.Fatal("API_KEY without a key was accepted")
	}
}

func TestAPIDownIsShownAsSuch(t *testing.T) {
	up := newUpstream(t)
	up.srv.Close()
	s := newTestServer(t, Config{Stack: Stack{APIURL: up.srv.URL}})
	expectRefusal(t, do(s, "GET", "/api/executions", "", nil), http.StatusBadGateway, "ApiUnreachable")
}

func TestNewRefuses(t *testing.T) {
	ok := Config{Stack: sampleStack(t, "http://127.0.0.1:3000"), StepFunctions: fakeDescriber{}}
	tests := []struct {
		name   string
		addr   string
		mutate func(*Config)
	}{
		{"every interface", "0.0.0.0:3001", nil},
		{"a LAN address", "192.168.1.10:3001", nil},
		{"no port", "127.0.0.1", nil},
		{"unknown auth", testAddr, func(c *Config) { c.Stack.Auth = "OPEN" }},
		{"IAM without credentials", testAddr, func(c *Config) { c.Stack.Auth = AuthIAM; c.Region = "us-east-1" }},
		{"API URL not http", testAddr, func(c *Config) { c.Stack.APIURL = "ftp://x" }},
		{"no Step Functions client", testAddr, func(c *Config) { c.StepFunctions = nil }},
		{"a route path the proxy cannot match", testAddr, func(c *Config) {
			c.Stack.Routes = append(slices.Clone(c.Stack.Routes), route.Description{Method: "GET", Path: "/a/{b+}"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			if tt.mutate != nil {
				tt.mutate(&cfg)
			}
			if _, err := New(tt.addr, cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, _, err := Serve(context.Background(), "0.0.0.0:0", ok); err == nil {
		t.Fatal("Serve listened on every interface")
	}
}

func TestStateMachineDefinition(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`
	s := newTestServer(t, Config{Stack: Stack{APIURL: "http://127.0.0.1:1"}, StepFunctions: fakeDescriber{definition: def}})
	w := do(s, "GET", "/dashboard/state-machine?arn="+testMachine, "", nil)
	var got struct {
		Name       string          `json:"name"`
		Definition json.RawMessage `json:"definition"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 || got.Name != "stepgate_Standard" || string(got.Definition) != def {
		t.Fatalf("got %d %s", w.Code, w.Body.String())
	}
	expectRefusal(t, do(s, "GET", "/dashboard/state-machine?arn=arn:aws:states:us-east-1:123456789012:execution:A:b", "", nil),
		http.StatusBadRequest, "InvalidStateMachineArn")
	w = do(s, "GET", "/dashboard/state-machine?arn=arn:aws:states:us-east-1:123456789012:stateMachine:Other", "", nil)
	expectRefusal(t, w, http.StatusBadGateway, "DescribeStateMachineFailed")
	if !strings.Contains(w.Body.String(), "StateMachineDoesNotExist") {
		t.Errorf("the refusal does not name Step Functions' error: %s", w.Body.String())
	}
}

func TestServesThePage(t *testing.T) {
	s := newTestServer(t, Config{Stack: Stack{APIURL: "http://127.0.0.1:1"}})
	for _, p := range []string{"/", "/app.js", "/app.css"} {
		w := do(s, "GET", p, "", nil)
		if w.Code != 200 || w.Body.Len() < 500 {
			t.Errorf("%s: %d, %d bytes", p, w.Code, w.Body.Len())
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
	if w := do(s, "GET", "/web/app.js", "", nil); w.Code != http.StatusNotFound {
		t.Errorf("/web/app.js: %d", w.Code)
	}
	w := do(s, "GET", "/dashboard/stack", "", nil)
	want, _ := json.Marshal(sampleStack(t, "http://127.0.0.1:1"))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != string(want) {
		t.Errorf("the stack document: %d %s, want %s", w.Code, w.Body.String(), want)
	}
}

// TestKnowsNoWorkflow: the page and the server name no workflow, route or machine of the sample;
// what they show of it comes from the stack's description.
func TestKnowsNoWorkflow(t *testing.T) {
	files, err := filepath.Glob("web/*")
	if err != nil {
		t.Fatal(err)
	}
	code, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range code {
		if !strings.HasSuffix(f, "_test.go") {
			files = append(files, f)
		}
	}
	sample := regexp.MustCompile(`(?i)instance|ec2|express-|standard-|(express|standard)statemachine`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := sample.FindString(line); m != "" {
				t.Errorf("%s:%d names %q: %s", f, i+1, m, strings.TrimSpace(line))
			}
		}
	}
	if len(files) < 6 {
		t.Fatalf("read %v; expected the page and the server", files)
	}
}

// Only the page's own calls reach the API and Step Functions: a request without the page's mark
// (Sec-Fetch-Site: same-origin, or the dashboard's Origin) is refused there, whatever else it
// gets right; the page and its files are served to it.
func TestRefusesCallsNotFromThePage(t *testing.T) {
	up := newUpstream(t)
	s := newTestServer(t, Config{Stack: Stack{APIURL: up.srv.URL}})
	tests := []struct {
		name   string
		mutate func(*http.Request)
	}{
		{"neither Origin nor Sec-Fetch-Site (curl, a script)", func(r *http.Request) { r.Header.Del("Sec-Fetch-Site") }},
		{"typed into the address bar", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "none") }},
		{"an unknown Sec-Fetch-Site", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-origin, none") }},
		{"an empty Origin", func(r *http.Request) { r.Header.Del("Sec-Fetch-Site"); r.Header.Set("Origin", "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, call := range []struct{ method, target string }{
				{http.MethodGet, "/api/executions"},
				{http.MethodPost, "/api/standard-instance"},
				{http.MethodGet, "/dashboard/stack"},
				{http.MethodGet, "/dashboard/state-machine?arn=" + testMachine},
			} {
				w := do(s, call.method, call.target, `{"instance_id":"`+testInstance+`"}`, tt.mutate)
				expectRefusal(t, w, http.StatusForbidden, "OriginNotAllowed")
				if !strings.Contains(w.Body.String(), "Sec-Fetch-Site: same-origin") {
					t.Errorf("%s %s: the refusal does not say what is missing: %s", call.method, call.target, w.Body.String())
				}
			}
			for _, p := range pageFiles {
				for _, method := range []string{http.MethodGet, http.MethodHead} {
					if w := do(s, method, p, "", tt.mutate); w.Code != http.StatusOK {
						t.Errorf("the page file %s %s: %d %s", method, p, w.Code, w.Body.String())
					}
				}
			}
		})
	}
	if n := up.count(); n != 0 {
		t.Fatalf("%d refused requests reached the API", n)
	}
}

// A busy or non-loopback address fails at Listen, before anything is served.
func TestListenRefuses(t *testing.T) {
	held, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, tt := range []struct{ addr, want string }{
		{held.Addr().String(), "already in use"},
		{"0.0.0.0:0", "not a loopback address"},
		{"192.168.1.10:3001", "not a loopback address"},
		{"127.0.0.1", "dashboard address"},
	} {
		ln, err := Listen(tt.addr)
		if err == nil {
			ln.Close()
			t.Errorf("Listen(%q) succeeded", tt.addr)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Listen(%q): %v, want it to say %q", tt.addr, err, tt.want)
		}
	}
}
