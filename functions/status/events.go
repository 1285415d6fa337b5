package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/httpapi"
	"github.com/stepgate/stepgate/internal/clock"
)

// eventsResource is the API resource of the live progress route.
const eventsResource = "/executions/{executionArn}/events"

const (
	// firstHistoryPoll is the first interval of a long poll on the history; it doubles up to
	// Config.HistoryPollMax, so a watcher of an idle execution costs few calls.
	firstHistoryPoll = 100 * time.Millisecond
	// historyPage is the page of the newest-first read: a poll usually finds a few new events,
	// so one call of 100 covers it; older pages are read 1,000 at a time.
	historyPage = 100
	// maxEventsPerAnswer bounds one answer (history events examined, delivered or not), with
	// maxAnswerBytes on the payloads it carries, under Lambda's 6 MB response limit.
	maxEventsPerAnswer = 500
	maxAnswerBytes     = 4 << 20
	// maxAfter is beyond any event ID: a history holds at most 25,000 events.
	maxAfter = 1_000_000_000
)

// progress is one delivered event.
type progress struct {
	ID        int64  `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	State     string `json:"state,omitempty"`
	Error     string `json:"error,omitempty"`
	Cause     any    `json:"cause,omitempty"`
	Output    any    `json:"output,omitempty"`
}

// eventsBody is the 200 body. Status is the execution's status as of Cursor: RUNNING until the
// closing event is delivered, so a client that stops following when it is not RUNNING misses
// nothing even when a long history comes in several answers.
type eventsBody struct {
	ExecutionARN string     `json:"executionArn"`
	Status       string     `json:"status"`
	Events       []progress `json:"events"`
	Cursor       string     `json:"cursor"`
}

// events answers GET /executions/{executionArn}/events?after=&wait=.
func (h *Handler) events(ctx context.Context, req *events.APIGatewayProxyRequest, entry *httpapi.LogEntry) (events.APIGatewayProxyResponse, error) {
	var none events.APIGatewayProxyResponse
	if req.HTTPMethod != http.MethodGet {
		return none, httpapi.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "Use GET to read an execution's events.").
			WithHeader("Allow", "GET")
	}
	arn, err := parseARN(req)
	if err != nil {
		return none, err
	}
	executionARN := arn.String()
	entry.ExecutionARN = executionARN
	wait, err := parseWait(req)
	if err != nil {
		return none, err
	}
	after := 0
	s, ok, err := httpapi.Query(req, "after")
	if err != nil {
		return none, err
	}
	if ok {
		if after, ok = parseDecimal(s, 0, maxAfter); !ok {
			return none, httpapi.InvalidRequest("The after parameter must be the cursor of a previous answer.")
		}
	}
	if err := h.scope(arn); err != nil {
		return none, err
	}
	body, err := h.follow(ctx, executionARN, int64(after), time.Duration(wait)*time.Second)
	if err != nil {
		return none, err
	}
	return httpapi.JSON(req.RequestContext.RequestID, http.StatusOK, body), nil
}

// follow reads the events after the cursor; with none to deliver and the execution running, it
// polls again, at growing intervals, until one appears, the execution closes or wait passes.
// Within the wait an execution not visible yet is polled again, as for GET.
func (h *Handler) follow(ctx context.Context, executionARN string, after int64, wait time.Duration) (eventsBody, error) {
	var body eventsBody
	err := h.poll(ctx, wait, min(firstHistoryPoll, h.cfg.HistoryPollMax), h.cfg.HistoryPollMax, func() (bool, error) {
		b, err := h.read(ctx, executionARN, after)
		if err != nil {
			return false, err
		}
		body = b
		// Events that are not delivered (task scheduling, say) still move the cursor.
		after, _ = strconv.ParseInt(b.Cursor, 10, 64)
		return len(b.Events) > 0 || b.Status != string(types.ExecutionStatusRunning), nil
	})
	var missing *types.ExecutionDoesNotExist
	switch {
	case errors.As(err, &missing):
		return eventsBody{}, notFound(executionARN).Wrap(err)
	case err != nil:
		return eventsBody{}, mapDescribeError(executionARN, fmt.Errorf("get execution history: %w", err))
	}
	return body, nil
}

// read returns the events after the cursor, oldest first. It reads the history newest first and
// stops at the cursor, so a poll costs one call however long the history is. Event IDs are
// consecutive and a history only grows, so "every ID above the cursor" is every new event once.
func (h *Handler) read(ctx context.Context, executionARN string, after int64) (eventsBody, error) {
	var fresh []types.HistoryEvent // newest first
	byID := map[int64]*types.HistoryEvent{}
	var newest *types.HistoryEvent
	in := &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(executionARN), ReverseOrder: true,
		MaxResults: historyPage, IncludeExecutionData: aws.Bool(true),
	}
	for {
		out, err := h.sfn.GetExecutionHistory(ctx, in)
		if err != nil {
			return eventsBody{}, err
		}
		crossed := false
		for i := range out.Events {
			ev := &out.Events[i]
			byID[ev.Id] = ev
			if newest == nil {
				newest = ev
			}
			if ev.Id > after {
				fresh = append(fresh, *ev)
			} else {
				crossed = true
			}
		}
		if crossed || out.NextToken == nil {
			break
		}
		in.NextToken, in.MaxResults = out.NextToken, 1000
	}
	slices.Reverse(fresh)

	body := eventsBody{ExecutionARN: executionARN, Status: string(types.ExecutionStatusRunning),
		Events: []progress{}, Cursor: strconv.FormatInt(after, 10)}
	size := 0
	for i, ev := range fresh {
		if i == maxEventsPerAnswer || size > maxAnswerBytes {
			break
		}
		body.Cursor = strconv.FormatInt(ev.Id, 10)
		p, ok := toProgress(&ev, byID)
		if !ok {
			continue
		}
		if status, closing := closingStatus(ev.Type); closing {
			body.Status = string(status)
		}
		size += len(p.Error) + rawLen(p.Cause) + rawLen(p.Output)
		body.Events = append(body.Events, p)
	}
	// Nothing new: the status is that of the newest event, which the client already has.
	if len(fresh) == 0 && newest != nil {
		if status, closing := closingStatus(newest.Type); closing {
			body.Status = string(status)
		}
	}
	return body, nil
}

func rawLen(v any) int {
	if b, ok := v.(json.RawMessage); ok {
		return len(b)
	}
	return 0
}

func closingStatus(t types.HistoryEventType) (types.ExecutionStatus, bool) {
	switch t {
	case types.HistoryEventTypeExecutionSucceeded:
		return types.ExecutionStatusSucceeded, true
	case types.HistoryEventTypeExecutionFailed:
		return types.ExecutionStatusFailed, true
	case types.HistoryEventTypeExecutionTimedOut:
		return types.ExecutionStatusTimedOut, true
	case types.HistoryEventTypeExecutionAborted:
		return types.ExecutionStatusAborted, true
	}
	return "", false
}

// toProgress maps a history event to the kinds docs/openapi.yaml lists; ok is false for the others (task
// scheduling, Map and Parallel bookkeeping, …).
func toProgress(ev *types.HistoryEvent, byID map[int64]*types.HistoryEvent) (progress, bool) {
	p := progress{ID: ev.Id, Timestamp: clock.Format(aws.ToTime(ev.Timestamp))}
	t := string(ev.Type)
	switch {
	case ev.Type == types.HistoryEventTypeExecutionStarted:
		p.Type = "ExecutionStarted"
	case strings.HasSuffix(t, "StateEntered") && ev.StateEnteredEventDetails != nil:
		p.Type, p.State = "StateEntered", aws.ToString(ev.StateEnteredEventDetails.Name)
	case strings.HasSuffix(t, "StateExited") && ev.StateExitedEventDetails != nil:
		p.Type, p.State = "StateExited", aws.ToString(ev.StateExitedEventDetails.Name)
		p.Output = optionalJSON(ev.StateExitedEventDetails.Output)
	case ev.Type == types.HistoryEventTypeExecutionSucceeded:
		p.Type = "ExecutionSucceeded"
		if d := ev.ExecutionSucceededEventDetails; d != nil {
			p.Output = optionalJSON(d.Output)
		}
	case ev.Type == types.HistoryEventTypeExecutionFailed:
		p.Type = "ExecutionFailed"
		if d := ev.ExecutionFailedEventDetails; d != nil {
			p.Error, p.Cause = aws.ToString(d.Error), optionalJSON(d.Cause)
		}
	case ev.Type == types.HistoryEventTypeExecutionTimedOut:
		p.Type = "ExecutionTimedOut"
		if d := ev.ExecutionTimedOutEventDetails; d != nil {
			p.Error, p.Cause = aws.ToString(d.Error), optionalJSON(d.Cause)
		}
	case ev.Type == types.HistoryEventTypeExecutionAborted:
		p.Type = "ExecutionAborted"
		if d := ev.ExecutionAbortedEventDetails; d != nil {
			p.Error, p.Cause = aws.ToString(d.Error), optionalJSON(d.Cause)
		}
	default:
		errName, cause, ok := taskFailure(ev)
		if !ok {
			return p, false
		}
		p.Type, p.Error, p.Cause = "TaskFailed", errName, optionalJSON(cause)
		p.State = enclosingState(ev, byID)
	}
	return p, true
}

// taskFailure reads the error of a failed, timed-out or refused task, whatever its kind.
func taskFailure(ev *types.HistoryEvent) (errName string, cause *string, ok bool) {
	switch ev.Type {
	case types.HistoryEventTypeTaskFailed:
		if d := ev.TaskFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeTaskTimedOut:
		if d := ev.TaskTimedOutEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeTaskStartFailed:
		if d := ev.TaskStartFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeTaskSubmitFailed:
		if d := ev.TaskSubmitFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeLambdaFunctionFailed:
		if d := ev.LambdaFunctionFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeLambdaFunctionTimedOut:
		if d := ev.LambdaFunctionTimedOutEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeLambdaFunctionStartFailed:
		if d := ev.LambdaFunctionStartFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeLambdaFunctionScheduleFailed:
		if d := ev.LambdaFunctionScheduleFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeActivityFailed:
		if d := ev.ActivityFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeActivityTimedOut:
		if d := ev.ActivityTimedOutEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	case types.HistoryEventTypeActivityScheduleFailed:
		if d := ev.ActivityScheduleFailedEventDetails; d != nil {
			return aws.ToString(d.Error), d.Cause, true
		}
	}
	return "", nil, false
}

// enclosingState follows previousEventId back (failure → started → scheduled → … → entered,
// through earlier retries) to the state the task belongs to. The read stops a page past the
// cursor, so the chain is normally in hand; when it is not, the state is left out.
func enclosingState(ev *types.HistoryEvent, byID map[int64]*types.HistoryEvent) string {
	for steps := 0; steps < 1000; steps++ {
		prev, ok := byID[ev.PreviousEventId]
		if !ok {
			return ""
		}
		if strings.HasSuffix(string(prev.Type), "StateEntered") && prev.StateEnteredEventDetails != nil {
			return aws.ToString(prev.StateEnteredEventDetails.Name)
		}
		ev = prev
	}
	return ""
}

func optionalJSON(s *string) any {
	if s == nil {
		return nil
	}
	return httpapi.MaybeJSON(*s)
}
