package asl

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fakeInvoker serves resources from a map of functions.
type fakeInvoker map[string]func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

func (f fakeInvoker) Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error) {
	fn, ok := f[req.Resource]
	if !ok {
		return nil, &unknownResourceError{req.Resource}
	}
	// A fake stands for the whole job of a callback task (.sync).
	out, err := fn(ctx, req.Input)
	if err != nil {
		return nil, err
	}
	return req.Complete(out)
}

type unknownResourceError struct{ resource string }

func (e *unknownResourceError) Error() string { return "no fake for " + e.resource }
func (e *unknownResourceError) Unwrap() error { return ErrUnknownResource }

// fastClock makes waits effectively instant so tests never depend on speed.
var fastClock = NewScaledClock(1e6)

const testExecutionARN = "arn:aws:states:us-east-1:123456789012:execution:M:e1"

func mustParse(t *testing.T, def string) *StateMachine {
	t.Helper()
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return sm
}

func runMachine(t *testing.T, def, input string, inv Invoker) (Result, []HistoryEvent) {
	t.Helper()
	sm := mustParse(t, def)
	exec := sm.Start(context.Background(), json.RawMessage(input), Config{
		Invoker: inv,
		Clock:   fastClock,
		Context: ContextObject{
			Execution:    ExecutionContext{ID: testExecutionARN, Name: "e1", RoleARN: "arn:aws:iam::123456789012:role/r", StartTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
			StateMachine: StateMachineContext{ID: "arn:aws:states:us-east-1:123456789012:stateMachine:M", Name: "M"},
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := exec.Wait(ctx)
	if res.Status == StatusRunning {
		t.Fatalf("execution still running after 30s")
	}
	return res, exec.History()
}

// expectRun runs def on input and checks the status, the error name and, when wantOutput is not
// empty, the output.
func expectRun(t *testing.T, def, input, wantStatus, wantError, wantOutput string) {
	t.Helper()
	res, _ := runMachine(t, def, input, nil)
	if res.Status != wantStatus || res.Error != wantError {
		t.Fatalf("result = %s %q (%s), want %s %q", res.Status, res.Error, res.Cause, wantStatus, wantError)
	}
	if wantOutput != "" {
		jsonEqual(t, res.Output, wantOutput)
	}
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("output = %s, want %s", got, want)
	}
}

func eventTypes(h []HistoryEvent) []string {
	out := make([]string, len(h))
	for i, e := range h {
		out[i] = e.Type
	}
	return out
}
