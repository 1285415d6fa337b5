package asl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseAndRun feeds arbitrary definitions and inputs to Parse and, when a definition is
// accepted, runs it with tasks that echo their input: any input must end in a refused definition or
// an execution that finishes or stops when asked, never a panic or a hang. Definitions may loop or
// wait for long, as they may on AWS; those are stopped after a short while.
func FuzzParseAndRun(f *testing.F) {
	for _, p := range []string{"../../statemachines/express.asl.json", "../../statemachines/standard.asl.json"} {
		if b, err := os.ReadFile(filepath.Clean(p)); err == nil {
			f.Add(b, []byte(`{"instance_id":"i-0123456789abcdef0"}`))
		}
	}
	f.Add([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}', $.x)"},"ResultPath":"$.r","End":true}}}`), []byte(`{"x":1}`))
	f.Add([]byte(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"S"}],"Default":"F"},"S":{"Type":"Succeed"},"F":{"Type":"Fail","Error":"E"}}}`), []byte(`{"n":2}`))
	f.Add([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`), []byte(`{"xs":[1,2,3]}`))
	f.Fuzz(func(t *testing.T, definition, input []byte) {
		sm, err := Parse(definition)
		if err != nil {
			return
		}
		if !json.Valid(input) {
			return
		}
		exec := sm.Start(context.Background(), input, Config{Invoker: echoInvoker{}, Clock: NewScaledClock(1e6)})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if exec.Wait(ctx).Status != StatusRunning {
			return
		}
		exec.Stop("Fuzz", "still running")
		stopped, cancelStop := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancelStop()
		if res := exec.Wait(stopped); res.Status == StatusRunning {
			t.Fatalf("execution still running 10 s after Stop")
		}
	})
}

type echoInvoker struct{}

func (echoInvoker) Invoke(_ context.Context, _ string, input json.RawMessage) (json.RawMessage, error) {
	return input, nil
}
