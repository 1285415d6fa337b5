package route

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepgate/stepgate/internal/app/httpapi"
	"github.com/stepgate/stepgate/internal/tasktoken"
)

// SendTaskFailure's limits on error and cause, in characters (Step Functions API reference).
const (
	maxErrorLength = 256
	maxCauseLength = 32768
)

// tokenSource is where a callback route's task token is in a request.
type tokenSource struct {
	from string // FromPath, FromQuery or FromBody; "" for the other modes
	name string // the path parameter, query parameter or body field
}

// parseCallback checks what a callback route declares beyond the other modes: its outcome and
// where its token is. params are the route's path parameters.
func (r *Route) parseCallback(rd routeDoc, params []string) error {
	switch r.Outcome = rd.Outcome; r.Outcome {
	case Success, Failure, Heartbeat:
	default:
		return fmt.Errorf("outcome %q: want %q, %q or %q", rd.Outcome, Success, Failure, Heartbeat)
	}
	if t := rd.Token; t != nil {
		for _, s := range []tokenSource{{FromPath, t.Path}, {FromQuery, t.Query}, {FromBody, t.Body}} {
			if s.name == "" {
				continue
			}
			if r.token.from != "" {
				return errors.New(`token: name one place only, path, query or body`)
			}
			r.token = s
		}
	}
	name := r.token.name
	switch {
	case r.token.from == "":
		return errors.New(`a callback route needs "token": {"path"|"query"|"body": "<name>"}, where requests carry the task token`)
	case r.token.from == FromPath && !slices.Contains(params, name):
		return fmt.Errorf("token.path names %q, which is not a parameter of %s", name, r.Path)
	}
	_, fixed := rd.Input.Fixed[name]
	if fixed || slices.Contains(r.path, name) || slices.Contains(r.query, name) || slices.Contains(r.required, name) {
		return fmt.Errorf("the token %q is also named in input or required: a token is a secret and never goes into a task's output; take it out of them", name)
	}
	if r.Outcome == Heartbeat && (r.body || len(r.path) > 0 || len(r.query) > 0 || len(rd.Input.Fixed) > 0 || len(r.required) > 0) {
		return errors.New("a heartbeat sends Step Functions nothing but the token: remove input and required")
	}
	if len(rd.Errors) > 0 {
		return errors.New(`"errors" maps the errors of the workflow a route starts; a callback route starts none: remove it`)
	}
	return nil
}

// Report is what one request to a callback route reports to Step Functions.
type Report struct {
	// Token is the waiting task's token. It is a secret: logs and answers name it by
	// tasktoken.Hash.
	Token   string
	Outcome Outcome
	// Output is the task's output for Success: the input built from the request as Build builds
	// an execution input (the token left out), encoded canonically.
	Output []byte
	// Error and Cause are a Failure's, from the input's "error" and "cause" fields (a cause that is
	// not a string is sent as its JSON text).
	Error, Cause string
}

// BuildReport reads a callback route's request: the task token from where the route says, then
// for Success the task's output and for Failure its error and cause. Errors are *httpapi.Error:
// 400 InvalidRequest (no token, a body that is not a JSON object, an output larger than the
// 256 KiB Step Functions accepts, an error or cause too long) or a field rule's answer. The
// report's Token is set whenever the request carries one, with an error too, so that the request's
// log can name the task.
func (r *Route) BuildReport(req *events.APIGatewayProxyRequest, params map[string]string) (Report, error) {
	rep := Report{Outcome: r.Outcome}
	var body map[string]any
	if r.body || r.token.from == FromBody {
		var err error
		if body, err = objectBody(req); err != nil {
			return rep, outputTooLarge(err)
		}
	}
	token, err := r.taskToken(req, params, body)
	rep.Token = token
	if err != nil || r.Outcome == Heartbeat {
		return rep, err
	}
	if !r.body {
		body = nil // read for its token only
	}
	in, err := r.build(req, params, body)
	if err != nil {
		return rep, outputTooLarge(err)
	}
	switch r.Outcome {
	case Success:
		if len(in.Canonical) > httpapi.MaxBodyBytes {
			return rep, outputTooLarge(nil)
		}
		rep.Output = in.Canonical
	case Failure:
		rep.Error, rep.Cause, err = failure(in.values)
	}
	return rep, err
}

