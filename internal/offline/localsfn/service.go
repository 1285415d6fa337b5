// Package localsfn is the offline stack's Step Functions: the AWS JSON 1.0 protocol of the
// AWSStepFunctions service (the subset stepgate and the AWS CLI use) on top of the ASL engine in
// internal/offline/asl, with AWS's error codes, ARN forms and STANDARD/EXPRESS semantics.
//
// The same operations are available as Go methods that take and return the SDK's own types, so
// in-process callers and tests can use a *Service wherever they would use an *sfn.Client.
package localsfn

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// DefaultMaxFinishedExecutions is how many finished STANDARD executions stay describable when
// Config.MaxFinishedExecutions is zero. AWS keeps them for 90 days; a local run needs far fewer,
// and the bound keeps a long load test from growing memory without limit.
const DefaultMaxFinishedExecutions = 1000

// Config holds what a Service needs. Region and AccountID appear in every ARN it issues.
type Config struct {
	Region    string
	AccountID string
	// Invoker runs Task states (Lambda functions and aws-sdk integrations).
	Invoker asl.Invoker
	// ExecutionInvoker, when set, chooses each execution's Invoker instead: it is given the
	// state machine's name and the mock test case the execution runs (what follows '#' in
	// StartExecution's stateMachineArn, as Step Functions Local takes it; "" when none). Its
	// error refuses the start (InvalidName). When nil, a '#' names no state machine.
	ExecutionInvoker func(stateMachine, testCase string) (asl.Invoker, error)
	// Clock drives Wait states and timeouts in the engine; nil means asl.RealClock{}.
	Clock asl.Clock
	// Faults makes a share of HTTP API calls fail, so clients exercise their error paths.
	Faults Faults
	// Logger receives debug lines (each API call, each execution started and finished) and
	// errors; nil discards.
	Logger *slog.Logger
	// OnExecutionEvent, when set, is called with every history event as the engine appends it
	// (the console prints state changes with it). It runs while the engine holds the
	// execution's history lock: it must not block or call back into the Service.
	OnExecutionEvent func(executionARN string, ev asl.HistoryEvent)
	// MaxFinishedExecutions bounds how many finished STANDARD executions are kept for
	// DescribeExecution, ListExecutions and GetExecutionHistory; the oldest go first.
	// Zero means DefaultMaxFinishedExecutions.
	MaxFinishedExecutions int
}

// Faults injects errors into HTTP API calls before they reach the service. Rates are shares of
// calls in [0, 1], drawn independently per call in the order throttle, service error, execution
// limit. The Go methods are not affected: they are for in-process wiring and tests.
type Faults struct {
	// ThrottleRate answers ThrottlingException (HTTP 400), which SDKs retry and then surface.
	ThrottleRate float64
	// ServiceErrorRate answers InternalFailure (HTTP 500), AWS's common server error.
	ServiceErrorRate float64
	// ExecutionLimitRate answers ExecutionLimitExceeded (HTTP 400) to StartExecution only, the one
	// operation AWS documents it for.
	ExecutionLimitRate float64
	// Rand draws the faults; set it (for example rand.New(rand.NewPCG(1, 2))) for a repeatable
	// sequence. Nil means a randomly seeded source.
	Rand *rand.Rand
}

// Service is a local Step Functions endpoint. It is safe for concurrent use.
type Service struct {
	cfg         Config
	log         *slog.Logger
	clock       asl.Clock
	maxFinished int

	// base outlives API calls: executions run on it, not on the request that started them,
	// and Close cancels it.
	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	faultMu sync.Mutex
	rng     *rand.Rand

	// testDefinitions keeps TestState's parsed definitions: a test suite tests many states of
	// the same one (testDefinitionCache).
	testDefinitions testDefinitionCache
	// tokens are the task tokens of the executions' callback tasks (SendTask*).
	tokens *asl.TaskTokens

	mu            sync.Mutex
	stateMachines map[string]*stateMachine // by ARN
	executions    map[string]*execution    // STANDARD executions by ARN
	finished      []string                 // ARNs of finished STANDARD executions, oldest first
}

type stateMachine struct {
	arn, name  string
	typ        types.StateMachineType
	definition string
	roleARN    string
	created    time.Time
	machine    *asl.StateMachine
}

