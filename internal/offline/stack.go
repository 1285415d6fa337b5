// Package offline assembles the offline stack from template.yaml: a local EC2 holding the
// template's instances, the template's functions as real bootstrap binaries on a local Lambda
// runtime, the template's state machines on the local Step Functions engine, and the template's API
// routes on a local API Gateway. `make local`, `make invoke` and the end-to-end tests all start it
// here, so there is one offline stack.
package offline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/localapi"
	"github.com/stepgate/stepgate/internal/offline/localec2"
	"github.com/stepgate/stepgate/internal/offline/locallambda"
	"github.com/stepgate/stepgate/internal/offline/localsfn"
)

// The local account and region (docs/architecture.md).
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// Config configures a Stack. Zero values take the defaults noted.
type Config struct {
	Template string // path of template.yaml
	BuildDir string // holds <LogicalId>/bootstrap built for this machine
	APIAddr  string // the API; "127.0.0.1:3000" when empty, port 0 picks a free one
	AWSAddr  string // the Step Functions + EC2 endpoint; "127.0.0.1:4566" when empty
	// Parameters overrides the template's parameters.
	Parameters map[string]string
	// TimeScale > 1 runs the workflows' time (Wait states, retry intervals, state machine and task
	// timeouts) that many times faster; 1 is real time.
	TimeScale float64
	// TransitionDelay is how long EC2's pending and stopping states last.
	TransitionDelay time.Duration
	// Faults makes the local Step Functions fail a share of API calls.
	Faults localsfn.Faults
	// EnvVars overrides functions' environment variables as `sam local --env-vars` does: keyed by
	// logical ID, or "Parameters" for every function.
	EnvVars map[string]map[string]string
	// MaxEnvironments caps each function's warm environments; 0 takes locallambda's default.
	MaxEnvironments int
	// Log receives the console: requests, execution state changes, the functions' own logs.
	// Nil discards it.
	Log io.Writer
	// LogLevel is the console's level; slog.LevelInfo when zero.
	LogLevel slog.Level
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

	EC2    *localec2.EC2
	SFN    *localsfn.Service
	Lambda *locallambda.Runtime

	servers []*http.Server
	wg      sync.WaitGroup
	log     *slog.Logger
}

