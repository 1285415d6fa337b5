package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/clock"
	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
	"github.com/stepgate/stepgate/internal/offline/account"
	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/localapi"
	"github.com/stepgate/stepgate/internal/offline/localec2"
	"github.com/stepgate/stepgate/internal/offline/locallambda"
	"github.com/stepgate/stepgate/internal/offline/localsfn"
)

// integration is one local AWS service as the rest of the stack reaches it: its requests on the
// shared AWS endpoint, and the Task resources of the engine it runs. The stack keeps one list of
// them; the endpoint and the engine's Invoker both read it, so adding a service is one entry.
type integration struct {
	name string
	// handler serves the service's API on the AWS endpoint; accepts picks its requests. Nil for a
	// service the endpoint does not expose (Lambda: functions are invoked by the engine and the API).
	handler http.Handler
	accepts func(*http.Request) bool
	// resourcePrefix is the Task resource ARNs the service runs ("" for none); invoke runs one.
	resourcePrefix string
	invoke         func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error)
}

const ec2Integration = "arn:aws:states:::aws-sdk:ec2:"

// startEC2 starts the local EC2 with the template's instances, stopped, as a fresh stack's
// instance would be after a stop.
func (s *Stack) startEC2(_ context.Context, st *setup) error {
	s.EC2 = localec2.New(localec2.Config{Region: account.Region, AccountID: account.ID, TransitionDelay: st.cfg.TransitionDelay,
		Logger: st.console.logger.With("service", "ec2")})
	for _, in := range st.tmpl.Instances() {
		id := st.names.instances[in.LogicalID]
		if _, err := s.EC2.AddInstance(localec2.InstanceSpec{ID: id, InstanceType: in.InstanceType, ImageID: in.ImageID,
			State: localec2.StateStopped, Tags: in.Tags}); err != nil {
			return fmt.Errorf("add instance %s: %w", in.LogicalID, err)
		}
		s.InstanceIDs[in.LogicalID] = id
	}
	s.integrations = append(s.integrations, integration{
		name:    "ec2",
		handler: s.EC2.Handler(),
		// EC2's query protocol is the endpoint's default: its requests carry no X-Amz-Target.
		accepts:        func(r *http.Request) bool { return r.Header.Get("X-Amz-Target") == "" },
		resourcePrefix: ec2Integration,
		invoke: func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
			// A failed call is already an *asl.Failure. A .waitForTaskToken call is the same
			// call; the task then waits for its token.
			action := strings.TrimSuffix(strings.TrimPrefix(req.Resource, ec2Integration), ".waitForTaskToken")
			out, err := s.EC2.Call(ctx, action, req.Input)
			if errors.Is(err, localec2.ErrUnknownAction) {
				return nil, fmt.Errorf("%w: the local EC2 does not serve %s", asl.ErrUnknownResource, req.Resource)
			}
			return out, err
		},
	})
	return nil
}

// startLambda starts the local Lambda runtime with the real bootstrap binaries and the template's
// environment, pointed at the stack's AWS endpoint.
func (s *Stack) startLambda(_ context.Context, st *setup) error {
	fns, err := st.tmpl.Functions()
	if err != nil {
		return err
	}
	var lambdaFns []locallambda.Function
	for _, f := range fns {
		bootstrap := filepath.Join(st.cfg.BuildDir, f.LogicalID, "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			return fmt.Errorf("function %s: %w (run `make build` first)", f.LogicalID, err)
		}
		lambdaFns = append(lambdaFns, locallambda.Function{
			Name:            f.LogicalID,
			ARN:             st.names.functionARN(f.LogicalID),
			Bootstrap:       bootstrap,
			Handler:         f.Handler,
			Env:             st.functionEnv(f),
			Timeout:         time.Duration(f.Timeout) * time.Second,
			MemoryMB:        f.MemorySize,
			MaxEnvironments: st.cfg.MaxEnvironments,
			LogFormat:       logFormat(st.tmpl.Resources[f.LogicalID]),
		})
	}
	s.Lambda, err = locallambda.New(locallambda.Config{
		Functions: lambdaFns,
		ExtraEnv:  LambdaEnv(s.AWSURL),
		Region:    account.Region,
		LogWriter: st.console.functionLog(),
		Logger:    st.console.logger.With("service", "lambda"),
	})
	if err != nil {
		return err
	}
	s.integrations = append(s.integrations, integration{
		name:           "lambda",
		resourcePrefix: "arn:aws:lambda:",
		invoke:         s.invokeFunction,
	})
	return nil
}

