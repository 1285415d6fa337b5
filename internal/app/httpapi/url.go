package httpapi

import (
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// ExecutionURL is the absolute URL of GET /executions/{executionArn} as this caller reaches the
// API: the scheme and host it used, and the base path (stage or custom-domain mapping) found by
// removing from the path it called (requestContext.path) as many segments as the route's resource
// matched, so templated resources (/orders/{order_id}) and greedy ones (/{proxy+}) work too.
func ExecutionURL(req *events.APIGatewayProxyRequest, executionARN string) string {
	scheme := "https"
	if proto, ok := Header(req, "X-Forwarded-Proto"); ok {
		if p := strings.ToLower(strings.TrimSpace(strings.Split(proto, ",")[0])); p == "http" || p == "https" {
			scheme = p
		}
	}
	host, _ := Header(req, "Host")
	if !validHost(host) {
		host = req.RequestContext.DomainName
	}
	rel := basePath(req) + "/executions/" + EscapeARN(executionARN)
	if !validHost(host) {
		return rel
	}
	return scheme + "://" + host + rel
}

// basePath is what precedes the matched resource in the path as called. A greedy {name+} segment
// matched as many segments as its parameter holds; "" when the path is shorter than the match.
func basePath(req *events.APIGatewayProxyRequest) string {
	matched := 0
	if resource := strings.Trim(req.Resource, "/"); resource != "" {
		for _, seg := range strings.Split(resource, "/") {
			name, greedy := strings.CutSuffix(strings.TrimPrefix(seg, "{"), "+}")
			if !greedy {
				matched++
				continue
			}
			if v := strings.Trim(req.PathParameters[name], "/"); v != "" {
				matched += strings.Count(v, "/") + 1
			}
		}
	}
	path := strings.TrimRight(req.RequestContext.Path, "/")
	for range matched {
		i := strings.LastIndexByte(path, '/')
		if i < 0 {
			return ""
		}
		path = path[:i]
	}
	return path
}

// validHost accepts a host[:port] without characters that could change the URL's meaning.
func validHost(host string) bool {
	return host != "" && !strings.ContainsAny(host, "/\\?#@ \t\r\n")
}

// EscapeARN escapes an ARN as one path segment. url.PathEscape leaves ':' alone (it is legal in
// a segment), but the API documents the ARN as URL-encoded, so colons are escaped too.
func EscapeARN(arn string) string {
	var b strings.Builder
	for i := 0; i < len(arn); i++ {
		c := arn[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
