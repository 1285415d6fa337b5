package localapi

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Listener wraps ln so that the requests net/http rejects before any handler runs (a request
// line it cannot parse, such as the bad percent-escape of /executions/%ZZ, or malformed headers)
// are answered like every other API Gateway error, in the API's JSON shape through the gateway
// responses, instead of net/http's plain-text "400 Bad Request". net/http offers no hook for these:
// it writes its answer straight to the connection in one write, which is where it is replaced.
func (a *API) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, api: a} }

type listener struct {
	net.Listener
	api *API
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, api: l.api}, nil
}

type conn struct {
	net.Conn
	api *API
}

// net/http's answer to a request it cannot parse: "HTTP/1.1 <code> <text>" + these headers + text.
var plainErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

func (c *conn) Write(p []byte) (int, error) {
	i := bytes.Index(p, plainErrorHeaders)
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || i < 0 || len(p) < len("HTTP/1.1 400") {
		return c.Conn.Write(p)
	}
	status, err := strconv.Atoi(string(p[len("HTTP/1.1 ") : len("HTTP/1.1 ")+3]))
	if err != nil {
		return c.Conn.Write(p)
	}
	message := http.StatusText(status)
	if status == http.StatusBadRequest {
		message = "Bad Request: the request line or a header could not be parsed (a percent-escape that does not decode, such as %ZZ?)"
	}
	if _, err := c.Conn.Write(c.api.renderPlainError(status, message, p[i+len(plainErrorHeaders):])); err != nil {
		return 0, err
	}
	return len(p), nil
}

// renderPlainError renders a whole HTTP/1.1 response for a request net/http rejected, through
// the gateway responses as API Gateway answers a bad request, and logs it as a request.
func (a *API) renderPlainError(status int, message string, detail []byte) []byte {
	typ := typeDefault4XX
	if status >= 500 {
		typ = typeDefault5XX
	}
	// The request could not be parsed, so a stand-in carries what the templates read.
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	req := &request{r: r, requestID: uuid.NewString(), extendedRequestID: newExtendedRequestID(), start: time.Now()}
	rec := &recorder{header: http.Header{}}
	a.gatewayErrorStatus(rec, req, typ, status, message)
	rec.header.Set("Connection", "close")
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	_ = rec.header.Write(&b)
	b.WriteString("\r\n")
	b.Write(rec.body.Bytes())
	a.logger.Info("request", "method", "-", "path", "(unparseable request)", "status", status, "duration", time.Since(req.start),
		"requestId", req.requestID, "error", string(detail))
	return b.Bytes()
}

// recorder collects a response written through http.ResponseWriter.
type recorder struct {
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(int)             {}
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
