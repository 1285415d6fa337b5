package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// mockInvoker serves a case's Task resources with the behaviours that
// tools/node/local-sfn-batch.mjs implements on the Node side; the two must
// stay identical, or every disagreement is the harness's, not the engine's.
// One mockInvoker serves one execution: failOnce counts calls per execution.
type mockInvoker struct {
	behaviours map[string]string // resource ARN → behaviour

	mu    sync.Mutex
	calls map[string]int
}

var _ asl.Invoker = (*mockInvoker)(nil)

func newMockInvoker(behaviours map[string]string) *mockInvoker {
	return &mockInvoker{behaviours: behaviours, calls: map[string]int{}}
}

// mockCause is the cause every failing mock reports.
const mockCause = "boom"

// Invoke implements asl.Invoker.
func (m *mockInvoker) Invoke(_ context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	resource, input := req.Resource, req.Input
	behaviour, ok := m.behaviours[resource]
	if !ok {
		return nil, fmt.Errorf("conformance mock: %w: %s", asl.ErrUnknownResource, resource)
	}
	kind, arg, _ := strings.Cut(behaviour, ":")
	switch kind {
	case "echo":
		return input, nil
	case "double":
		return double(input)
	case "fail":
		return nil, &asl.Failure{Name: arg, Cause: mockCause}
	case "failOnce":
		m.mu.Lock()
		m.calls[resource]++
		first := m.calls[resource] == 1
		m.mu.Unlock()
		if first {
			return nil, &asl.Failure{Name: arg, Cause: mockCause}
		}
		return input, nil
	case "constant":
		if !json.Valid([]byte(arg)) {
			return nil, fmt.Errorf("conformance mock: constant for %s is not JSON: %s", resource, arg)
		}
		return json.RawMessage(arg), nil
	default:
		return nil, fmt.Errorf("conformance mock: unknown behaviour %q for %s", behaviour, resource)
	}
}

// double returns {"n": input.n * 2}. Integers stay integers, as they do in
// JavaScript's JSON output; a missing or non-numeric n gives null, as
// JavaScript's NaN does.
func double(input json.RawMessage) (json.RawMessage, error) {
	var in struct {
		N json.Number `json:"n"`
	}
	dec := json.NewDecoder(strings.NewReader(string(input)))
	dec.UseNumber()
	if dec.Decode(&in) != nil {
		return json.RawMessage(`{"n":null}`), nil
	}
	if i, err := in.N.Int64(); err == nil && i > -1<<52 && i < 1<<52 {
		return json.Marshal(map[string]int64{"n": i * 2})
	}
	if f, err := in.N.Float64(); err == nil {
		return json.Marshal(map[string]float64{"n": f * 2})
	}
	return json.RawMessage(`{"n":null}`), nil
}
