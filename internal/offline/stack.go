// Package offline assembles the offline stack from template.yaml: a local EC2 holding the
// template's instances, the template's functions as real bootstrap binaries on a local Lambda
// runtime, the template's state machines on the local Step Functions engine, and the template's API
// routes on a local API Gateway. `make local`, `make invoke` and the end-to-end tests all start it
// here, so there is one offline stack.
package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/stepgate/stepgate/internal/clock"
	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
	"github.com/stepgate/stepgate/internal/offline/account"
	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/localapi"
	"github.com/stepgate/stepgate/internal/offline/localec2"
	"github.com/stepgate/stepgate/internal/offline/locallambda"
	"github.com/stepgate/stepgate/internal/offline/localsfn"
	"github.com/stepgate/stepgate/internal/offline/mockconfig"
)

// The local region and account, as package account holds them, for this package's callers.
const (
	Region    = account.Region
	AccountID = account.ID
)

// Default addresses: `sam local start-api`'s and LocalStack's ports, so that the URLs people know
// from those tools work here (run one of them at a time, or move ours with -api-addr/-aws-addr).
const (
	DefaultAPIAddr = "127.0.0.1:3000"
	DefaultAWSAddr = "127.0.0.1:4566"
)

// HealthPath is the identity route of the AWS endpoint: it tells a stepgate offline stack from
// whatever else may answer on a port (make invoke and the load run check it before using one).
const HealthPath = "/_stepgate/health"

// Health is HealthPath's answer.
type Health struct {
	Service          string            `json:"service"` // always "stepgate-offline"
	PID              int               `json:"pid"`
	APIURL           string            `json:"apiUrl"`
	AWSURL           string            `json:"awsUrl"`
	StageName        string            `json:"stage"`
	InstanceIDs      map[string]string `json:"instances"`
	StateMachineARNs map[string]string `json:"stateMachines"`
	Routes           []DeclaredRoute   `json:"routes,omitempty"`
}

// HealthService is Health.Service of every stepgate offline stack.
const HealthService = "stepgate-offline"

// Config configures a Stack. Zero values take the defaults noted.
type Config struct {
	Template string // path of template.yaml
	BuildDir string // holds <LogicalId>/bootstrap built for this machine
	APIAddr  string // the API; DefaultAPIAddr when empty, port 0 picks a free one
	AWSAddr  string // the Step Functions + EC2 endpoint; DefaultAWSAddr when empty
	// Parameters overrides the template's parameters.
	Parameters map[string]string
	// TimeScale > 1 runs the workflows' time (Wait states, retry intervals, state machine and task
	// timeouts) that many times faster; 1 is real time.
	TimeScale float64
	// Clock, when set, is the workflows' clock instead (TimeScale is then unused): a test moves
	// time itself, so that a HeartbeatSeconds or TimeoutSeconds expires when it says.
	Clock clock.Clock
	// TransitionDelay is how long EC2's pending and stopping states last.
	TransitionDelay time.Duration
	// Faults makes the local Step Functions fail a share of API calls.
	Faults localsfn.Faults
	// EnvVars overrides functions' environment variables as `sam local --env-vars` does: keyed by
	// logical ID, or "Parameters" for every function.
	EnvVars map[string]map[string]string
	// MaxEnvironments caps each function's warm environments; 0 takes locallambda's default.
	MaxEnvironments int
	// Log receives the console: requests, execution state changes, the functions' warnings.
	// Nil discards it.
	Log io.Writer
	// LogLevel is the console's level; slog.LevelInfo when zero. At slog.LevelDebug (-v) the
	// console also shows every AWS API call, every state and the functions' own log lines.
	LogLevel slog.Level
	// LogFormat is "text" (for people; the default) or "json" (one JSON object a line).
	LogFormat string
	// Routes reads the template's routes documents (the start function's ROUTES) as the function
	// will: Start then refuses a malformed document (the error names the route), a route an
	// explicit API resource shadows and one no operation reaches, and the banner and the health
	// route list the routes. This package may not import internal/app, whose parser it is, so the
	// caller passes it (cmd/stepgate-local does); nil checks and lists nothing.
	Routes RouteReader
	// DrainTimeout bounds how long Close lets requests in flight finish before answering them 503;
	// 5 s when zero.
	DrainTimeout time.Duration
	// BodyTimeout bounds how long the API waits for a request's body; 10 s when zero.
	BodyTimeout time.Duration
	// MockConfig is AWS's Step Functions Local mock configuration (a MockConfigFile.json, what
	// SFN_MOCK_CONFIG names for Step Functions Local); empty: none. StartExecution on
	// "<stateMachineArn>#<TestCaseName>" runs one of its test cases.
	MockConfig string
	// OnExecutionEvent, when set, sees every history event of every execution as the engine
	// appends it, after the console (tests wait on it rather than poll). It runs while the engine
	// holds the execution's history lock: it must not block or call back into the stack.
	OnExecutionEvent func(executionARN string, ev asl.HistoryEvent)
	// MockTestCases chooses the test case of the executions that name none, by state machine
	// name (stepgate_Order → HappyPath): those the HTTP routes start, which cannot add
	// "#<TestCaseName>". Each must be in MockConfig.
	MockTestCases map[string]string
}

