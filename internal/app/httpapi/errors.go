package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"
)

const (
	codeInternal    = "InternalError"
	messageInternal = "The service could not complete the request; the error has been logged with this requestId."
)

// Error is an error that knows its HTTP answer. Code and Message are shown to the caller, so they
// never hold SDK text; Err keeps the underlying cause for the logs.
type Error struct {
	Status  int
	Code    string
	Message string
	// Fields are added to the error body next to error, message and requestId.
	Fields map[string]any
	// Headers are added to the response (for example Retry-After).
	Headers map[string]string
	// Err is the cause, logged and never sent.
	Err error
}

// NewError returns an *Error with the given status, code and caller-facing message.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// InvalidRequest is the 400 answer to a request the caller must change.
func InvalidRequest(message string) *Error {
	return NewError(http.StatusBadRequest, "InvalidRequest", message)
}

// Error implements error; it includes the cause for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// With returns a copy of e with an extra body field.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Fields = withEntry(e.Fields, key, value)
	return &c
}

// Wrap returns a copy of e whose cause is err.
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// WithHeader returns a copy of e whose response carries the header.
func (e *Error) WithHeader(key, value string) *Error {
	c := *e
	c.Headers = withEntry(e.Headers, key, value)
	return &c
}

// withEntry returns a copy of m with key set to value: an Error's copies never share a map.
func withEntry[V any](m map[string]V, key string, value V) map[string]V {
	out := make(map[string]V, len(m)+1)
	maps.Copy(out, m)
	out[key] = value
	return out
}

// Internal is the generic 500 answer; its cause is logged, never shown.
func Internal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: codeInternal, Message: messageInternal, Err: err}
}

// AsError maps any error to the *Error that answers it. This is the one place that decides:
//   - an *Error anywhere in the chain answers for itself;
//   - AWS throttling → 429 Throttled with Retry-After: 1;
//   - ExecutionLimitExceeded → 503 with Retry-After: 5;
//   - everything else (StateMachineDoesNotExist, AccessDenied*, network failures, unknown codes)
//     → 500 InternalError with a generic message; the cause stays in Err for the logs.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); {
		case code == "ThrottlingException" || code == "KmsThrottlingException" ||
			code == "TooManyRequestsException" || code == "RequestLimitExceeded":
			return &Error{
				Status: http.StatusTooManyRequests, Code: "Throttled",
				Message: "AWS Step Functions is throttling requests; retry after the delay in Retry-After.",
				Headers: map[string]string{"Retry-After": "1"}, Err: err,
			}
		case code == "ExecutionLimitExceeded":
			return &Error{
				Status: http.StatusServiceUnavailable, Code: "ExecutionLimitExceeded",
				Message: "Too many executions are running; retry after the delay in Retry-After.",
				Headers: map[string]string{"Retry-After": "5"}, Err: err,
			}
		case strings.HasPrefix(code, "AccessDenied"):
			return Internal(err)
		}
	}
	if errors.Is(err, context.Canceled) {
		return Internal(fmt.Errorf("request canceled: %w", err))
	}
	return Internal(err)
}

type errorBody struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

// ErrorResponse renders err (mapped by AsError) as the error body
// {"error","message","requestId", ...fields} with the error's headers.
func ErrorResponse(requestID string, err error) events.APIGatewayProxyResponse {
	e := AsError(err)
	body := make(map[string]any, 3+len(e.Fields))
	for k, v := range e.Fields {
		body[k] = v
	}
	// The three fixed fields win over any extra field of the same name.
	body["error"] = e.Code
	body["message"] = e.Message
	body["requestId"] = requestID
	resp := JSON(requestID, e.Status, body)
	for k, v := range e.Headers {
		resp.Headers[k] = v
	}
	return resp
}

// MaybeJSON returns s as raw JSON when it is valid JSON text, and as a JSON string otherwise, so
// that a cause such as `{"errorMessage":…}` is shown parsed rather than as a string in a string.
func MaybeJSON(s string) json.RawMessage {
	if s != "" && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s) // marshalling a string cannot fail
	return b
}
