package dashboard

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/internal/tasktoken"
)

const testExecution = "arn:aws:states:us-east-1:123456789012:execution:stepgate_Approval:e1"

// historyOf builds a history from compact lines: "id prev Type [state|resource] [parameters]".
type ev struct {
	id, prev int64
	typ      sfntypes.HistoryEventType
	name     string // the state (TaskStateEntered) or the resource (TaskScheduled)
	params   string
}

func history(evs ...ev) []sfntypes.HistoryEvent {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var out []sfntypes.HistoryEvent
	for _, e := range evs {
		h := sfntypes.HistoryEvent{Id: e.id, PreviousEventId: e.prev, Type: e.typ, Timestamp: aws.Time(t0.Add(time.Duration(e.id) * time.Second))}
		switch e.typ {
		case sfntypes.HistoryEventTypeTaskStateEntered:
			h.StateEnteredEventDetails = &sfntypes.StateEnteredEventDetails{Name: aws.String(e.name)}
		case sfntypes.HistoryEventTypeTaskScheduled:
			h.TaskScheduledEventDetails = &sfntypes.TaskScheduledEventDetails{Resource: aws.String(e.name), ResourceType: aws.String("states"),
				Region: aws.String("us-east-1"), Parameters: aws.String(e.params), HeartbeatInSeconds: aws.Int64(3600)}
		}
		out = append(out, h)
	}
	return out
}

const (
	waitResource = "startExecution.waitForTaskToken"
	tokenA       = "AQCEAAAAKgAAAAMAAAAAAAAAAf9ZxQ+yvBq/A=="
	tokenB       = "AQCEAAAAKgAAAAMAAAAAAAAAAf9ZxQ+yvBq/B=="
)

func params(token string) string {
	return `{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Notify","Input":{"request_id":"req-1","taskToken":"` + token + `"}}`
}

func TestWaitingTasks(t *testing.T) {
	const (
		started   = sfntypes.HistoryEventTypeExecutionStarted
		entered   = sfntypes.HistoryEventTypeTaskStateEntered
		scheduled = sfntypes.HistoryEventTypeTaskScheduled
		taskStart = sfntypes.HistoryEventTypeTaskStarted
		submitted = sfntypes.HistoryEventTypeTaskSubmitted
		succeeded = sfntypes.HistoryEventTypeTaskSucceeded
		failed    = sfntypes.HistoryEventTypeTaskFailed
		exited    = sfntypes.HistoryEventTypeTaskStateExited
	)
	waiting := []ev{{1, 0, started, "", ""}, {2, 1, entered, "AskApprover", ""}, {3, 2, scheduled, waitResource, params(tokenA)},
		{4, 3, taskStart, "", ""}, {5, 4, submitted, "", ""}}
	tests := []struct {
		name   string
		events []ev
		want   []string // state:token of each waiting task
	}{
		{name: "a task waits", events: waiting, want: []string{"AskApprover:" + tokenA}},
		{name: "answered", events: append(waiting[:5:5], ev{6, 5, succeeded, "", ""}, ev{7, 6, exited, "", ""}), want: nil},
		{name: "timed out", events: append(waiting[:5:5], ev{6, 5, sfntypes.HistoryEventTypeTaskTimedOut, "", ""}), want: nil},
		{name: "the execution ended", events: append(waiting[:5:5], ev{6, 5, sfntypes.HistoryEventTypeExecutionAborted, "", ""}), want: nil},
		{name: "retried: the new token waits", events: []ev{{1, 0, started, "", ""}, {2, 1, entered, "AskApprover", ""},
			{3, 2, scheduled, waitResource, params(tokenA)}, {4, 3, taskStart, "", ""}, {5, 4, failed, "", ""},
			{6, 5, scheduled, waitResource, params(tokenB)}, {7, 6, taskStart, "", ""}}, want: []string{"AskApprover:" + tokenB}},
		{name: "two branches, one answered", events: []ev{{1, 0, started, "", ""}, {2, 1, entered, "Left", ""}, {3, 1, entered, "Right", ""},
			{4, 2, scheduled, waitResource, params(tokenA)}, {5, 3, scheduled, waitResource, params(tokenB)},
			{6, 4, taskStart, "", ""}, {7, 5, taskStart, "", ""}, {8, 6, succeeded, "", ""}}, want: []string{"Right:" + tokenB}},
		{name: "a task that does not wait for a callback", events: []ev{{1, 0, started, "", ""}, {2, 1, entered, "Record", ""},
			{3, 2, scheduled, "putItem", `{"TableName":"t","taskToken":"x"}`}}, want: nil},
		{name: "the token in a JSON string (an SQS message body)", events: []ev{{1, 0, started, "", ""}, {2, 1, entered, "Ask", ""},
			{3, 2, scheduled, "sendMessage.waitForTaskToken", `{"QueueUrl":"q","MessageBody":"{\"TaskToken\":\"` + tokenA + `\"}"}`}},
			want: []string{"Ask:" + tokenA}},
		{name: "two different token values: which is the task's cannot be told", events: []ev{{1, 0, started, "", ""}, {2, 1, entered, "Ask", ""},
			{3, 2, scheduled, waitResource, `{"Input":{"token":"` + tokenA + `","otherToken":"` + tokenB + `"}}`}}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, w := range waitingTasks(history(tc.events...)) {
				got = append(got, w.State+":"+w.Token)
				if w.TokenHash != tasktoken.Hash(w.Token) || w.HeartbeatSeconds != 3600 || w.Since == "" {
					t.Errorf("task %+v", w)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("waiting %v, want %v", got, tc.want)
			}
		})
	}
}

