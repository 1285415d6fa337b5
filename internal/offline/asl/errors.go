package asl

import (
	"errors"
	"fmt"
	"strings"
)

// Error names Step Functions defines. Task errors use the name the resource
// reports (a Lambda function's errorType).
const (
	ErrNameAll                             = "States.ALL"
	ErrNameTaskFailed                      = "States.TaskFailed"
	ErrNameTimeout                         = "States.Timeout"
	ErrNameHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrNameRuntime                         = "States.Runtime"
	ErrNameDataLimitExceeded               = "States.DataLimitExceeded"
	ErrNameIntrinsicFailure                = "States.IntrinsicFailure"
	ErrNameParameterPathFailure            = "States.ParameterPathFailure"
	ErrNameResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrNameBranchFailed                    = "States.BranchFailed"
	ErrNameNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrNamePermissions                     = "States.Permissions"
	ErrNameItemReaderFailed                = "States.ItemReaderFailed"
	ErrNameExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
)

// ErrUnknownResource is wrapped by an Invoker's error when no backend serves
// the task's resource ARN. The engine fails the state with States.Runtime and
// a cause naming the resource.
var ErrUnknownResource = errors.New("unknown resource")

// Failure is a failed task or state: the error name that Retry and Catch
// match with ErrorEquals, and a free-form cause (a Lambda function's error
// JSON, for example).
//
// The error name is called Name rather than Error because a struct cannot
// have both a field and a method named Error, and *Failure must be an error
// so that an Invoker can return it.
type Failure struct {
	Name  string
	Cause string

	located  bool   // the cause already names the state it happened in
	location string // the field whose JSONata expression failed, for EvaluationFailed
	// nullWhenEmpty: an empty Name or Cause was not given (SendTaskFailure
	// without them), and a catcher's error output holds null for it.
	nullWhenEmpty bool
}

// Error implements error.
func (f *Failure) Error() string {
	if f.Cause == "" {
		return f.Name
	}
	return f.Name + ": " + f.Cause
}

func failf(name, format string, args ...any) *Failure {
	return &Failure{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// Problem is one reason a definition is invalid, in the shape AWS reports:
// a code such as SCHEMA_VALIDATION_FAILED, a message, and the JSON pointer
// of the offending field.
type Problem struct {
	Code     string
	Message  string
	Location string
}

func (p Problem) String() string {
	return p.Code + ": " + p.Message + " at " + p.Location
}

// Problem codes AWS uses in InvalidDefinition messages.
const (
	CodeSchemaValidationFailed  = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTransitionTarget = "MISSING_TRANSITION_TARGET"
	CodeInvalidJSONDescription  = "INVALID_JSON_DESCRIPTION"
)

// DefinitionError is returned by Parse for a definition Step Functions would
// refuse with InvalidDefinition. Its message has AWS's format:
// "Invalid State Machine Definition: 'CODE: message at /path, ...'".
type DefinitionError struct {
	Problems []Problem
}

// Error implements error.
func (e *DefinitionError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}

// errorOutput is a catcher's Error or Cause: null when a callback's
// SendTaskFailure left it out, as AWS records it.
func (f *Failure) errorOutput(s string) any {
	if s == "" && f.nullWhenEmpty {
		return nil
	}
	return s
}
