package localsfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"
)

const (
	targetPrefix = "AWSStepFunctions."
	contentType  = "application/x-amz-json-1.0"
	// maxRequestBody leaves room for the largest request, a 1 MiB definition, JSON-escaped.
	maxRequestBody = 4 << 20
)

// Handler serves the AWS JSON 1.0 protocol: POST with X-Amz-Target: AWSStepFunctions.<Operation>.
// Any path is accepted, since SDKs post to "/" but a shared endpoint may route by target alone.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// operations maps each served X-Amz-Target operation to its decoder and method.
var operations = map[string]func(s *Service, ctx context.Context, body []byte) (any, error){
	"CreateStateMachine": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req struct{ Name, Definition, RoleArn, Type *string }
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: req.Name, Definition: req.Definition, RoleArn: req.RoleArn, Type: types.StateMachineType(deref(req.Type)),
		})
		if err != nil {
			return nil, err
		}
		return struct {
			StateMachineArn string `json:"stateMachineArn"`
			CreationDate    epoch  `json:"creationDate"`
		}{*out.StateMachineArn, epoch(*out.CreationDate)}, nil
	},
	"DescribeStateMachine": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req struct{ StateMachineArn *string }
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: req.StateMachineArn})
		if err != nil {
			return nil, err
		}
		return describeStateMachineWire{
			StateMachineArn: *out.StateMachineArn, Name: *out.Name, Status: string(out.Status),
			Definition: *out.Definition, RoleArn: *out.RoleArn, Type: string(out.Type),
			CreationDate:         epoch(*out.CreationDate),
			LoggingConfiguration: map[string]any{"level": string(out.LoggingConfiguration.Level), "includeExecutionData": false},
			TracingConfiguration: map[string]any{"enabled": false},
		}, nil
	},
	"ListStateMachines": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req struct {
			MaxResults int32
			NextToken  *string
		}
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: req.MaxResults, NextToken: req.NextToken})
		if err != nil {
			return nil, err
		}
		type item struct {
			StateMachineArn string `json:"stateMachineArn"`
			Name            string `json:"name"`
			Type            string `json:"type"`
			CreationDate    epoch  `json:"creationDate"`
		}
		items := make([]item, len(out.StateMachines))
		for i, sm := range out.StateMachines {
			items[i] = item{*sm.StateMachineArn, *sm.Name, string(sm.Type), epoch(*sm.CreationDate)}
		}
		return struct {
			StateMachines []item  `json:"stateMachines"`
			NextToken     *string `json:"nextToken,omitempty"`
		}{items, out.NextToken}, nil
	},
	"DeleteStateMachine": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req struct{ StateMachineArn *string }
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		_, err := s.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: req.StateMachineArn})
		return struct{}{}, err
	},
	"StartExecution": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req startRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: req.StateMachineArn, Name: req.Name, Input: req.Input, TraceHeader: req.TraceHeader,
		})
		if err != nil {
			return nil, err
		}
		return struct {
			ExecutionArn string `json:"executionArn"`
			StartDate    epoch  `json:"startDate"`
		}{*out.ExecutionArn, epoch(*out.StartDate)}, nil
	},
	"StartSyncExecution": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req startRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
			StateMachineArn: req.StateMachineArn, Name: req.Name, Input: req.Input, TraceHeader: req.TraceHeader,
		})
		if err != nil {
			return nil, err
		}
		return executionWire{
			ExecutionArn: *out.ExecutionArn, StateMachineArn: *out.StateMachineArn, Name: *out.Name,
			Status: string(out.Status), StartDate: epoch(*out.StartDate), StopDate: epochPtr(out.StopDate),
			Input: out.Input, InputDetails: dataDetails(out.InputDetails),
			Output: out.Output, OutputDetails: dataDetails(out.OutputDetails),
			Error: out.Error, Cause: out.Cause, TraceHeader: out.TraceHeader,
			BillingDetails: &billingWire{out.BillingDetails.BilledDurationInMilliseconds, out.BillingDetails.BilledMemoryUsedInMB},
		}, nil
	},
	"DescribeExecution": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req struct{ ExecutionArn *string }
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: req.ExecutionArn})
		if err != nil {
			return nil, err
		}
		return executionWire{
			ExecutionArn: *out.ExecutionArn, StateMachineArn: *out.StateMachineArn, Name: *out.Name,
			Status: string(out.Status), StartDate: epoch(*out.StartDate), StopDate: epochPtr(out.StopDate),
			Input: out.Input, InputDetails: dataDetails(out.InputDetails),
			Output: out.Output, OutputDetails: dataDetails(out.OutputDetails),
			Error: out.Error, Cause: out.Cause, TraceHeader: out.TraceHeader,
		}, nil
	},
	"ListExecutions": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req struct {
			StateMachineArn, StatusFilter, NextToken, MapRunArn *string
			MaxResults                                          int32
		}
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.ListExecutions(ctx, &sfn.ListExecutionsInput{
			StateMachineArn: req.StateMachineArn, StatusFilter: types.ExecutionStatus(deref(req.StatusFilter)),
			MaxResults: req.MaxResults, NextToken: req.NextToken, MapRunArn: req.MapRunArn,
		})
		if err != nil {
			return nil, err
		}
		type item struct {
			ExecutionArn    string `json:"executionArn"`
			StateMachineArn string `json:"stateMachineArn"`
			Name            string `json:"name"`
			Status          string `json:"status"`
			StartDate       epoch  `json:"startDate"`
			StopDate        *epoch `json:"stopDate,omitempty"`
		}
		items := make([]item, len(out.Executions))
		for i, e := range out.Executions {
			items[i] = item{*e.ExecutionArn, *e.StateMachineArn, *e.Name, string(e.Status), epoch(*e.StartDate), epochPtr(e.StopDate)}
		}
		return struct {
			Executions []item  `json:"executions"`
			NextToken  *string `json:"nextToken,omitempty"`
		}{items, out.NextToken}, nil
	},
	"GetExecutionHistory": func(s *Service, _ context.Context, body []byte) (any, error) {
		var req struct {
			ExecutionArn, NextToken *string
			MaxResults              int32
			ReverseOrder            bool
			IncludeExecutionData    *bool
		}
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		events, next, err := s.history(&sfn.GetExecutionHistoryInput{
			ExecutionArn: req.ExecutionArn, NextToken: req.NextToken, MaxResults: req.MaxResults,
			ReverseOrder: req.ReverseOrder, IncludeExecutionData: req.IncludeExecutionData,
		})
		if err != nil {
			return nil, err
		}
		return struct {
			Events    []json.RawMessage `json:"events"`
			NextToken *string           `json:"nextToken,omitempty"`
		}{events, next}, nil
	},
	"StopExecution": func(s *Service, ctx context.Context, body []byte) (any, error) {
		var req struct{ ExecutionArn, Error, Cause *string }
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		out, err := s.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: req.ExecutionArn, Error: req.Error, Cause: req.Cause})
		if err != nil {
			return nil, err
		}
		return struct {
			StopDate epoch `json:"stopDate"`
		}{epoch(*out.StopDate)}, nil
	},
}

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	requestID := uuid.NewString()
	w.Header().Set("X-Amzn-RequestId", requestID)
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)

	out, err := s.serveOperation(w, r, op)
	if err != nil {
		status, code, message := httpError(err)
		// A client that hung up on StartSyncExecution is not a failure of the service.
		if status >= 500 && !isInjected(err) && !errors.Is(err, context.Canceled) {
			s.log.Error("step functions call failed", "operation", op, "requestId", requestID, "error", err)
		}
		s.log.Debug("step functions call", "operation", op, "status", status, "error", code,
			"duration", time.Since(began))
		writeJSON(w, status, struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{code, message})
		return
	}
	s.log.Debug("step functions call", "operation", op, "status", http.StatusOK,
		"duration", time.Since(began))
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) serveOperation(w http.ResponseWriter, r *http.Request, op string) (any, error) {
	handle, ok := operations[op]
	if r.Method != http.MethodPost || !ok {
		return nil, generic(codeUnknownOp, fmt.Sprintf("Unknown operation %q", r.Header.Get("X-Amz-Target")), smithy.FaultClient)
	}
	if err := s.injectFault(op); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errValidation("Request body is larger than %d bytes", maxRequestBody)
		}
		return nil, generic(codeSerialization, "Could not read the request body", smithy.FaultClient)
	}
	return handle(s, r.Context(), body)
}