// Start loads the template and starts every local service. It returns once both listeners accept
// connections; a port in use is an error that says which.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.APIAddr == "" {
		cfg.APIAddr = "127.0.0.1:3000"
	}
	if cfg.AWSAddr == "" {
		cfg.AWSAddr = "127.0.0.1:4566"
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	// One lock for everything that writes to the console: the services' logs and the functions'.
	logOut := SyncWriter(cfg.Log)
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: cfg.LogLevel}))

	tmpl, names, err := LoadTemplate(cfg.Template, cfg.Parameters)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", cfg.Template, err)
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
		log:              logger,
	}
	fail := func(err error) (*Stack, error) {
		awsLn.Close()
		apiLn.Close()
		s.closeServices(context.Background())
		return nil, err
	}

	// EC2: the template's instances, stopped, as a fresh stack's instance would be after a stop.
	s.EC2 = localec2.New(localec2.Config{Region: Region, AccountID: AccountID, TransitionDelay: cfg.TransitionDelay,
		Logger: logger.With("service", "ec2")})
	for _, in := range tmpl.Instances() {
		id := names.instances[in.LogicalID]
		if _, err := s.EC2.AddInstance(localec2.InstanceSpec{ID: id, InstanceType: in.InstanceType, ImageID: in.ImageID,
			State: localec2.StateStopped, Tags: in.Tags}); err != nil {
			return fail(fmt.Errorf("add instance %s: %w", in.LogicalID, err))
		}
		s.InstanceIDs[in.LogicalID] = id
	}

	// Lambda: the real bootstrap binaries with the template's environment, pointed at our endpoint.
	fns, err := tmpl.Functions()
	if err != nil {
		return fail(err)
	}
	var lambdaFns []locallambda.Function
	for _, f := range fns {
		bootstrap := filepath.Join(cfg.BuildDir, f.LogicalID, "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			return fail(fmt.Errorf("function %s: %w (run `make build` first)", f.LogicalID, err))
		}
		lambdaFns = append(lambdaFns, locallambda.Function{
			Name:            f.LogicalID,
			ARN:             names.functionARN(f.LogicalID),
			Bootstrap:       bootstrap,
			Handler:         f.Handler,
			Env:             overrideEnv(f.Environment, LocalEnv, cfg.EnvVars["Parameters"], cfg.EnvVars[f.LogicalID]),
			Timeout:         time.Duration(f.Timeout) * time.Second,
			MemoryMB:        f.MemorySize,
			MaxEnvironments: cfg.MaxEnvironments,
			LogFormat:       logFormat(tmpl.Resources[f.LogicalID]),
		})
	}
	s.Lambda, err = locallambda.New(locallambda.Config{
		Functions: lambdaFns,
		ExtraEnv:  LambdaEnv(s.AWSURL),
		Region:    Region,
		LogWriter: logOut,
		Logger:    logger.With("service", "lambda"),
	})
	if err != nil {
		return fail(err)
	}

	// Step Functions: the template's state machines with their substitutions.
	var clock asl.Clock = asl.RealClock{}
	if cfg.TimeScale != 1 {
		clock = asl.NewScaledClock(cfg.TimeScale)
	}
	sfnLog := logger.With("service", "states")
	s.SFN = localsfn.New(localsfn.Config{
		Region: Region, AccountID: AccountID,
		Invoker: &Invoker{Lambda: s.Lambda, EC2: s.EC2},
		Clock:   clock,
		Faults:  cfg.Faults,
		Logger:  sfnLog,
		OnExecutionEvent: func(executionARN string, ev asl.HistoryEvent) {
			// The console follows executions from state to state; task and iteration
			// events are there with -v.
			level := slog.LevelDebug
			if strings.HasPrefix(ev.Type, "Execution") || strings.HasSuffix(ev.Type, "StateEntered") {
				level = slog.LevelInfo
			}
			if !sfnLog.Enabled(context.Background(), level) {
				return
			}
			sfnLog.Log(context.Background(), level, "execution", "arn", executionARN, "event", ev.Type, "state", stateName(ev))
		},
	})
	sms, err := tmpl.StateMachines()
	if err != nil {
		return fail(err)
	}
	for _, sm := range sms {
		def, err := sm.Definition()
		if err != nil {
			return fail(fmt.Errorf("state machine %s: %w", sm.LogicalID, err))
		}
		out, err := s.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name:       aws.String(sm.LogicalID),
			Definition: aws.String(string(def)),
			RoleArn:    aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%sRole", AccountID, sm.LogicalID)),
			Type:       sfntypes.StateMachineType(sm.Type),
		})
		if err != nil {
			return fail(fmt.Errorf("state machine %s: %w", sm.LogicalID, err))
		}
		s.StateMachineARNs[sm.LogicalID] = aws.ToString(out.StateMachineArn)
	}

	// API Gateway: the template's routes and gateway responses.
	api, stage, err := apiHandler(tmpl, s.Lambda, logger.With("service", "api"))
	if err != nil {
		return fail(err)
	}
	s.StageName = stage

	s.serve(awsLn, awsHandler(s.SFN.Handler(), s.EC2.Handler()))
	s.serve(apiLn, api)
	return s, nil
}

// LocalEnv is what the offline stack sets differently from the template, for functions that
// declare the variable: the local endpoint has no API quotas, so the events route's long poll
// re-reads the history every 50 ms instead of backing off to 2 s (AWS refills
// GetExecutionHistory at 20 calls/s per account). --env-vars overrides still win.
var LocalEnv = map[string]string{"HISTORY_POLL_MAX": "50ms"}

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

