package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/offline"
)

// make invoke uses an endpoint only when a stepgate offline stack answers there: not whatever
// holds the port (LocalStack's default is 4566 too), not nothing.
func TestProbe(t *testing.T) {
	stepgate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != offline.HealthPath {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(offline.Health{Service: offline.HealthService, PID: 42})
	}))
	defer stepgate.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// LocalStack answers its own health route and anything else with JSON of its own.
		_, _ = w.Write([]byte(`{"services":{"stepfunctions":"running"}}`))
	}))
	defer other.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	if h, err := probe(context.Background(), stepgate.URL); err != nil || h.PID != 42 {
		t.Fatalf("stepgate stack: %+v, %v", h, err)
	}
	for name, url := range map[string]string{"another service": other.URL, "nothing": closed.URL} {
		if _, err := probe(context.Background(), url); err == nil {
			t.Errorf("%s at %s taken for a stepgate stack", name, url)
		} else if !strings.Contains(err.Error(), "nothing answers") && !strings.Contains(err.Error(), "not a stepgate offline stack") {
			t.Errorf("%s: unclear error %v", name, err)
		}
	}
}
