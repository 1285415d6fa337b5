// Package dashboard serves stepgate's dashboard: a static page (embedded HTML, CSS and JavaScript)
// that shows the stack at work, and a loopback proxy that forwards the page's calls to a stepgate
// API — make local's, or a deployed stack's, signed with SigV4 (AWS_IAM) or carrying x-api-key
// (API_KEY), as kubectl proxy does. Because it holds the user's credentials it refuses to be
// anyone's deputy: it answers only requests addressed to its own loopback host, from its own origin,
// and forwards only the stack's routes.
package dashboard

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepgate/stepgate/internal/clock"
)

// The API's auth modes (template.yaml's AuthMode parameter).
const (
	AuthNone   = "NONE"
	AuthIAM    = "AWS_IAM"
	AuthAPIKey = "API_KEY"
)

//go:embed web
var webFS embed.FS

// stateMachineDescriber is what the page's graph needs from Step Functions: the definition of the
// state machine an execution runs. *sfn.Client (the user's credentials) and the offline stack's
// local Step Functions both satisfy it.
type stateMachineDescriber interface {
	DescribeStateMachine(ctx context.Context, in *sfn.DescribeStateMachineInput, optFns ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error)
}

var _ stateMachineDescriber = (*sfn.Client)(nil)

// Config configures a Server.
type Config struct {
	// APIURL is the stepgate API's base URL, stage included (the stack's ApiUrl output).
	APIURL string
	// Auth is AuthNone, AuthIAM or AuthAPIKey.
	Auth string
	// APIKey is sent as x-api-key when Auth is AuthAPIKey.
	APIKey string
	// Credentials sign each call when Auth is AuthIAM; Region is the API's Region (taken from an
	// execute-api host name when empty).
	Credentials aws.CredentialsProvider
	Region      string
	// InstanceID is the managed instance the page shows and acts on.
	InstanceID string
	// StateMachines answers DescribeStateMachine for the graph.
	StateMachines stateMachineDescriber
	// Client sends the forwarded calls; a client with a 40 s timeout when nil (longer than the
	// API's 29 s, so the API's own timeout answer reaches the page).
	Client *http.Client
	// Log receives one line per refused or failed call; discarded when nil.
	Log *slog.Logger
	// Clock is the signing clock; the real one when nil.
	Clock clock.Clock
}

// Server is the dashboard's HTTP handler. It must be served on the address given to New.
type Server struct {
	cfg      Config
	api      *url.URL
	hosts    map[string]bool // accepted Host header values
	origins  map[string]bool // accepted Origin header values
	signer   requestSigner
	static   http.Handler
	mux      *http.ServeMux
	log      *slog.Logger
	listenOn string
}

// New checks cfg and builds the handler for a server listening on addr (host:port, loopback).
func New(addr string, cfg Config) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard address %q: %w", addr, err)
	}
	if !Loopback(host) {
		return nil, fmt.Errorf("dashboard address %q is not a loopback address: the dashboard forwards with your credentials and listens on loopback only", addr)
	}
	if port == "0" {
		return nil, fmt.Errorf("dashboard address %q: listen first and pass the bound address", addr)
	}
	api, err := url.Parse(strings.TrimSuffix(cfg.APIURL, "/"))
	if err != nil || (api.Scheme != "http" && api.Scheme != "https") || api.Host == "" || api.RawQuery != "" {
		return nil, fmt.Errorf("API URL %q: want http(s)://host[/stage]", cfg.APIURL)
	}
	if cfg.InstanceID == "" {
		return nil, errors.New("no instance ID: the page shows and acts on one managed instance")
	}
	if cfg.StateMachines == nil {
		return nil, errors.New("no Step Functions client to describe state machines with")
	}
	signer, err := newSigner(cfg, api)
	if err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 40 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	web, err := fs.Sub(webFS, "web")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		api:      api,
		signer:   signer,
		static:   http.FileServerFS(web),
		log:      cfg.Log,
		listenOn: addr,
		hosts:    map[string]bool{},
		origins:  map[string]bool{},
	}
	// The address itself, and localhost when it is the IPv4 or IPv6 loopback: the names a person
	// types. Never a name an attacker's DNS could point here.
	names := []string{host}
	if host == "127.0.0.1" || host == "::1" {
		names = append(names, "localhost")
	}
	for _, n := range names {
		hp := net.JoinHostPort(n, port)
		s.hosts[hp] = true
		s.origins["http://"+hp] = true
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /dashboard/config", s.serveConfig)
	s.mux.HandleFunc("GET /dashboard/state-machine", s.serveStateMachine)
	s.mux.HandleFunc("/api/", s.forward)
	s.mux.HandleFunc("GET /{$}", s.serveStatic)
	s.mux.HandleFunc("GET /app.js", s.serveStatic)
	s.mux.HandleFunc("GET /app.css", s.serveStatic)
	return s, nil
}

// Loopback reports whether host (no port) is a loopback name or address.
func Loopback(host string) bool {
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ServeHTTP refuses requests not addressed to this server or coming from another site, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends
	// Host: evil.example.
	if !s.hosts[r.Host] {
		s.refuse(w, r, http.StatusForbidden, "HostNotAllowed",
			fmt.Sprintf("The dashboard answers only requests addressed to http://%s/.", s.listenOn))
		return
	}
	// Cross-site requests: browsers send Origin on every cross-origin request and on same-origin
	// POSTs; another site's page never gets our origin.
	if o := r.Header.Get("Origin"); o != "" && !s.origins[o] {
		s.refuse(w, r, http.StatusForbidden, "OriginNotAllowed",
			"The dashboard answers only its own page; requests from other sites are refused.")
		return
	}
	// A link from elsewhere may open the page itself (a top-level GET of /, which reads nothing);
	// no other request from another site is answered.
	linkToPage := r.Method == http.MethodGet && r.URL.Path == "/" &&
		r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
	if site := r.Header.Get("Sec-Fetch-Site"); (site == "cross-site" || site == "same-site") && !linkToPage {
		s.refuse(w, r, http.StatusForbidden, "OriginNotAllowed",
			"The dashboard answers only its own page; requests from other sites are refused.")
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	s.static.ServeHTTP(w, r)
}

// serveConfig tells the page what it is looking at.
func (s *Server) serveConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"api":        s.api.String(),
		"auth":       s.cfg.Auth,
		"instanceId": s.cfg.InstanceID,
	})
}

// refuse answers with the API's error shape, so the page shows the proxy's refusals as it shows
// the API's errors.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	id := requestID()
	s.log.Warn("refused", "method", r.Method, "path", r.URL.Path, "host", r.Host, "origin", r.Header.Get("Origin"),
		"status", status, "error", code, "requestId", id)
	w.Header().Set("X-Request-Id", id)
	writeJSON(w, status, map[string]string{"error": code, "message": message, "requestId": id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// requestID names one of the dashboard's own answers in its log.
func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "dashboard-" + hex.EncodeToString(b[:])
}

// Serve listens on addr (loopback; port 0 picks a free one) and serves the dashboard until ctx is
// done. It returns the page's URL once the listener accepts connections, and a channel closed when
// the server has stopped.
func Serve(ctx context.Context, addr string, cfg Config) (string, <-chan struct{}, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("dashboard address %q: %w", addr, err)
	}
	if !Loopback(host) {
		return "", nil, fmt.Errorf("dashboard address %q is not a loopback address: the dashboard forwards with your credentials and listens on loopback only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("dashboard: %w", err)
	}
	h, err := New(ln.Addr().String(), cfg)
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("dashboard stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	return "http://" + ln.Addr().String() + "/", done, nil
}