func apiHandler(tmpl *samtemplate.Template, lambda *locallambda.Runtime, logger *slog.Logger) (http.Handler, string, error) {
	routes, err := tmpl.Routes()
	if err != nil {
		return nil, "", err
	}
	if len(routes) == 0 {
		return nil, "", errors.New("the template declares no API routes")
	}
	var apiRoutes []localapi.Route
	for _, r := range routes {
		if r.FunctionLogicalID == "" {
			return nil, "", fmt.Errorf("route %s %s: integration %q is not one of the template's functions", r.Method, r.Path, r.IntegrationURI)
		}
		apiRoutes = append(apiRoutes, localapi.Route{Method: r.Method, Path: r.Path, Function: r.FunctionLogicalID})
	}
	apiID := routes[0].APILogicalID
	stage, _ := tmpl.Resources[apiID].Properties["StageName"].(string)
	if stage == "" {
		stage = "Prod"
	}
	gwr, err := tmpl.GatewayResponses()
	if err != nil {
		return nil, "", err
	}
	responses := map[string]localapi.GatewayResponse{}
	for typ, r := range gwr {
		code := 0
		if r.StatusCode != "" {
			if code, err = strconv.Atoi(r.StatusCode); err != nil {
				return nil, "", fmt.Errorf("gateway response %s: status %q: %w", typ, r.StatusCode, err)
			}
		}
		gr := localapi.GatewayResponse{StatusCode: code, Headers: r.Headers, Templates: r.ResponseTemplates}
		if err := localapi.CheckGatewayResponse(typ, gr); err != nil {
			return nil, "", err
		}
		responses[typ] = gr
	}
	h := localapi.New(localapi.Config{
		Routes:           apiRoutes,
		GatewayResponses: responses,
		Stage:            stage,
		Logger:           logger,
		Invoke: func(ctx context.Context, function string, payload []byte) ([]byte, string, error) {
			resp, err := lambda.Invoke(ctx, function, payload)
			return resp.Payload, resp.FunctionError, err
		},
	})
	return h, stage, nil
}

// awsHandler serves both protocols on one port, as one AWS endpoint URL: Step Functions' JSON 1.0
// requests name their operation in X-Amz-Target; everything else is EC2's query protocol.
func awsHandler(states, ec2 http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.") {
			states.ServeHTTP(w, r)
			return
		}
		ec2.ServeHTTP(w, r)
	})
}

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
}

// Close stops the listeners, the running executions and every function environment.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			srv.Close()
		}
	}
	s.wg.Wait()
	errs = append(errs, s.closeServices(ctx))
	return errors.Join(errs...)
}

func (s *Stack) closeServices(ctx context.Context) error {
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
			return nil, fmt.Errorf("%s: %s is already in use (another `make local`?): stop what holds it or choose another address", what, addr)
		}
		return nil, fmt.Errorf("%s: listen on %s: %w", what, addr, err)
	}
	return ln, nil
}

func overrideEnv(env map[string]string, overrides ...map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = v
	}
	for _, o := range overrides {
		for k, v := range o {
			// As with sam local, only variables the template declares can be overridden.
			if _, ok := env[k]; ok {
				out[k] = v
			}
		}
	}
	return out
}

func logFormat(r samtemplate.Resource) string {
	if lc, ok := r.Properties["LoggingConfig"].(map[string]any); ok {
		if f, ok := lc["LogFormat"].(string); ok {
			return f
		}
	}
	return ""
}

// stateName is the state a history event is about, for the console ("" for events that name none).
func stateName(ev asl.HistoryEvent) string {
	switch {
	case ev.StateEnteredEventDetails != nil:
		return ev.StateEnteredEventDetails.Name
	case ev.StateExitedEventDetails != nil:
		return ev.StateExitedEventDetails.Name
	}
	return ""
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
