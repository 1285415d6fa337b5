package asl

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

const sqsWait = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"

// waitingTask is a callback task that sends its token to a queue, as AWS's
// documented example does.
func waitingTask(extra string) string {
	return fmt.Sprintf(`{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":%q,%s
		"Parameters":{"QueueUrl":"q","MessageBody":{"Message.$":"$.m","TaskToken.$":"$$.Task.Token"}},
		"End":true}}}`, sqsWait, extra)
}

// queue stands for SQS: it answers SendMessage and hands each request to the
// test, as a worker would receive the message.
type queue chan TaskRequest

func (q queue) Invoke(_ context.Context, req TaskRequest) (json.RawMessage, error) {
	q <- req
	return json.RawMessage(`{"MessageId":"m-1","MD5OfMessageBody":"d41d8cd98f00b204e9800998ecf8427e"}`), nil
}

// startWaiting starts def with the queue as its invoker and a registry the
// test holds; the execution runs in the caller's synctest bubble.
func startWaiting(t *testing.T, def, input string, inv Invoker) (*Execution, *TaskTokens) {
	t.Helper()
	tokens := NewTaskTokens()
	exec := mustParse(t, def).Start(context.Background(), json.RawMessage(input), Config{
		Invoker: inv, Tokens: tokens,
		Context: ContextObject{Execution: ExecutionContext{ID: testExecutionARN, Name: "e1"}},
	})
	return exec, tokens
}

