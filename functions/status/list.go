package main

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/httpapi"
	"github.com/stepgate/stepgate/internal/clock"
)

// listResource is the API resource of GET /executions.
const listResource = "/executions"

// Page sizes of GET /executions.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// listCursor is the state behind the opaque `next` token: where each standard machine's
// listing stands. With several machines one page merges their lists by start date, so each
// keeps its own Step Functions token and how many items of that page were already returned.
type listCursor struct {
	Status   types.ExecutionStatus `json:"s,omitempty"`
	Limit    int                   `json:"l"`
	Machines []machineCursor       `json:"m"`
}

type machineCursor struct {
	Token string `json:"t,omitempty"` // ListExecutions nextToken of the page to read; "" is the first page
	Skip  int    `json:"k,omitempty"` // items of that page already returned
	Done  bool   `json:"d,omitempty"` // nothing left
}

func (c listCursor) encode() string {
	b, _ := json.Marshal(c) // plain strings and ints: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// listed is one item of the 200 body.
type listed struct {
	ExecutionARN string `json:"executionArn"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	StartDate    string `json:"startDate"`
	StopDate     string `json:"stopDate,omitempty"`
	StatusURL    string `json:"statusUrl"`
}

type listBody struct {
	Executions []listed `json:"executions"`
	Next       string   `json:"next,omitempty"`
}

// parseList reads status, limit and next. A next token carries the status and limit of the
// first page; a different status or limit beside it is refused rather than silently mixed.
func (h *Handler) parseList(req *events.APIGatewayProxyRequest) (listCursor, error) {
	c := listCursor{Limit: defaultLimit, Machines: make([]machineCursor, len(h.cfg.Machines.Standard()))}
	if s, ok := query(req, "status"); ok {
		c.Status = types.ExecutionStatus(s)
		if !slices.Contains(c.Status.Values(), c.Status) {
			return c, httpapi.InvalidRequest("The status parameter must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE.")
		}
	}
	limitSet := false
	if s, ok := query(req, "limit"); ok {
		n, ok := parseDecimal(s, 1, maxLimit)
		if !ok {
			return c, httpapi.InvalidRequest(fmt.Sprintf("The limit parameter must be a whole number from 1 to %d.", maxLimit))
		}
		c.Limit, limitSet = n, true
	}
	s, ok := query(req, "next")
	if !ok {
		return c, nil
	}
	bad := httpapi.InvalidRequest("The next parameter must be the next token of the previous page, unchanged.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, bad.Wrap(err)
	}
	var next listCursor
	if err := json.Unmarshal(raw, &next); err != nil {
		return c, bad.Wrap(err)
	}
	if len(next.Machines) != len(c.Machines) || next.Limit < 1 || next.Limit > maxLimit ||
		(next.Status != "" && !slices.Contains(next.Status.Values(), next.Status)) {
		return c, bad.Wrap(errors.New("token does not fit this stack"))
	}
	for _, m := range next.Machines {
		if m.Skip < 0 || m.Skip >= next.Limit {
			return c, bad.Wrap(errors.New("token offset out of range"))
		}
	}
	if (limitSet && c.Limit != next.Limit) || (c.Status != "" && c.Status != next.Status) {
		return c, httpapi.InvalidRequest("Send the same status and limit as for the first page with its next token, or none.")
	}
	return next, nil
}

// list answers GET /executions: every standard machine's executions, newest first.
func (h *Handler) list(ctx context.Context, req *events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var none events.APIGatewayProxyResponse
	if req.HTTPMethod != http.MethodGet {
		return none, httpapi.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "Use GET to list executions.")
	}
	c, err := h.parseList(req)
	if err != nil {
		return none, err
	}
	machines := h.cfg.Machines.Standard()
	// One merge source per machine: the page in hand, from the cursor's token and offset on.
	sources := make([]listSource, len(machines))
	for i, m := range machines {
		sources[i] = listSource{machine: m.String(), cursor: c.Machines[i]}
		if err := sources[i].fill(ctx, h.sfn, c); err != nil {
			return none, err
		}
	}

	// Merge newest first; the ARN breaks ties so pages are stable. A source whose page runs out
	// reads its next page before the merge goes on, since that page may hold the newest item.
	body := listBody{Executions: make([]listed, 0, c.Limit)}
	for len(body.Executions) < c.Limit {
		best := -1
		for i := range sources {
			src := &sources[i]
			// A loop: Step Functions may answer an empty page with a next token.
			for src.exhausted() {
				if err := src.advance(ctx, h.sfn, c); err != nil {
					return none, err
				}
			}
			if src.cursor.Done {
				continue
			}
			if best < 0 || newer(src.head(), sources[best].head()) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		body.Executions = append(body.Executions, listItem(req, sources[best].head()))
		sources[best].cursor.Skip++
	}

	more := false
	for i := range sources {
		src := &sources[i]
		if src.exhausted() && src.next == nil {
			src.cursor = machineCursor{Done: true}
		}
		if src.exhausted() && src.next != nil {
			src.cursor = machineCursor{Token: *src.next}
		}
		c.Machines[i] = src.cursor
		more = more || !src.cursor.Done
	}
	if more {
		body.Next = c.encode()
	}
	return httpapi.JSON(req.RequestContext.RequestID, http.StatusOK, body), nil
}

// listSource is one machine's listing during a merge. cursor.Skip counts the items of page
// already returned (by earlier answers and this one).
type listSource struct {
	machine string
	cursor  machineCursor
	page    []types.ExecutionListItem
	next    *string
}

func (s *listSource) exhausted() bool {
	return !s.cursor.Done && s.cursor.Skip >= len(s.page)
}

func (s *listSource) head() types.ExecutionListItem { return s.page[s.cursor.Skip] }

// fill reads the page the cursor points at.
func (s *listSource) fill(ctx context.Context, client stepFunctions, c listCursor) error {
	if s.cursor.Done {
		return nil
	}
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.machine), StatusFilter: c.Status, MaxResults: int32(c.Limit)}
	if s.cursor.Token != "" {
		in.NextToken = aws.String(s.cursor.Token)
	}
	out, err := client.ListExecutions(ctx, in)
	if err != nil {
		var invalid *types.InvalidToken
		if errors.As(err, &invalid) {
			return httpapi.InvalidRequest("The next token has expired or is not valid; list again from the first page.").Wrap(err)
		}
		return fmt.Errorf("list executions of %s: %w", s.machine, err)
	}
	s.page, s.next = out.Executions, out.NextToken
	return nil
}

// advance moves to the next page, or marks the source done when there is none.
func (s *listSource) advance(ctx context.Context, client stepFunctions, c listCursor) error {
	if s.next == nil {
		s.cursor = machineCursor{Done: true}
		return nil
	}
	s.cursor = machineCursor{Token: *s.next}
	return s.fill(ctx, client, c)
}

func newer(a, b types.ExecutionListItem) bool {
	return cmp.Or(aws.ToTime(a.StartDate).Compare(aws.ToTime(b.StartDate)),
		-cmp.Compare(aws.ToString(a.ExecutionArn), aws.ToString(b.ExecutionArn))) > 0
}

func listItem(req *events.APIGatewayProxyRequest, e types.ExecutionListItem) listed {
	l := listed{
		ExecutionARN: aws.ToString(e.ExecutionArn),
		Name:         aws.ToString(e.Name),
		Status:       string(e.Status),
		StartDate:    clock.Format(aws.ToTime(e.StartDate)),
		StatusURL:    httpapi.ExecutionURL(req, aws.ToString(e.ExecutionArn)),
	}
	if e.StopDate != nil {
		l.StopDate = clock.Format(*e.StopDate)
	}
	return l
}