// taskToken reads the token from where the route says; a body token is taken out of body, so it
// never reaches the output.
func (r *Route) taskToken(req *events.APIGatewayProxyRequest, params map[string]string, body map[string]any) (string, error) {
	var token string
	switch r.token.from {
	case FromPath:
		v, err := url.PathUnescape(params[r.token.name])
		if err != nil {
			return "", httpapi.InvalidRequest("The task token in the path is not validly percent-encoded.")
		}
		token = v
	case FromQuery:
		v, _, err := httpapi.Query(req, r.token.name)
		if err != nil {
			return "", err
		}
		token = v
	case FromBody:
		v, present := body[r.token.name]
		delete(body, r.token.name)
		s, isString := v.(string)
		if present && !isString {
			return "", httpapi.InvalidRequest(fmt.Sprintf("The task token, the body's field %q, must be a string.", r.token.name))
		}
		token = s
	}
	if token == "" {
		where := map[string]string{
			FromPath:  "in the path",
			FromQuery: fmt.Sprintf("as the query parameter %q", r.token.name),
			FromBody:  fmt.Sprintf("as the body's field %q", r.token.name),
		}[r.token.from]
		return "", httpapi.InvalidRequest("This route needs the waiting task's token: send it " + where + ".")
	}
	return token, nil
}

// failure reads a Failure's error and cause from the built input.
func failure(values map[string]any) (errName, cause string, err error) {
	if v, ok := values["error"]; ok {
		s, isString := v.(string)
		switch {
		case !isString:
			return "", "", httpapi.InvalidRequest(`The field "error" must be a string.`)
		case utf8.RuneCountInString(s) > maxErrorLength:
			return "", "", httpapi.InvalidRequest(fmt.Sprintf(`The field "error" must be at most %d characters.`, maxErrorLength))
		}
		errName = s
	}
	if v, ok := values["cause"]; ok {
		s, isString := v.(string)
		if !isString {
			text, err := encode(v)
			if err != nil {
				return "", "", fmt.Errorf("encode the cause: %w", err)
			}
			s = string(text)
		}
		if utf8.RuneCountInString(s) > maxCauseLength {
			return "", "", httpapi.InvalidRequest(fmt.Sprintf(`The field "cause" must be at most %d characters.`, maxCauseLength))
		}
		cause = s
	}
	return errName, cause, nil
}

// outputTooLarge turns the body's 413 into the 400 a callback answers: what is too large is the
// task's output, an invalid callback rather than an input Step Functions would refuse. With a nil
// error it is that 400; any other error is returned as it is.
func outputTooLarge(err error) error {
	var e *httpapi.Error
	if err != nil && (!errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge) {
		return err
	}
	return httpapi.InvalidRequest(fmt.Sprintf("The task's output would be larger than %d bytes, the most Step Functions accepts.", httpapi.MaxBodyBytes))
}

// RedactPath returns a request's path fit for logs: when the route takes its token from the
// path, the token's segment becomes {name:hash} (tasktoken.RedactPath); a path that is not this
// route's is replaced by the route's template. Any other route's path is returned as it is.
func (r *Route) RedactPath(path string) string {
	if r.token.from != FromPath {
		return path
	}
	if redacted, ok := tasktoken.RedactPath(path, r.Path, r.token.name); ok {
		return redacted
	}
	return r.Path
}

// tokenInPath reports whether a request's path to this route carries a task token.
func (r *Route) tokenInPath() bool { return r.token.from == FromPath }
