package localsfn

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// Error codes that have no typed error in the SDK; they come back as *smithy.GenericAPIError.
const (
	codeThrottling      = "ThrottlingException"
	codeInternalFailure = "InternalFailure"
	codeSerialization   = "SerializationException"
	codeUnknownOp       = "UnknownOperationException"
)

// The constructors return the SDK's own error types, so that in-process callers match them with
// errors.As exactly as they would match errors from a real *sfn.Client.

func errInvalidArn(reason string) error {
	return &types.InvalidArn{Message: ptr(fmt.Sprintf("Invalid Arn: '%s'", reason))}
}

func errInvalidName(name string) error {
	return &types.InvalidName{Message: ptr(fmt.Sprintf("Invalid Name: '%s'", name))}
}

func errValidation(format string, args ...any) error {
	return &types.ValidationException{Message: ptr(fmt.Sprintf(format, args...))}
}

// errConstraint is the message AWS's request validation gives for a model constraint.
func errConstraint(field, constraint string) error {
	return errValidation("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
}

func errStateMachineDoesNotExist(arn string) error {
	return &types.StateMachineDoesNotExist{Message: ptr(fmt.Sprintf("State Machine Does Not Exist: '%s'", arn))}
}

func errExecutionDoesNotExist(arn string) error {
	return &types.ExecutionDoesNotExist{Message: ptr(fmt.Sprintf("Execution Does Not Exist: '%s'", arn))}
}

func errTypeNotSupported(typ types.StateMachineType) error {
	return &types.StateMachineTypeNotSupported{Message: ptr(fmt.Sprintf("This operation is not supported by this type of state machine: %s", typ))}
}

func errInvalidToken() error {
	return &types.InvalidToken{Message: ptr("Invalid Token: 'The pagination token is not valid'")}
}

func generic(code, message string, fault smithy.ErrorFault) error {
	return &smithy.GenericAPIError{Code: code, Message: message, Fault: fault}
}

// httpError turns an error from a Service method into the status code, __type and message of
// an AWS JSON 1.0 error response. Anything that is not an API error is an internal failure: its
// text goes to the log, never to the client.
func httpError(err error) (status int, code, message string) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return http.StatusInternalServerError, codeInternalFailure, "The request processing has failed because of an unknown error, exception or failure."
	}
	status = http.StatusBadRequest
	switch {
	case apiErr.ErrorCode() == "ServiceUnavailable":
		status = http.StatusServiceUnavailable
	case apiErr.ErrorFault() == smithy.FaultServer:
		status = http.StatusInternalServerError
	}
	return status, apiErr.ErrorCode(), apiErr.ErrorMessage()
}

func ptr[T any](v T) *T { return &v }