// TestServeTasks: the page reads an execution's waiting tasks from Step Functions with the user's
// credentials, every page of the history; a refusal names Step Functions' error, and nothing the
// dashboard logs holds a token.
func TestServeTasks(t *testing.T) {
	var logs bytes.Buffer
	hist := history(ev{1, 0, sfntypes.HistoryEventTypeExecutionStarted, "", ""}, ev{2, 1, sfntypes.HistoryEventTypeTaskStateEntered, "AskApprover", ""},
		ev{3, 2, sfntypes.HistoryEventTypeTaskScheduled, waitResource, params(tokenA)}, ev{4, 3, sfntypes.HistoryEventTypeTaskStarted, "", ""},
		ev{5, 4, sfntypes.HistoryEventTypeTaskSubmitted, "", ""})
	s := newTestServer(t, Config{Stack: Stack{APIURL: "http://127.0.0.1:1"}, StepFunctions: fakeDescriber{history: hist},
		Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	w := do(s, "GET", "/dashboard/tasks?arn="+testExecution, "", nil)
	var got struct {
		ExecutionARN string        `json:"executionArn"`
		Tasks        []WaitingTask `json:"tasks"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 || got.ExecutionARN != testExecution {
		t.Fatalf("got %d %s", w.Code, w.Body.String())
	}
	if len(got.Tasks) != 1 || got.Tasks[0].State != "AskApprover" || got.Tasks[0].Token != tokenA || got.Tasks[0].Resource != waitResource ||
		got.Tasks[0].Since != "2026-12-03T09:00:03.000Z" {
		t.Errorf("tasks %+v", got.Tasks)
	}
	expectRefusal(t, do(s, "GET", "/dashboard/tasks?arn=arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Approval", "", nil),
		http.StatusBadRequest, "InvalidExecutionArn")
	// Only the page's own calls: the token is the user's to read, not another site's.
	expectRefusal(t, do(s, "GET", "/dashboard/tasks?arn="+testExecution, "", func(r *http.Request) { r.Header.Del("Sec-Fetch-Site") }),
		http.StatusForbidden, "OriginNotAllowed")

	denied := newTestServer(t, Config{Stack: Stack{APIURL: "http://127.0.0.1:1"},
		StepFunctions: fakeDescriber{err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}},
		Log:           slog.New(slog.NewJSONHandler(&logs, nil))})
	w = do(denied, "GET", "/dashboard/tasks?arn="+testExecution, "", nil)
	expectRefusal(t, w, http.StatusBadGateway, "GetExecutionHistoryFailed")
	if !strings.Contains(w.Body.String(), "AccessDeniedException") || !strings.Contains(w.Body.String(), "states:GetExecutionHistory") {
		t.Errorf("the refusal does not say what is missing: %s", w.Body.String())
	}
	if strings.Contains(logs.String(), tokenA) {
		t.Errorf("the dashboard's log holds a token: %s", logs.String())
	}
}