// messageToken is the token the task put in its message.
func messageToken(t *testing.T, req TaskRequest) string {
	t.Helper()
	var in struct {
		MessageBody struct{ TaskToken string }
	}
	if err := json.Unmarshal(req.Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.MessageBody.TaskToken == "" || in.MessageBody.TaskToken != req.TaskToken {
		t.Fatalf("message token %q, request token %q: $$.Task.Token must be the task's token", in.MessageBody.TaskToken, req.TaskToken)
	}
	return req.TaskToken
}

func TestCallbackOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		def       string
		answer    func(t *testing.T, tokens *TaskTokens, token string) // what the worker does; nil: nothing
		wantRes   Result
		wantTypes []string
		late      error // what a callback after the end gets
		attempts  int   // the task's attempts; 0: 1
	}{
		{
			name:    "SendTaskSuccess: the output is the task's result",
			def:     waitingTask(""),
			answer:  func(t *testing.T, r *TaskTokens, token string) { must(t, r.Succeed(token, `{"approved":true}`)) },
			wantRes: Result{Status: StatusSucceeded, Output: json.RawMessage(`{"approved":true}`)},
			wantTypes: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
				"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
			late: ErrTaskTimedOut,
		},
		{
			name:      "SendTaskFailure: the task fails with its error and cause",
			def:       waitingTask(""),
			answer:    func(t *testing.T, r *TaskTokens, token string) { must(t, r.Fail(token, "Rejected", "no budget")) },
			wantRes:   Result{Status: StatusFailed, Error: "Rejected", Cause: "no budget"},
			wantTypes: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskFailed", "ExecutionFailed"},
			late:      ErrTaskTimedOut,
		},
		{
			name: "SendTaskFailure without an error: States.ALL catches it, Error and Cause are null",
			def: fmt.Sprintf(`{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":%q,
				"Parameters":{"MessageBody":{"TaskToken.$":"$$.Task.Token"}},
				"Catch":[{"ErrorEquals":["States.Runtime"],"Next":"No"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
				"No":{"Type":"Fail"},"Caught":{"Type":"Pass","End":true}}}`, sqsWait),
			answer:  func(t *testing.T, r *TaskTokens, token string) { must(t, r.Fail(token, "", "")) },
			wantRes: Result{Status: StatusSucceeded, Output: json.RawMessage(`{"m":"hi","err":{"Error":null,"Cause":null}}`)},
			wantTypes: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskFailed",
				"TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"},
		},
		{
			name:      "no callback within TimeoutSeconds: States.Timeout",
			def:       waitingTask(`"TimeoutSeconds":5,`),
			wantRes:   Result{Status: StatusFailed, Error: ErrNameTimeout},
			wantTypes: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskTimedOut", "ExecutionFailed"},
			late:      ErrTaskTimedOut,
		},
		{
			name: "heartbeats keep a task alive past HeartbeatSeconds",
			def:  waitingTask(`"HeartbeatSeconds":10,"TimeoutSeconds":100,`),
			answer: func(t *testing.T, r *TaskTokens, token string) {
				for range 5 {
					time.Sleep(8 * time.Second)
					must(t, r.Heartbeat(token))
				}
				must(t, r.Succeed(token, `"alive after 40 s"`))
			},
			wantRes: Result{Status: StatusSucceeded, Output: json.RawMessage(`"alive after 40 s"`)},
			wantTypes: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
				"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
		},
		{
			name: "no heartbeat within HeartbeatSeconds: States.HeartbeatTimeout, which a retrier sees",
			def: waitingTask(`"HeartbeatSeconds":10,"TimeoutSeconds":100,
				"Retry":[{"ErrorEquals":["States.HeartbeatTimeout"],"MaxAttempts":1,"IntervalSeconds":1}],`),
			answer: func(t *testing.T, r *TaskTokens, token string) {
				time.Sleep(5 * time.Second)
				must(t, r.Heartbeat(token))
			},
			wantRes: Result{Status: StatusFailed, Error: ErrNameHeartbeatTimeout},
			wantTypes: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskTimedOut",
				"TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskTimedOut", "ExecutionFailed"},
			late:     ErrTaskTimedOut,
			attempts: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := make(queue, 1)
				exec, tokens := startWaiting(t, tt.def, `{"m":"hi"}`, q)
				var token string
				for range max(tt.attempts, 1) {
					token = messageToken(t, <-q)
					if tt.answer != nil {
						tt.answer(t, tokens, token)
					}
				}
				res := exec.Wait(context.Background())
				if res.Status != tt.wantRes.Status || res.Error != tt.wantRes.Error || res.Cause != tt.wantRes.Cause {
					t.Fatalf("result = %+v, want %+v", res, tt.wantRes)
				}
				if tt.wantRes.Output != nil {
					jsonEqual(t, res.Output, string(tt.wantRes.Output))
				}
				if got := eventTypes(exec.History()); !slices.Equal(got, tt.wantTypes) {
					t.Errorf("history = %v\nwant      %v", got, tt.wantTypes)
				}
				if tt.late != nil {
					if err := tokens.Succeed(token, `{}`); !errors.Is(err, tt.late) {
						t.Errorf("a callback after the end = %v, want %v", err, tt.late)
					}
				}
			})
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The history records the integration's answer when it takes the task, and
// the callback's output when it comes back, as AWS records them.
func TestCallbackHistoryDetails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := make(queue, 1)
		exec, tokens := startWaiting(t, waitingTask(`"HeartbeatSeconds":60,"TimeoutSeconds":600,`), `{"m":"hi"}`, q)
		req := <-q
		must(t, tokens.Succeed(messageToken(t, req), `"ok"`))
		exec.Wait(context.Background())
		h := exec.History()
		byType := map[string]HistoryEvent{}
		for _, ev := range h {
			byType[ev.Type] = ev
		}
		s := byType[EventTaskScheduled].TaskScheduledEventDetails
		if s.ResourceType != "sqs" || s.Resource != "sendMessage.waitForTaskToken" || s.TimeoutInSeconds != 600 || s.HeartbeatInSeconds != 60 ||
			!strings.Contains(s.Parameters, `"TaskToken":"`+req.TaskToken+`"`) {
			t.Errorf("TaskScheduled = %+v", s)
		}
		sub := byType[EventTaskSubmitted].TaskSubmittedEventDetails
		if sub == nil || sub.Resource != "sendMessage.waitForTaskToken" || *sub.Output != `{"MessageId":"m-1","MD5OfMessageBody":"d41d8cd98f00b204e9800998ecf8427e"}` {
			t.Errorf("TaskSubmitted = %+v", sub)
		}
		if out := byType[EventTaskSucceeded].TaskSucceededEventDetails.Output; *out != `"ok"` {
			t.Errorf("TaskSucceeded output = %s", *out)
		}
		wire, err := json.Marshal(byType[EventTaskSubmitted])
		if err != nil || !strings.Contains(string(wire), `"taskSubmittedEventDetails":{"resourceType":"sqs","resource":"sendMessage.waitForTaskToken","output":`) {
			t.Errorf("TaskSubmitted on the wire: %s, %v", wire, err)
		}
	})
}