// Stack is a running offline stack.
type Stack struct {
	APIURL string // http://127.0.0.1:3000
	AWSURL string // http://127.0.0.1:4566
	// StageName is the API's stage, the first segment of requestContext.path as on AWS.
	StageName string
	// InstanceIDs maps the template's EC2 instances to their local IDs.
	InstanceIDs map[string]string
	// StateMachineARNs maps the template's state machines to their local ARNs.
	StateMachineARNs map[string]string
	// Routes are the routes the template declares (Config.Routes), sorted by path and method.
	Routes []DeclaredRoute

	EC2    *localec2.EC2
	SFN    *localsfn.Service
	Lambda *locallambda.Runtime
	api    *localapi.API

	// integrations is the one registry of the local services that Task states and the AWS
	// endpoint reach (services.go).
	integrations []integration
	// mocks is Config.MockConfig (mockFile), parsed; mockDefaults is Config.MockTestCases
	// (mocks.go).
	mocks        *mockconfig.Config
	mockFile     string
	mockDefaults map[string]string

	apiServer, awsServer *http.Server
	wg                   sync.WaitGroup
	log                  *slog.Logger
	console              *console
	drain                time.Duration
	timeScale            float64
}

// setup is what the service starters share while a stack starts.
type setup struct {
	cfg     Config
	tmpl    *samtemplate.Template
	names   *names
	console *console
}

// Start loads the template and starts every local service. It returns once both listeners accept
// connections; a port in use is an error that says which.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	cfg = withDefaults(cfg)
	con, err := newConsole(cfg.Log, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, err
	}
	tmpl, names, err := LoadTemplate(cfg.Template, cfg.Parameters)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", cfg.Template, err)
	}
	st := &setup{cfg: cfg, tmpl: tmpl, names: names, console: con}
	routes, err := st.declaredRoutes()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Template, err)
	}
	awsLn, err := listen(cfg.AWSAddr, "AWS endpoint")
	if err != nil {
		return nil, err
	}
	apiLn, err := listen(cfg.APIAddr, "API")
	if err != nil {
		awsLn.Close()
		return nil, err
	}
	s := &Stack{
		APIURL:           "http://" + apiLn.Addr().String(),
		AWSURL:           "http://" + awsLn.Addr().String(),
		InstanceIDs:      map[string]string{},
		StateMachineARNs: map[string]string{},
		Routes:           routes,
		log:              con.logger,
		console:          con,
		drain:            cfg.DrainTimeout,
		timeScale:        cfg.TimeScale,
	}
	// Each service needs the ones before it: functions reach EC2 and Step Functions through the
	// endpoint, state machines run Tasks on the functions and EC2, the API invokes the functions.
	for _, start := range []func(context.Context, *setup) error{s.startEC2, s.startLambda, s.startStepFunctions, s.startAPI} {
		if err := start(ctx, st); err != nil {
			awsLn.Close()
			apiLn.Close()
			s.closeServices(context.Background())
			return nil, err
		}
	}
	s.awsServer = s.serve(awsLn, s.awsEndpoint())
	s.apiServer = s.serve(s.api.Listener(apiLn), s.api)
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.APIAddr == "" {
		cfg.APIAddr = DefaultAPIAddr
	}
	if cfg.AWSAddr == "" {
		cfg.AWSAddr = DefaultAWSAddr
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = 10 * time.Second
	}
	return cfg
}