// invokeFunction runs a Task state's Lambda function as Step Functions does.
func (s *Stack) invokeFunction(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	resp, err := s.Lambda.Invoke(ctx, req.Resource, req.Input)
	if errors.Is(err, locallambda.ErrFunctionNotFound) {
		return nil, fmt.Errorf("%w: no local function has the ARN %s", asl.ErrUnknownResource, req.Resource)
	}
	if err != nil {
		return nil, err
	}
	if resp.FunctionError != "" {
		return nil, functionError(resp.Payload)
	}
	return resp.Payload, nil
}

// functionError is a function's error as Step Functions names it: the function's errorType,
// with the whole error body as the cause.
func functionError(payload json.RawMessage) *asl.Failure {
	var body struct {
		ErrorType string `json:"errorType"`
	}
	name := "Lambda.Unknown"
	if json.Unmarshal(payload, &body) == nil && body.ErrorType != "" {
		name = body.ErrorType
	}
	return &asl.Failure{Name: name, Cause: string(payload)}
}

// startStepFunctions starts the local Step Functions with the template's state machines and
// their substitutions; Task states reach the other services through the registry, each
// execution with the mock test case it runs (mocks.go). Step Functions is itself one of the
// integrations: states:startExecution starts a nested execution on it.
func (s *Stack) startStepFunctions(ctx context.Context, st *setup) error {
	sms, err := st.tmpl.StateMachines()
	if err != nil {
		return err
	}
	var names []string
	for _, sm := range sms {
		names = append(names, st.names.machineName(sm.LogicalID))
	}
	if s.mocks, err = st.loadMocks(names); err != nil {
		return err
	}
	s.mockFile, s.mockDefaults = st.cfg.MockConfig, st.cfg.MockTestCases
	var clk clock.Clock = clock.Real{}
	switch {
	case st.cfg.Clock != nil:
		clk = st.cfg.Clock
	case st.cfg.TimeScale != 1:
		clk = clock.NewScaled(st.cfg.TimeScale)
	}
	onEvent := st.console.executionEvent
	if hook := st.cfg.OnExecutionEvent; hook != nil {
		onEvent = func(arn string, ev asl.HistoryEvent) {
			st.console.executionEvent(arn, ev)
			hook(arn, ev)
		}
	}
	s.SFN = localsfn.New(localsfn.Config{
		Region: account.Region, AccountID: account.ID,
		ExecutionInvoker: s.executionInvoker,
		Clock:            clk,
		Faults:           st.cfg.Faults,
		Logger:           st.console.logger.With("service", "states"),
		OnExecutionEvent: onEvent,
	})
	s.integrations = append(s.integrations, integration{
		name:    "states",
		handler: s.SFN.Handler(),
		// Step Functions' JSON 1.0 protocol names its operation in X-Amz-Target.
		accepts: func(r *http.Request) bool {
			return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
		},
		resourcePrefix: localsfn.StartExecutionResource,
		invoke:         s.SFN.StartExecutionTask,
	})
	for _, sm := range sms {
		def, err := sm.Definition()
		if err != nil {
			return fmt.Errorf("state machine %s: %w", sm.LogicalID, err)
		}
		out, err := s.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name:       aws.String(st.names.machineName(sm.LogicalID)),
			Definition: aws.String(string(def)),
			RoleArn:    aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%sRole", account.ID, sm.LogicalID)),
			Type:       sfntypes.StateMachineType(sm.Type),
		})
		if err != nil {
			return fmt.Errorf("state machine %s: %w", sm.LogicalID, err)
		}
		s.StateMachineARNs[sm.LogicalID] = aws.ToString(out.StateMachineArn)
	}
	return nil
}