// A worker may answer before the integration's call returns (a Lambda
// function that calls SendTaskSuccess itself): the outcome waits for the task.
func TestCallbackBeforeTheIntegrationReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tokens *TaskTokens
		inv := InvokerFunc(func(_ context.Context, req TaskRequest) (json.RawMessage, error) {
			if err := tokens.Heartbeat(req.TaskToken); err != nil {
				return nil, err
			}
			if err := tokens.Succeed(req.TaskToken, `{"early":true}`); err != nil {
				return nil, err
			}
			return json.RawMessage(`{"StatusCode":202}`), nil
		})
		def := `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
			"Parameters":{"FunctionName":"Fn","Payload":{"token.$":"$$.Task.Token"}},"HeartbeatSeconds":5,"End":true}}}`
		sm := mustParse(t, def)
		tokens = NewTaskTokens()
		exec := sm.Start(context.Background(), nil, Config{Invoker: inv, Tokens: tokens,
			Context: ContextObject{Execution: ExecutionContext{ID: testExecutionARN}}})
		res := exec.Wait(context.Background())
		if res.Status != StatusSucceeded || string(res.Output) != `{"early":true}` {
			t.Fatalf("result = %+v", res)
		}
		for _, ev := range exec.History() {
			if d := ev.TaskSubmittedEventDetails; d != nil {
				// lambda:invoke's answer is the Invoke response around the function's.
				if d.ResourceType != "lambda" || d.Resource != "invoke.waitForTaskToken" || !strings.Contains(*d.Output, `"Payload":{"StatusCode":202}`) {
					t.Errorf("TaskSubmitted = %+v", d)
				}
			}
		}
	})
}

// Each attempt of a retried callback task has a token of its own; the old
// one is closed.
func TestCallbackRetryGetsANewToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := make(queue, 1)
		exec, tokens := startWaiting(t, waitingTask(`"Retry":[{"ErrorEquals":["Again"],"IntervalSeconds":1}],`), `{"m":"hi"}`, q)
		first := messageToken(t, <-q)
		must(t, tokens.Fail(first, "Again", ""))
		second := messageToken(t, <-q)
		if second == first {
			t.Fatal("the retry reused the token")
		}
		if err := tokens.Succeed(first, `1`); !errors.Is(err, ErrTaskTimedOut) {
			t.Errorf("the first attempt's token = %v, want ErrTaskTimedOut", err)
		}
		must(t, tokens.Succeed(second, `2`))
		if res := exec.Wait(context.Background()); string(res.Output) != `2` {
			t.Errorf("result = %+v", res)
		}
	})
}

// Stopping the execution ends the wait; the token is closed.
func TestCallbackStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := make(queue, 1)
		exec, tokens := startWaiting(t, waitingTask(""), `{"m":"hi"}`, q)
		token := messageToken(t, <-q)
		synctest.Wait()
		exec.Stop("Cancelled", "by the test")
		if res := exec.Wait(context.Background()); res.Status != StatusAborted {
			t.Fatalf("result = %+v", res)
		}
		if err := tokens.Heartbeat(token); !errors.Is(err, ErrTaskTimedOut) {
			t.Errorf("heartbeat after the stop = %v, want ErrTaskTimedOut", err)
		}
	})
}

