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

// operation serves one X-Amz-Target operation: a JSON 1.0 request body in, a response body out.
type operation func(s *Service, ctx context.Context, body []byte) ([]byte, error)

// operations are the served operations, one line each: the Service method, which takes and
// returns the SDK's own types, is the whole of an operation; op does the wire around it.
var operations = map[string]operation{
	"CreateStateMachine":   op((*Service).CreateStateMachine),
	"DescribeStateMachine": op((*Service).DescribeStateMachine),
	"ListStateMachines":    op((*Service).ListStateMachines),
	"DeleteStateMachine":   op((*Service).DeleteStateMachine),
	"StartExecution":       op((*Service).StartExecution),
	"StartSyncExecution":   op((*Service).StartSyncExecution),
	"DescribeExecution":    op((*Service).DescribeExecution),
	"ListExecutions":       op((*Service).ListExecutions),
	"GetExecutionHistory":  op((*Service).GetExecutionHistory),
	"StopExecution":        op((*Service).StopExecution),
	"TestState":            op((*Service).TestState),
	"SendTaskSuccess":      op((*Service).SendTaskSuccess),
	"SendTaskFailure":      op((*Service).SendTaskFailure),
	"SendTaskHeartbeat":    op((*Service).SendTaskHeartbeat),
}

// op adapts a method with *sfn.Client's signature to the wire: it decodes the body into the
// SDK's input type (a body that does not fit is AWS's SerializationException), calls the method,
// and encodes the SDK's output type as AWS does.
func op[In, Out any](method func(*Service, context.Context, *In, ...func(*sfn.Options)) (*Out, error)) operation {
	return func(s *Service, ctx context.Context, body []byte) ([]byte, error) {
		if len(bytes.TrimSpace(body)) == 0 {
			body = []byte("{}")
		}
		in := new(In)
		if err := unmarshalWire(body, in); err != nil {
			return nil, generic(codeSerialization, "Could not parse the request body: "+err.Error(), smithy.FaultClient)
		}
		out, err := method(s, ctx, in)
		if err != nil {
			return nil, err
		}
		b, err := marshalWire(out)
		if err != nil {
			return nil, fmt.Errorf("encode the answer to %T: %w", in, err)
		}
		return b, nil
	}
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
		body, _ := json.Marshal(struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{code, message})
		writeBody(w, status, body)
		return
	}
	s.log.Debug("step functions call", "operation", op, "status", http.StatusOK,
		"duration", time.Since(began))
	writeBody(w, http.StatusOK, out)
}

func (s *Service) serveOperation(w http.ResponseWriter, r *http.Request, op string) ([]byte, error) {
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

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
