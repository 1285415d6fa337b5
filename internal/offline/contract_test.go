package offline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"
)

// checkRequestID: the functions' answers carry X-Request-Id; API Gateway's own answers (they have
// x-amzn-ErrorType) cannot map it, so they carry x-amzn-RequestId and the same ID in the body.
func checkRequestID(t *testing.T, req *http.Request, resp *http.Response, body map[string]any) {
	t.Helper()
	if resp.Header.Get("X-Amzn-ErrorType") == "" {
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id header", req.Method, req.URL.Path)
		}
		return
	}
	id := resp.Header.Get("X-Amzn-RequestId")
	if id == "" || body["requestId"] != id {
		t.Errorf("%s %s: gateway response x-amzn-RequestId %q, body requestId %v: want the same ID in both",
			req.Method, req.URL.Path, id, body["requestId"])
	}
}

// contract is docs/openapi.yaml, loaded once, with a router that matches requests by path alone
// (its servers are replaced by one neutral base, since each test stack listens on its own port).
var contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

const contractBase = "http://stepgate.test"

// undocumented holds the stacks started from a test template rather than template.yaml: their
// routes are that template's, so docs/openapi.yaml does not describe them.
var undocumented sync.Map // *offline.Stack → true

func contractRouter() (routers.Router, error) {
	contract.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(repoRoot, "docs", "openapi.yaml"))
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contract.err = fmt.Errorf("docs/openapi.yaml: %w", err)
			return
		}
		doc.Servers = openapi3.Servers{{URL: contractBase}}
		contract.router, contract.err = legacyrouter.NewRouter(doc)
	})
	return contract.router, contract.err
}

// checkContract validates one end-to-end response against docs/openapi.yaml: its status must be
// documented for the operation, its body must match that response's schema, its headers must be
// the documented ones (each header the response declares required is present and matches its
// schema; a function sets no header the response does not declare). A request to no documented
// operation is answered by API Gateway itself, or by the start function behind /{proxy+}: 404
// NotFound for a path no route serves, 405 MethodNotAllowed with Allow for a route's path with
// another method (the document's description says so).
func checkContract(t *testing.T, req *http.Request, resp *http.Response, raw []byte) {
	t.Helper()
	router, err := contractRouter()
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	probe, err := http.NewRequest(req.Method, contractBase+req.URL.RequestURI(), nil)
	if err != nil {
		t.Fatal(err)
	}
	probe.Header = req.Header.Clone()
	gateway := resp.Header.Get("X-Amzn-ErrorType") != ""
	route, pathParams, err := router.FindRoute(probe)
	if err != nil {
		var body struct{ Error string }
		_ = json.Unmarshal(raw, &body)
		switch {
		case gateway:
		case resp.StatusCode == http.StatusNotFound && body.Error == "NotFound":
		case resp.StatusCode == http.StatusMethodNotAllowed && body.Error == "MethodNotAllowed" && resp.Header.Get("Allow") != "":
		default:
			t.Errorf("%s %s is no operation of docs/openapi.yaml, yet a function answered it %d %s", req.Method, req.URL.Path, resp.StatusCode, raw)
		}
		return
	}
	if !gateway {
		checkDeclaredHeaders(t, req, route, resp)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: pathParams, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d %v %s, which docs/openapi.yaml does not allow: %v", req.Method, req.URL.Path, resp.StatusCode, resp.Header, raw, err)
	}
}

// transportHeaders are set by HTTP and API Gateway on every answer, not by the functions.
var transportHeaders = []string{"Content-Type", "Content-Length", "Date", "X-Amzn-Requestid", "X-Amz-Apigw-Id"}

// checkDeclaredHeaders fails when a function's answer carries a header its documented response
// does not declare (docs/openapi.yaml would then hide something clients receive).
func checkDeclaredHeaders(t *testing.T, req *http.Request, route *routers.Route, resp *http.Response) {
	t.Helper()
	documented := route.Operation.Responses.Status(resp.StatusCode)
	if documented == nil || documented.Value == nil {
		return // ValidateResponse reports an undocumented status
	}
	for name := range resp.Header {
		if slices.Contains(transportHeaders, name) {
			continue
		}
		declared := false
		for h := range documented.Value.Headers {
			declared = declared || http.CanonicalHeaderKey(h) == name
		}
		if !declared {
			t.Errorf("%s %s answered %d with header %s, which docs/openapi.yaml does not declare for it", req.Method, req.URL.Path, resp.StatusCode, name)
		}
	}
}
