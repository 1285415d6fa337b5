package localapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// API Gateway's response types (GatewayResponseType) that this API produces.
const (
	typeDefault4XX                 = "DEFAULT_4XX"
	typeDefault5XX                 = "DEFAULT_5XX"
	typeMissingAuthenticationToken = "MISSING_AUTHENTICATION_TOKEN"
	typeIntegrationTimeout         = "INTEGRATION_TIMEOUT"
	typeRequestTooLarge            = "REQUEST_TOO_LARGE"
)

// defaultStatus is each response type's own status code.
var defaultStatus = map[string]int{
	typeMissingAuthenticationToken: http.StatusForbidden,
	typeIntegrationTimeout:         http.StatusGatewayTimeout,
	typeRequestTooLarge:            http.StatusRequestEntityTooLarge,
	typeDefault4XX:                 http.StatusBadRequest,
	typeDefault5XX:                 http.StatusInternalServerError,
}

// errorTypeHeader is the x-amzn-ErrorType API Gateway sets on its own errors.
var errorTypeHeader = map[string]string{
	typeMissingAuthenticationToken: "MissingAuthenticationTokenException",
	typeIntegrationTimeout:         "InternalServerErrorException",
	typeRequestTooLarge:            "RequestTooLongException",
	typeDefault4XX:                 "BadRequestException",
	typeDefault5XX:                 "InternalServerErrorException",
}

// defaultTemplate is the body of every unconfigured gateway response.
const defaultTemplate = `{"message":$context.error.messageString}`

func (a *API) gatewayError(w http.ResponseWriter, req *request, responseType, message string) int {
	return a.gatewayErrorStatus(w, req, responseType, defaultStatus[responseType], message)
}

// gatewayErrorStatus answers with API Gateway's own response of responseType. The configuration
// is looked up as API Gateway does: the type itself, else DEFAULT_4XX or DEFAULT_5XX by the
// status class, else the built-in response. status is the type's status for this case (a
// DEFAULT_5XX is a 502 for a function error), kept unless the configuration sets one.
func (a *API) gatewayErrorStatus(w http.ResponseWriter, req *request, responseType string, status int, message string) int {
	gr, ok := a.cfg.GatewayResponses[responseType]
	if !ok {
		fallback := typeDefault5XX
		if status < 500 {
			fallback = typeDefault4XX
		}
		gr = a.cfg.GatewayResponses[fallback]
	}
	if gr.StatusCode != 0 {
		status = gr.StatusCode
	}
	vars := contextVars{req: req, responseType: responseType, message: message}

	contentType, template := "application/json", defaultTemplate
	if len(gr.Templates) > 0 {
		contentType, template = pickTemplate(gr.Templates, req.r.Header.Get("Accept"))
	}
	body := []byte(renderTemplate(template, vars))

	h := w.Header()
	for name, expr := range gr.Headers {
		if v, ok := vars.mapping(expr); ok {
			h[http.CanonicalHeaderKey(name)] = []string{v}
		}
	}
	a.addServiceHeaders(h, req)
	h["X-Amzn-Errortype"] = []string{errorTypeHeader[responseType]}
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	if req.r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return status
}

// pickTemplate chooses the template for the request's Accept header, else application/json,
// else the first content type in order.
func pickTemplate(templates map[string]string, accept string) (string, string) {
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, _ := strings.Cut(part, ";")
		if t, ok := templates[strings.TrimSpace(mediaType)]; ok {
			return strings.TrimSpace(mediaType), t
		}
	}
	if t, ok := templates["application/json"]; ok {
		return "application/json", t
	}
	keys := make([]string, 0, len(templates))
	for k := range templates {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[0], templates[keys[0]]
}

// contextVars resolves the $context variables a gateway response may use.
type contextVars struct {
	req          *request
	responseType string
	message      string
}