// injectedError marks a fault so that it is not logged as a real failure.
type injectedError struct{ error }

func (e injectedError) Unwrap() error { return e.error }

func isInjected(err error) bool {
	var inj injectedError
	return errors.As(err, &inj)
}

// injectFault draws the configured faults for one call.
func (s *Service) injectFault(op string) error {
	f := s.cfg.Faults
	if f.ThrottleRate <= 0 && f.ServiceErrorRate <= 0 && f.ExecutionLimitRate <= 0 {
		return nil
	}
	s.faultMu.Lock()
	throttle, internal, limit := s.rng.Float64(), s.rng.Float64(), s.rng.Float64()
	s.faultMu.Unlock()
	switch {
	case throttle < f.ThrottleRate:
		return injectedError{generic(codeThrottling, "Rate exceeded", smithy.FaultClient)}
	case internal < f.ServiceErrorRate:
		return injectedError{generic(codeInternalFailure, "The request processing has failed because of an unknown error, exception or failure.", smithy.FaultServer)}
	case op == "StartExecution" && limit < f.ExecutionLimitRate:
		return injectedError{&types.ExecutionLimitExceeded{Message: ptr("Execution Limit Exceeded")}}
	}
	return nil
}

// decode reads a request body. A body that is not a JSON object is AWS's SerializationException.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return generic(codeSerialization, "Could not parse the request body: "+err.Error(), smithy.FaultClient)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"InternalFailure","message":"could not encode the response"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type startRequest struct {
	StateMachineArn, Name, Input, TraceHeader *string
}

