package asl

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// Bounds that keep the fuzz target fast enough to fuzz. The coverage
// guided fuzzer minimizes every input that finds new coverage, by trying
// quadratically many sub-slices of it, for up to -fuzzminimizetime (60 s by
// default) during which no execs are counted: with the 8 KB
// statemachines/*.asl.json as seeds, nearly every new input was such a
// minimization, and the run showed 0 execs/sec after its first seconds.
// Inputs above these sizes are ignored, so they find no coverage and are
// never minimized; the seeds are small machines with the same features.
const (
	fuzzMaxDefinition = 1024
	fuzzMaxInput      = 256
	// fuzzHistoryLimit replaces the 25,000-event quota, so that a
	// definition that loops fails by the quota within a millisecond or
	// so, deterministically, instead of running until it is stopped.
	fuzzHistoryLimit = 500
	// fuzzStopAfter is how long an execution may run (Waits mostly, at
	// the clock's 1e6 scale) before the target stops it.
	fuzzStopAfter = 10 * time.Millisecond
)

// FuzzParseAndRun feeds arbitrary definitions and inputs to Parse and, when a definition is
// accepted, runs it with tasks that echo their input: any input must end in a refused definition or
// an execution that finishes or stops when asked, never a panic or a hang. Definitions may loop or
// wait for long, as they may on AWS; loops meet the history quota, and waits are stopped after a
// short while.
func FuzzParseAndRun(f *testing.F) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:Fn"
	for _, seed := range []struct{ def, input string }{
		{`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}', $.x)"},"ResultPath":"$.r","End":true}}}`, `{"x":1}`},
		{`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"S"}],"Default":"F"},"S":{"Type":"Succeed"},"F":{"Type":"Fail","Error":"E"}}}`, `{"n":2}`},
		{`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `{"xs":[1,2,3]}`},
		// The shape of statemachines/*.asl.json: a task with Retry and
		// Catch, a Wait, a counter, a loop back bounded by a Choice.
		{`{"TimeoutSeconds":20,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fn + `","ResultPath":"$.check","TimeoutSeconds":5,"Retry":[{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":2}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"F"}],"Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.attempt","NumericGreaterThanEquals":3,"Next":"F"}],"Default":"W"},"W":{"Type":"Wait","Seconds":29,"Next":"I"},"I":{"Type":"Pass","Parameters":{"attempt.$":"States.MathAdd($.attempt, 1)"},"Next":"T"},"F":{"Type":"Fail","Error":"InstanceInTransition"}}}`, `{"instance_id":"i-0123456789abcdef0","attempt":0}`},
		{`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"Fn","Payload.$":"$"},"End":true}}}],"End":true}}}`, `{}`},
		// JSONata and variables.
		{`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"v":"{% $states.input.x %}"},"Output":{"a":"{% $v %}"},"Next":"C"},"C":{"Type":"Choice","Choices":[{"Condition":"{% $v > 1 %}","Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`, `{"x":2}`},
		{`{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"v.$":"$.x"},"Parameters":{"k.$":"$v","h.$":"$.a-b['c\\'d']"},"End":true}}}`, `{"x":1,"a-b":{"c'd":2}}`},
		// Hostile JSONata: a recursion without end, a doubling string.
		{`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% ($f := function($n){ $f($n+1) + 1 }; $f(0)) %}","End":true}}}`, `{}`},
		{`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% ($f := function($s){ $f($s & $s) }; $f('x')) %}","End":true}}}`, `{}`},
	} {
		f.Add([]byte(seed.def), []byte(seed.input))
	}
	f.Fuzz(func(t *testing.T, definition, input []byte) {
		if len(definition) > fuzzMaxDefinition || len(input) > fuzzMaxInput {
			return
		}
		sm, err := Parse(definition)
		if err != nil {
			return
		}
		if !json.Valid(input) {
			return
		}
		exec := sm.Start(context.Background(), input, Config{Invoker: echoInvoker{}, Clock: NewScaledClock(1e6), historyLimit: fuzzHistoryLimit})
		ctx, cancel := context.WithTimeout(context.Background(), fuzzStopAfter)
		defer cancel()
		if exec.Wait(ctx).Status == StatusRunning {
			exec.Stop("Fuzz", "still running")
			stopped, cancelStop := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancelStop()
			if res := exec.Wait(stopped); res.Status == StatusRunning {
				t.Fatalf("execution still running 10 s after Stop")
			}
		}
		h := exec.History()
		if len(h) > fuzzHistoryLimit {
			t.Fatalf("%d history events, quota %d", len(h), fuzzHistoryLimit)
		}
		for i, ev := range h {
			if ev.ID != int64(i)+1 || ev.PreviousEventID >= ev.ID {
				t.Fatalf("event %d: id %d, previous %d", i, ev.ID, ev.PreviousEventID)
			}
		}
		if last := h[len(h)-1]; !closesExecution(last.Type) {
			t.Fatalf("finished execution's last event is %s", last.Type)
		}
	})
}

type echoInvoker struct{}

func (echoInvoker) Invoke(_ context.Context, req TaskRequest) (json.RawMessage, error) {
	return req.Input, nil
}