func (c contextVars) lookup(name string) (string, bool) {
	r := c.req.r
	switch name {
	case "requestId":
		return c.req.requestID, true
	case "extendedRequestId":
		return c.req.extendedRequestID, true
	case "error.message":
		return c.message, true
	case "error.messageString":
		quoted, _ := json.Marshal(c.message)
		return string(quoted), true
	case "error.responseType":
		return c.responseType, true
	case "error.validationErrorString":
		return "", true
	case "httpMethod":
		return r.Method, true
	case "resourcePath":
		return c.req.resourcePath, true
	case "path":
		return r.URL.EscapedPath(), true
	case "domainName":
		return r.Host, true
	case "protocol":
		return r.Proto, true
	case "identity.sourceIp":
		ip := r.RemoteAddr
		if i := strings.LastIndexByte(ip, ':'); i > 0 {
			ip = strings.Trim(ip[:i], "[]")
		}
		return ip, true
	case "identity.userAgent":
		return r.UserAgent(), true
	}
	return "", false
}

// CheckGatewayResponse rejects what API Gateway rejects when the stack is created: a header mapped
// from anything but a quoted literal or a method.request.header/querystring/path value (a
// context.requestId mapping, for one). The request ID reaches clients anyway, in x-amzn-RequestId.
func CheckGatewayResponse(responseType string, gr GatewayResponse) error {
	for name, expr := range gr.Headers {
		if !isLiteral(expr) && !strings.HasPrefix(expr, "method.request.header.") &&
			!strings.HasPrefix(expr, "method.request.querystring.") && !strings.HasPrefix(expr, "method.request.path.") {
			return fmt.Errorf("gateway response %s: header %s: invalid mapping expression %q: "+
				"only quoted literals and method.request.* values can be mapped", responseType, name, expr)
		}
	}
	return nil
}

func isLiteral(expr string) bool {
	return len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\''
}

// mapping evaluates a response parameter's mapping expression: 'literal' or
// method.request.header.Name (method.request.querystring too). Anything else maps nothing:
// CheckGatewayResponse keeps it out of a configuration.
func (c contextVars) mapping(expr string) (string, bool) {
	switch {
	case isLiteral(expr):
		return expr[1 : len(expr)-1], true
	case strings.HasPrefix(expr, "method.request.header."):
		v := c.req.r.Header.Get(strings.TrimPrefix(expr, "method.request.header."))
		return v, v != ""
	case strings.HasPrefix(expr, "method.request.querystring."):
		v := c.req.r.URL.Query().Get(strings.TrimPrefix(expr, "method.request.querystring."))
		return v, v != ""
	}
	return "", false
}

// renderTemplate substitutes $context.x, ${context.x}, $!context.x and $!{context.x} references,
// the part of Velocity that gateway response templates use. An unknown variable renders as its
// own text, as Velocity does with an undefined reference, and as nothing in its quiet ($!) form.
func renderTemplate(tmpl string, vars contextVars) string {
	if !strings.Contains(tmpl, "$") {
		return tmpl
	}
	var b strings.Builder
	b.Grow(len(tmpl) + 64)
	for {
		i := strings.IndexByte(tmpl, '$')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		ref := tmpl[i:]
		j := 1
		quiet := strings.HasPrefix(ref[j:], "!")
		if quiet {
			j++
		}
		braced := strings.HasPrefix(ref[j:], "{")
		if braced {
			j++
		}
		if !strings.HasPrefix(ref[j:], "context.") {
			b.WriteByte('$')
			tmpl = tmpl[i+1:]
			continue
		}
		k := j + len("context.")
		for k < len(ref) && (isIdentByte(ref[k]) || ref[k] == '.' && k+1 < len(ref) && isIdentByte(ref[k+1])) {
			k++
		}
		name := ref[j+len("context.") : k]
		end := k
		if braced {
			if k >= len(ref) || ref[k] != '}' {
				b.WriteByte('$')
				tmpl = tmpl[i+1:]
				continue
			}
			end++
		}
		if v, ok := vars.lookup(name); ok {
			b.WriteString(v)
		} else if !quiet {
			b.WriteString(ref[:end])
		}
		tmpl = ref[end:]
	}
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