// LambdaEnv is what the offline stack adds to every function's environment: the endpoint that
// stands in for AWS, and credentials the SDK accepts (nothing checks them).
func LambdaEnv(awsURL string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      awsURL,
		"AWS_ACCESS_KEY_ID":     "local",
		"AWS_SECRET_ACCESS_KEY": "local",
		"AWS_SESSION_TOKEN":     "local",
	}
}

// Health describes this stack, as HealthPath answers.
func (s *Stack) Health() Health {
	return Health{Service: HealthService, PID: os.Getpid(), APIURL: s.APIURL, AWSURL: s.AWSURL, StageName: s.StageName,
		InstanceIDs: s.InstanceIDs, StateMachineARNs: s.StateMachineARNs, Routes: s.Routes}
}

// awsEndpoint serves every registered service on one port, as one AWS endpoint URL, plus the
// stack's identity route.
func (s *Stack) awsEndpoint() http.Handler {
	health, _ := json.Marshal(s.Health())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == HealthPath {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(health)
			return
		}
		for _, in := range s.integrations {
			if in.handler != nil && in.accepts(r) {
				in.handler.ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, "no local service accepts this request", http.StatusNotFound)
	})
}

// serve runs one HTTP server with read and idle timeouts: a client that stalls while sending its
// headers or body, or leaves a connection idle, does not hold it forever. There is no write
// timeout: long polls and synchronous executions answer after up to half a minute by design.
func (s *Stack) serve(ln net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
	return srv
}

// Close stops the stack as a stopping AWS region would treat its clients: the API takes no new
// requests and lets those in flight finish for up to the drain timeout (the AWS endpoint and the
// functions keep serving them meanwhile); whatever is still running then is answered 503 in the
// API's error shape. Then the AWS endpoint, the executions and every function environment stop.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	if s.apiServer != nil {
		drain, cancel := context.WithTimeout(ctx, s.drain)
		err := s.apiServer.Shutdown(drain)
		cancel()
		if err != nil {
			// Requests still in flight: answer them 503 and give them a moment to be written.
			s.api.Stop()
			final, cancel := context.WithTimeout(ctx, time.Second)
			if err := s.apiServer.Shutdown(final); err != nil {
				errs = append(errs, err)
				s.apiServer.Close()
			}
			cancel()
		}
	}
	if s.awsServer != nil {
		if err := s.awsServer.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			s.awsServer.Close()
		}
	}
	s.wg.Wait()
	errs = append(errs, s.closeServices(ctx))
	return errors.Join(errs...)
}

func (s *Stack) closeServices(ctx context.Context) error {
	if s.EC2 != nil {
		s.EC2.Close()
	}
	if s.SFN != nil {
		s.SFN.Close()
	}
	if s.Lambda != nil {
		return s.Lambda.Close(ctx)
	}
	return nil
}

func listen(addr, what string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s: %s is already in use (another `make local`, `sam local start-api` or LocalStack?): stop what holds it or choose another address (-api-addr, -aws-addr)", what, addr)
		}
		return nil, fmt.Errorf("%s: listen on %s: %w", what, addr, err)
	}
	return ln, nil
}

// SyncWriter serialises writes to w from many goroutines (the console is shared by the services,
// the functions' output and, in make invoke, the emulator's). A writer that is already a
// SyncWriter's is returned as it is.
func SyncWriter(w io.Writer) io.Writer {
	if lw, ok := w.(*lockedWriter); ok {
		return lw
	}
	return &lockedWriter{w: w}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