type execution struct {
	arn, name    string
	express      bool
	sm           *stateMachine
	input        string
	traceHeader  string
	startDate    time.Time
	invoker      asl.Invoker // its Task states'
	run          *asl.Execution
	finishOnce   sync.Once
	finishedDone chan struct{} // closed once result and stopDate are recorded

	// Set once by finish, read under Service.mu or after finishedDone is closed.
	result   asl.Result
	stopDate time.Time
}

// New returns a Service with no state machines. Call Close to stop its running executions.
func New(cfg Config) *Service {
	s := &Service{
		cfg:           cfg,
		log:           cfg.Logger,
		clock:         cfg.Clock,
		maxFinished:   cfg.MaxFinishedExecutions,
		stateMachines: make(map[string]*stateMachine),
		executions:    make(map[string]*execution),
		rng:           cfg.Faults.Rand,
		tokens:        asl.NewTaskTokens(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = asl.RealClock{}
	}
	if s.maxFinished <= 0 {
		s.maxFinished = DefaultMaxFinishedExecutions
	}
	if s.rng == nil {
		s.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	return s
}

// Close cancels every running execution and waits until their bookkeeping is done.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// start runs an execution on the engine and records its end in the background.
func (s *Service) start(e *execution, input json.RawMessage) {
	ctxObj := contextObject(e)
	cfg := asl.Config{
		Invoker: e.invoker,
		Clock:   s.clock,
		Context: ctxObj,
		Tokens:  s.tokens,
	}
	if hook := s.cfg.OnExecutionEvent; hook != nil {
		arn := e.arn
		cfg.OnEvent = func(ev asl.HistoryEvent) { hook(arn, ev) }
	}
	e.finishedDone = make(chan struct{})
	e.run = e.sm.machine.Start(s.base, input, cfg)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-e.run.Done()
		s.finish(e)
	}()
}

// finish records an execution's result once, whoever sees it end first.
func (s *Service) finish(e *execution) {
	e.finishOnce.Do(func() {
		res := e.run.Wait(context.Background())
		// The terminal event's time is the stop date, so the history and the API agree.
		stop := s.clock.Now()
		if h := e.run.History(); len(h) > 0 {
			stop = h[len(h)-1].Timestamp
		}
		s.mu.Lock()
		e.result, e.stopDate = res, apiTime(stop)
		if !e.express {
			s.finished = append(s.finished, e.arn)
			for len(s.finished) > s.maxFinished {
				delete(s.executions, s.finished[0])
				s.finished[0] = ""
				s.finished = s.finished[1:]
			}
		}
		s.mu.Unlock()
		close(e.finishedDone)
		s.log.Debug("execution finished", "executionArn", e.arn, "status", res.Status,
			"error", res.Error, "duration", stop.Sub(e.startDate))
	})
}

// snapshot returns an execution's status fields, recording its end first if the engine has
// finished but the background watcher has not run yet (so a caller never sees RUNNING after
// the engine said done).
func (s *Service) snapshot(e *execution) (status types.ExecutionStatus, res asl.Result, stop time.Time) {
	select {
	case <-e.run.Done():
		s.finish(e)
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.stopDate.IsZero() {
		return types.ExecutionStatusRunning, asl.Result{}, time.Time{}
	}
	return types.ExecutionStatus(e.result.Status), e.result, e.stopDate
}

// apiTime is a time as the API reports it: UTC, in milliseconds (the wire has no finer unit), so
// that the Go methods answer exactly what a client of the HTTP API reads.
func apiTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// contextObject fills the $$ object the engine exposes to paths and intrinsics.
func contextObject(e *execution) asl.ContextObject {
	var c asl.ContextObject
	c.Execution.ID = e.arn
	c.Execution.Name = e.name
	c.Execution.StartTime = e.startDate // so $$.Execution.StartTime is the startDate the API reports
	c.Execution.RoleARN = e.sm.roleARN
	c.StateMachine.ID = e.sm.arn
	c.StateMachine.Name = e.sm.name
	return c
}

// ExecutionDone returns a channel that is closed once a STANDARD execution has ended and its
// result is recorded, so that in-process callers (tests, the stack's tools) wait for the event
// rather than poll DescribeExecution.
func (s *Service) ExecutionDone(executionARN string) (<-chan struct{}, error) {
	e, err := s.lookupExecution(executionARN)
	if err != nil {
		return nil, err
	}
	return e.finishedDone, nil
}
