package dashboard

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/execution"
	"github.com/stepgate/stepgate/internal/clock"
	"github.com/stepgate/stepgate/internal/tasktoken"
)

// WaitingTask is a task of an execution that waits for a callback (a .waitForTaskToken Task state
// that has been scheduled and has not ended), with the token the page answers it with through one
// of the stack's callback routes.
type WaitingTask struct {
	// State is the Task state's name.
	State string `json:"state"`
	// Resource is the integration as the history names it ("startExecution.waitForTaskToken"),
	// and ResourceType its service ("states").
	Resource     string `json:"resource"`
	ResourceType string `json:"resourceType"`
	// Since is when the task was scheduled.
	Since string `json:"since"`
	// HeartbeatSeconds and TimeoutSeconds are the task's, when it has them.
	HeartbeatSeconds int64 `json:"heartbeatSeconds,omitempty"`
	TimeoutSeconds   int64 `json:"timeoutSeconds,omitempty"`
	// Token is the task token: the value of the task's parameters that the workflow filled with
	// $$.Task.Token (a field named like "token"). It goes to the page only, which sends it to the
	// stack's callback route; nothing logs it.
	Token string `json:"token"`
	// TokenHash names the token as the start function's log and answers do (tasktoken.Hash).
	TokenHash string `json:"tokenHash"`
}

// serveTasks gives the page the tasks of an execution that wait for a callback, for its Approve
// and Reject buttons. Like the graph's definition, they are read from Step Functions itself with
// the user's credentials (states:GetExecutionHistory): the token is in the task's scheduled
// parameters, and tokens never go through the stack's status function.
func (s *Server) serveTasks(w http.ResponseWriter, r *http.Request) {
	arn, err := execution.Parse(r.URL.Query().Get("arn"))
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, "InvalidExecutionArn", "arn must be an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME).")
		return
	}
	var events []types.HistoryEvent
	in := &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn.String()), MaxResults: 1000}
	for {
		out, err := s.cfg.StepFunctions.GetExecutionHistory(r.Context(), in, func(o *sfn.Options) { o.Region = arn.Region })
		if err != nil {
			s.refuseStepFunctions(w, r, "GetExecutionHistory", arn.String(),
				"the tasks waiting for a callback need states:GetExecutionHistory on the stack's executions", err)
			return
		}
		events = append(events, out.Events...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	writeJSON(w, http.StatusOK, map[string]any{"executionArn": arn.String(), "tasks": waitingTasks(events)})
}

// taskEnds are the history events that end a scheduled task.
var taskEnds = []types.HistoryEventType{types.HistoryEventTypeTaskSucceeded, types.HistoryEventTypeTaskFailed,
	types.HistoryEventTypeTaskTimedOut, types.HistoryEventTypeTaskStartFailed, types.HistoryEventTypeTaskSubmitFailed}

// waitingTasks reads a history (oldest first) for the callback tasks that have been scheduled and
// have not ended: a task's events follow one another through previousEventId from its
// TaskScheduled (whose previous event is its state's TaskStateEntered), whatever runs beside it in
// a Parallel or Map. A closed execution waits for nothing.
func waitingTasks(events []types.HistoryEvent) []WaitingTask {
	stateOf := map[int64]string{} // an event id → the Task state it happened in
	taskOf := map[int64]int64{}   // a task's event id → its TaskScheduled id
	open := map[int64]WaitingTask{}
	var order []int64
	for _, ev := range events {
		if ev.Type == types.HistoryEventTypeTaskStateEntered && ev.StateEnteredEventDetails != nil {
			stateOf[ev.Id] = aws.ToString(ev.StateEnteredEventDetails.Name)
		} else if name, ok := stateOf[ev.PreviousEventId]; ok && ev.Type != types.HistoryEventTypeTaskStateExited {
			stateOf[ev.Id] = name // a retry's TaskScheduled follows the failure before it
		}
		switch {
		case ev.Type == types.HistoryEventTypeTaskScheduled && ev.TaskScheduledEventDetails != nil:
			d := ev.TaskScheduledEventDetails
			if !strings.HasSuffix(aws.ToString(d.Resource), ".waitForTaskToken") {
				continue
			}
			token := tokenIn(aws.ToString(d.Parameters))
			if token == "" {
				continue // the page could not answer it: no field holds a token
			}
			taskOf[ev.Id] = ev.Id
			open[ev.Id] = WaitingTask{State: stateOf[ev.Id], Resource: aws.ToString(d.Resource),
				ResourceType: aws.ToString(d.ResourceType), Since: clock.Format(aws.ToTime(ev.Timestamp)),
				HeartbeatSeconds: aws.ToInt64(d.HeartbeatInSeconds), TimeoutSeconds: aws.ToInt64(d.TimeoutInSeconds),
				Token: token, TokenHash: tasktoken.Hash(token)}
			order = append(order, ev.Id)
		case strings.HasPrefix(string(ev.Type), "Execution") && ev.Type != types.HistoryEventTypeExecutionStarted:
			clear(open) // succeeded, failed, timed out, aborted: nothing waits any more
		default:
			task, ok := taskOf[ev.PreviousEventId]
			if !ok || !strings.HasPrefix(string(ev.Type), "Task") || ev.Type == types.HistoryEventTypeTaskStateExited {
				continue
			}
			taskOf[ev.Id] = task
			if slices.Contains(taskEnds, ev.Type) {
				delete(open, task)
			}
		}
	}
	out := []WaitingTask{}
	for _, id := range order {
		if t, ok := open[id]; ok {
			out = append(out, t)
		}
	}
	return out
}

// tokenKey is a parameter name that holds a task token: taskToken, TaskToken, token, …
var tokenKey = regexp.MustCompile(`(?i)token$`)

// tokenIn finds the task token in a task's parameters: the string of a field whose name ends in
// "token" (where a workflow puts $$.Task.Token), also inside a string that is itself JSON (an SQS
// MessageBody or SNS Message written as text). Several different values, or none, is "".
func tokenIn(parameters string) string {
	var found []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, k)
			}
		case []any:
			for _, c := range x {
				walk(c, key)
			}
		case string:
			var inner any
			if t := strings.TrimSpace(x); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Unmarshal([]byte(t), &inner) == nil {
				walk(inner, key)
			} else if tokenKey.MatchString(key) && x != "" && !slices.Contains(found, x) {
				found = append(found, x)
			}
		}
	}
	var params any
	if json.Unmarshal([]byte(parameters), &params) != nil {
		return ""
	}
	walk(params, "")
	if len(found) != 1 {
		return ""
	}
	return found[0]
}
