package offline_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
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
// documented for the operation, and its body must match that response's schema. A request to no
// documented operation can only be answered by API Gateway itself.
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
	route, pathParams, err := router.FindRoute(probe)
	if err != nil {
		if resp.Header.Get("X-Amzn-ErrorType") == "" {
			t.Errorf("%s %s is no operation of docs/openapi.yaml, yet a function answered it (%d)", req.Method, req.URL.Path, resp.StatusCode)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: pathParams, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d %s, which docs/openapi.yaml does not allow: %v", req.Method, req.URL.Path, resp.StatusCode, raw, err)
	}
}