// invoker runs one execution's Task states on whichever registered service serves the
// resource; machine and testCase (the mock test case the execution runs, "" for none) name the
// mock entry to add when none does.
type invoker struct {
	s                 *Stack
	machine, testCase string
}

var _ asl.Invoker = invoker{}

// Invoke implements asl.Invoker.
func (i invoker) Invoke(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	var served []string
	for _, in := range i.s.integrations {
		if in.resourcePrefix == "" {
			continue
		}
		if strings.HasPrefix(req.Resource, in.resourcePrefix) {
			out, err := in.invoke(ctx, req)
			if isUnserved(err) {
				return nil, i.unserved(req, strings.TrimPrefix(err.Error(), asl.ErrUnknownResource.Error()+": "))
			}
			return out, err
		}
		served = append(served, in.resourcePrefix+"…")
	}
	return nil, i.unserved(req, fmt.Sprintf("the offline stack serves %s", strings.Join(served, ", ")))
}

// startAPI builds the local API Gateway from the template's routes and gateway responses.
func (s *Stack) startAPI(_ context.Context, st *setup) error {
	routes, err := st.tmpl.Routes()
	if err != nil {
		return err
	}
	if len(routes) == 0 {
		return errors.New("the template declares no API routes")
	}
	var apiRoutes []localapi.Route
	for _, r := range routes {
		if r.FunctionLogicalID == "" {
			return fmt.Errorf("route %s %s: integration %q is not one of the template's functions", r.Method, r.Path, r.IntegrationURI)
		}
		apiRoutes = append(apiRoutes, localapi.Route{Method: r.Method, Path: r.Path, Function: r.FunctionLogicalID})
	}
	stage, _ := st.tmpl.Resources[routes[0].APILogicalID].Properties["StageName"].(string)
	if stage == "" {
		stage = "Prod"
	}
	gwr, err := st.tmpl.GatewayResponses()
	if err != nil {
		return err
	}
	responses := map[string]localapi.GatewayResponse{}
	for typ, r := range gwr {
		code := 0
		if r.StatusCode != "" {
			if code, err = strconv.Atoi(r.StatusCode); err != nil {
				return fmt.Errorf("gateway response %s: status %q: %w", typ, r.StatusCode, err)
			}
		}
		gr := localapi.GatewayResponse{StatusCode: code, Headers: r.Headers, Templates: r.ResponseTemplates}
		if err := localapi.CheckGatewayResponse(typ, gr); err != nil {
			return err
		}
		responses[typ] = gr
	}
	s.StageName = stage
	s.api = localapi.New(localapi.Config{
		Routes:           apiRoutes,
		GatewayResponses: responses,
		Stage:            stage,
		BodyTimeout:      st.cfg.BodyTimeout,
		Logger:           st.console.logger.With("service", "api"),
		LogPath:          redactPath(s.Routes),
		Invoke: func(ctx context.Context, function string, payload []byte) ([]byte, string, error) {
			resp, err := s.Lambda.Invoke(ctx, function, payload)
			return resp.Payload, resp.FunctionError, err
		},
	})
	return nil
}

// LocalEnv is what the offline stack sets differently from the template, for functions that
// declare the variable: the local endpoint has no API quotas, so the events route's long poll
// re-reads the history every 50 ms instead of backing off to 2 s (AWS refills
// GetExecutionHistory at 20 calls/s per account). --env-vars overrides still win.
var LocalEnv = map[string]string{"HISTORY_POLL_MAX": "50ms"}

// functionEnv is the environment function f runs with: the template's, LocalEnv's and the
// --env-vars overrides applied.
func (st *setup) functionEnv(f samtemplate.Function) map[string]string {
	return overrideEnv(f.Environment, LocalEnv, st.cfg.EnvVars["Parameters"], st.cfg.EnvVars[f.LogicalID])
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
