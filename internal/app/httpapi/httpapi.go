// Package httpapi turns API Gateway REST proxy events into validated request data and turns
// results and errors into JSON responses. It is the one place where an error becomes an HTTP
// status, so every route answers failures with the same shape and the same codes.
package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// MaxBodyBytes is the largest body accepted: Step Functions' 256 KiB execution-input limit.
// A bigger body could never start an execution, so it is refused before any AWS call.
const MaxBodyBytes = 256 * 1024

// Header returns the first value of the named request header, matched case-insensitively
// (API Gateway keeps the client's spelling) in Headers, then in MultiValueHeaders.
func Header(req *events.APIGatewayProxyRequest, name string) (string, bool) {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// HeaderValues returns every value of the named request header. API Gateway fills both Headers
// (last value) and MultiValueHeaders (all values); the latter wins when present so that a repeated
// header can be detected.
func HeaderValues(req *events.APIGatewayProxyRequest, name string) []string {
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return []string{v}
		}
	}
	return nil
}

// Query returns the value of a query parameter, and whether the request has it. API Gateway
// fills two maps: multiValueQueryStringParameters with every value and queryStringParameters with
// the last one. A parameter given more than once is ambiguous, so it is answered 400
// InvalidRequest rather than one value being picked silently.
func Query(req *events.APIGatewayProxyRequest, name string) (string, bool, error) {
	if vs, ok := req.MultiValueQueryStringParameters[name]; ok {
		switch len(vs) {
		case 0:
		case 1:
			return vs[0], true, nil
		default:
			return "", false, InvalidRequest(fmt.Sprintf("The query parameter %q must be given at most once.", name))
		}
	}
	v, ok := req.QueryStringParameters[name]
	return v, ok, nil
}

// JSONObjectBody returns the request body, base64-decoded when API Gateway marked it so, after
// checking its size and that it is a single JSON object. The Content-Type is deliberately ignored:
// `curl -d` sends form encoding for what is really JSON. Errors are *Error values (400 or 413).
func JSONObjectBody(req *events.APIGatewayProxyRequest) ([]byte, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		// Refuse before decoding so a huge body costs no allocation.
		if len(req.Body) > base64.StdEncoding.EncodedLen(MaxBodyBytes) {
			return nil, payloadTooLarge()
		}
		decoded, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, InvalidRequest("The request body is marked base64-encoded but is not valid base64.")
		}
		body = decoded
	}
	if len(body) > MaxBodyBytes {
		return nil, payloadTooLarge()
	}
	if !json.Valid(body) {
		return nil, InvalidRequest("The request body must be a JSON object.")
	}
	if !isObject(body) {
		return nil, InvalidRequest("The request body must be a JSON object, not another JSON value.")
	}
	return body, nil
}

// isObject reports whether valid JSON text is an object (its first non-space byte is '{').
func isObject(body []byte) bool {
	s := strings.TrimLeft(string(body), " \t\r\n")
	return strings.HasPrefix(s, "{")
}

func payloadTooLarge() *Error {
	return NewError(http.StatusRequestEntityTooLarge, "PayloadTooLarge",
		fmt.Sprintf("The request body is larger than %d bytes, the Step Functions input limit.", MaxBodyBytes))
}

// JSON builds a JSON response with the headers every response carries. A value that cannot be
// marshalled is a programming error; it is answered 500 rather than sent half-written.
func JSON(requestID string, status int, body any) events.APIGatewayProxyResponse {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(errorBody{Error: codeInternal, Message: messageInternal, RequestID: requestID})
	}
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type": "application/json",
			"X-Request-Id": requestID,
		},
		Body: string(data),
	}
}