// An integration that fails to take a callback task fails it at once: no
// TaskSubmitted, nothing to wait for.
func TestCallbackIntegrationFails(t *testing.T) {
	inv := InvokerFunc(func(context.Context, TaskRequest) (json.RawMessage, error) {
		return nil, &Failure{Name: "SQS.QueueDoesNotExistException", Cause: "no queue"}
	})
	res, h := runMachine(t, waitingTask(""), `{"m":"hi"}`, inv)
	if res.Status != StatusFailed || res.Error != "SQS.QueueDoesNotExistException" {
		t.Fatalf("result = %+v", res)
	}
	if slices.Contains(eventTypes(h), EventTaskSubmitted) {
		t.Errorf("history = %v", eventTypes(h))
	}
}

func TestTaskTokens(t *testing.T) {
	r := NewTaskTokens()
	w, err := r.issue()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewTaskTokens().issue()
	w2, _ := r.issue()

	t.Run("tokens look like AWS's and are unguessable", func(t *testing.T) {
		if len(w.token) < 600 || !strings.HasSuffix(w.token, "==") {
			t.Errorf("token %q: want AWS's length (~650 characters) and base64 padding", w.token)
		}
		if _, err := base64.StdEncoding.DecodeString(w.token); err != nil {
			t.Errorf("token is not base64: %v", err)
		}
		if w.token == w2.token || w.token[10:] == other.token[10:] {
			t.Error("two tokens are equal")
		}
	})
	tests := []struct {
		name  string
		token string
		call  func(token string) error
		want  error
	}{
		{"not a token", "not-a-token", func(tk string) error { return r.Succeed(tk, `{}`) }, ErrInvalidToken},
		{"a token cut short", w.token[:100], func(tk string) error { return r.Heartbeat(tk) }, ErrInvalidToken},
		{"empty", "", func(tk string) error { return r.Fail(tk, "E", "") }, ErrInvalidToken},
		{"another local Step Functions' token", other.token, func(tk string) error { return r.Succeed(tk, `{}`) }, ErrTaskDoesNotExist},
		{"output not JSON", w.token, func(tk string) error { return r.Succeed(tk, `{"a":`) }, ErrInvalidOutput},
		{"a heartbeat", w.token, func(tk string) error { return r.Heartbeat(tk) }, nil},
		{"success", w.token, func(tk string) error { return r.Succeed(tk, `{"a":1}`) }, nil},
		{"a second success", w.token, func(tk string) error { return r.Succeed(tk, `{"a":2}`) }, ErrTaskTimedOut},
		{"a failure after success", w.token, func(tk string) error { return r.Fail(tk, "E", "C") }, ErrTaskTimedOut},
		{"a heartbeat after success", w.token, func(tk string) error { return r.Heartbeat(tk) }, ErrTaskTimedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(tt.token); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if o := <-w.outcome; string(o.output) != `{"a":1}` {
		t.Errorf("the task got %s, want the first success", o.output)
	}
}

func TestClassifyIntegrationPatterns(t *testing.T) {
	tests := []struct{ arn, typ, resource string }{
		{"arn:aws:states:::states:startExecution.sync:2", "states", "startExecution.sync:2"},
		{"arn:aws:states:::states:startExecution.sync", "states", "startExecution.sync"},
		{"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs", "sendMessage.waitForTaskToken"},
		{"arn:aws:states:::aws-sdk:ec2:describeInstances", "aws-sdk:ec2", "describeInstances"},
		{"arn:aws:states:::lambda:invoke", "lambda", "invoke"},
	}
	for _, tt := range tests {
		if k := classifyResource(tt.arn); k.resourceType != tt.typ || k.resource != tt.resource {
			t.Errorf("%s: %+v, want %s %s", tt.arn, k, tt.typ, tt.resource)
		}
	}
}
