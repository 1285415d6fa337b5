package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepgate/stepgate/internal/app/httpapi"
)

// Input is a validated execution input.
type Input struct {
	// Canonical is the execution input encoded canonically: sorted keys, no insignificant white
	// space, numbers exactly as sent. The idempotent replay compares inputs in this form.
	Canonical []byte
	values    map[string]any
}

// Build builds a request's execution input: the JSON body's fields, then the query parameters and
// the path parameters (params, as Match returned them) the route names (a later source wins),
// checked against the field rules and the allowlists, then the fixed values (the template has the
// last word). Errors are *httpapi.Error: 400 InvalidRequest, 413 PayloadTooLarge, or the
// allowlist's error from the route's table.
func (r *Route) Build(req *events.APIGatewayProxyRequest, params map[string]string) (Input, error) {
	var body map[string]any
	if r.body {
		var err error
		if body, err = objectBody(req); err != nil {
			return Input{}, err
		}
	}
	return r.build(req, params, body)
}

// objectBody reads the request's body as a JSON object (400 or 413 otherwise).
func objectBody(req *events.APIGatewayProxyRequest) (map[string]any, error) {
	body, err := httpapi.JSONObjectBody(req)
	if err != nil {
		return nil, err
	}
	v, err := decode(body)
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, httpapi.InvalidRequest("The request body must be a JSON object.")
	}
	return obj, nil
}

// build is Build on the body already read (nil: the route takes none).
func (r *Route) build(req *events.APIGatewayProxyRequest, params map[string]string, body map[string]any) (Input, error) {
	values := body
	if values == nil {
		values = map[string]any{}
	}
	for _, name := range r.query {
		v, ok, err := httpapi.Query(req, name)
		if err != nil {
			return Input{}, err
		}
		if ok {
			values[name] = v
		}
	}
	for _, name := range r.path {
		raw, ok := params[name]
		if !ok {
			continue
		}
		// A REST API passes path parameters still percent-encoded.
		v, err := url.PathUnescape(raw)
		if err != nil {
			return Input{}, httpapi.InvalidRequest(fmt.Sprintf("The path parameter %q is not validly percent-encoded.", name))
		}
		values[name] = v
	}
	for _, name := range r.required {
		if _, ok := values[name]; !ok {
			if _, fixed := r.fixed[name]; !fixed {
				return Input{}, httpapi.InvalidRequest(fmt.Sprintf("The field %q is required.", name))
			}
		}
	}
	for _, name := range r.fieldOrder {
		v, ok := values[name]
		if !ok {
			continue
		}
		f := r.fields[name]
		if s, isString := v.(string); !isString || !f.valid(s) {
			return Input{}, httpapi.InvalidRequest(f.problem())
		}
	}
	for _, name := range r.fieldOrder {
		f := r.fields[name]
		if v, ok := values[name]; ok && f.allow != nil && !f.allow.Allows(v.(string)) {
			e := r.errors[f.allowError]
			return Input{}, httpapi.NewError(e.Status, f.allowError, render(e.Message, values))
		}
	}
	for name, v := range r.fixed {
		values[name] = v
	}
	canonical, err := encode(values)
	if err != nil {
		return Input{}, fmt.Errorf("encode the execution input: %w", err)
	}
	return Input{Canonical: canonical, values: values}, nil
}

// Render fills a message's {field} references with the input's string fields.
func (in Input) Render(message string) string { return render(message, in.values) }

func render(message string, values map[string]any) string {
	if !strings.Contains(message, "{") {
		return message
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(message, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(message[open:], '}')
		if end < 0 {
			break
		}
		name := message[open+1 : open+end]
		s, ok := values[name].(string)
		if !ok {
			s = message[open : open+end+1] // not a field of this input: left as written
		}
		b.WriteString(message[:open])
		b.WriteString(s)
		message = message[open+end+1:]
	}
	b.WriteString(message)
	return b.String()
}

// Canonicalize re-encodes JSON text with object keys sorted, no insignificant white space and
// numbers kept digit for digit, so that two encodings of the same value compare equal byte for
// byte. Of duplicate keys the last wins, as in encoding/json.
func Canonicalize(data []byte) ([]byte, error) {
	// json.Valid also refuses trailing data, which a Decoder would leave unread.
	if !json.Valid(data) {
		return nil, errors.New("canonicalize: not valid JSON text")
	}
	v, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return encode(v)
}

// encode is the canonical encoding: encoding/json sorts map keys, and json.Number keeps digits.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// HTML escaping would rewrite <, > and & and so change the caller's strings for no reason.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