type describeStateMachineWire struct {
	StateMachineArn      string         `json:"stateMachineArn"`
	Name                 string         `json:"name"`
	Status               string         `json:"status"`
	Definition           string         `json:"definition"`
	RoleArn              string         `json:"roleArn"`
	Type                 string         `json:"type"`
	CreationDate         epoch          `json:"creationDate"`
	LoggingConfiguration map[string]any `json:"loggingConfiguration"`
	TracingConfiguration map[string]any `json:"tracingConfiguration"`
}

// executionWire is DescribeExecution's and StartSyncExecution's shape.
type executionWire struct {
	ExecutionArn    string       `json:"executionArn"`
	StateMachineArn string       `json:"stateMachineArn"`
	Name            string       `json:"name"`
	Status          string       `json:"status"`
	StartDate       epoch        `json:"startDate"`
	StopDate        *epoch       `json:"stopDate,omitempty"`
	Input           *string      `json:"input,omitempty"`
	InputDetails    *dataWire    `json:"inputDetails,omitempty"`
	Output          *string      `json:"output,omitempty"`
	OutputDetails   *dataWire    `json:"outputDetails,omitempty"`
	Error           *string      `json:"error,omitempty"`
	Cause           *string      `json:"cause,omitempty"`
	TraceHeader     *string      `json:"traceHeader,omitempty"`
	BillingDetails  *billingWire `json:"billingDetails,omitempty"`
}

type dataWire struct {
	Included bool `json:"included"`
}

type billingWire struct {
	BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
	BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
}

func dataDetails(d *types.CloudWatchEventsExecutionDataDetails) *dataWire {
	if d == nil {
		return nil
	}
	return &dataWire{Included: d.Included}
}

// epoch is a timestamp as the JSON protocol sends it: seconds since the Unix epoch, with
// milliseconds as the fraction.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64), nil
}

func epochPtr(t *time.Time) *epoch {
	if t == nil {
		return nil
	}
	e := epoch(*t)
	return &e
}
