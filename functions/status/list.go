package main

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepgate/stepgate/internal/app/execution"
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

// machineCacheTTL is how long the list of the stack's STANDARD machines is kept: a workflow
// deployed since shows up in GET /executions within a minute, and a busy list route costs one
// ListStateMachines call a minute (that API has no resource-level permission, hence Resource "*").
const machineCacheTTL = time.Minute

// machineCache holds the stack's STANDARD machines as ListStateMachines last listed them.
type machineCache struct {
	mu       sync.Mutex
	machines []execution.StateMachine // sorted by name
	read     time.Time
	valid    bool
}

// standardMachines lists the stack's STANDARD machines: every machine ListStateMachines returns
// whose ARN is in STATE_MACHINES, read again once the cached list is a minute old.
func (h *Handler) standardMachines(ctx context.Context) ([]execution.StateMachine, error) {
	c := &h.standard
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.valid && h.clock.Now().Sub(c.read) < machineCacheTTL {
		return c.machines, nil
	}
	var machines []execution.StateMachine
	in := &sfn.ListStateMachinesInput{MaxResults: 1000}
	for {
		out, err := h.sfn.ListStateMachines(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list state machines: %w", err)
		}
		for _, item := range out.StateMachines {
			m, err := execution.ParseStateMachine(aws.ToString(item.StateMachineArn))
			if err == nil && item.Type == types.StateMachineTypeStandard && h.cfg.Machines.Contains(m) {
				machines = append(machines, m)
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.SortFunc(machines, func(a, b execution.StateMachine) int { return strings.Compare(a.Name, b.Name) })
	c.machines, c.read, c.valid = machines, h.clock.Now(), true
	return machines, nil
}

// listCursor is the state behind the opaque `next` token: where each standard machine's
// listing stands, by machine name. One page merges the machines' lists by start date, so each
// keeps its own Step Functions token and how many items of that page were already returned; a
// machine whose listing is done is dropped. The first page fixes the machines a listing covers.
type listCursor struct {
	Status   types.ExecutionStatus    `json:"s,omitempty"`
	Limit    int                      `json:"l"`
	Machines map[string]machineCursor `json:"m"`
}

type machineCursor struct {
	Token string `json:"t,omitempty"` // ListExecutions nextToken of the page to read; "" is the first page
	Skip  int    `json:"k,omitempty"` // items of that page already returned
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
// Without a token the listing covers the stack's STANDARD machines as they are now.
func (h *Handler) parseList(ctx context.Context, req *events.APIGatewayProxyRequest) (listCursor, error) {
	c := listCursor{Limit: defaultLimit}
	s, ok, err := httpapi.Query(req, "status")
	if err != nil {
		return c, err
	}
	if ok {
		c.Status = types.ExecutionStatus(s)
		if !slices.Contains(c.Status.Values(), c.Status) {
			return c, httpapi.InvalidRequest("The status parameter must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE.")
		}
	}
	s, limitSet, err := httpapi.Query(req, "limit")
	if err != nil {
		return c, err
	}
	if limitSet {
		n, ok := parseDecimal(s, 1, maxLimit)
		if !ok {
			return c, httpapi.InvalidRequest(fmt.Sprintf("The limit parameter must be a whole number from 1 to %d.", maxLimit))
		}
		c.Limit = n
	}
	s, ok, err = httpapi.Query(req, "next")
	if err != nil {
		return c, err
	}
	if !ok {
		machines, err := h.standardMachines(ctx)
		if err != nil {
			return c, err
		}
		c.Machines = make(map[string]machineCursor, len(machines))
		for _, m := range machines {
			c.Machines[m.Name] = machineCursor{}
		}
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
	if len(next.Machines) == 0 || next.Limit < 1 || next.Limit > maxLimit ||
		(next.Status != "" && !slices.Contains(next.Status.Values(), next.Status)) {
		return c, bad.Wrap(errors.New("token does not fit this stack"))
	}
	for name, m := range next.Machines {
		// A token names machines by name: only the stack's own are listed, whatever it says.
		if !h.cfg.Machines.Contains(h.machine(name)) || m.Skip < 0 || m.Skip >= next.Limit {
			return c, bad.Wrap(fmt.Errorf("token names machine %q or offset %d out of range", name, m.Skip))
		}
	}
	if (limitSet && c.Limit != next.Limit) || (c.Status != "" && c.Status != next.Status) {
		return c, httpapi.InvalidRequest("Send the same status and limit as for the first page with its next token, or none.")
	}
	return next, nil
}

// machine is the stack's state machine called name.
func (h *Handler) machine(name string) execution.StateMachine {
	p := h.cfg.Machines
	return execution.StateMachine{Partition: p.Partition, Region: p.Region, Account: p.Account, Name: name}
}

// list answers GET /executions: every standard machine's executions, newest first.
func (h *Handler) list(ctx context.Context, req *events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var none events.APIGatewayProxyResponse
	if req.HTTPMethod != http.MethodGet {
		return none, httpapi.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "Use GET to list executions.").
			WithHeader("Allow", "GET")
	}
	c, err := h.parseList(ctx, req)
	if err != nil {
		return none, err
	}
	// One merge source per machine: the page in hand, from the cursor's token and offset on.
	sources := make([]listSource, 0, len(c.Machines))
	for _, name := range slices.Sorted(maps.Keys(c.Machines)) {
		src := listSource{machine: h.machine(name), cursor: c.Machines[name]}
		if err := src.fill(ctx, h.sfn, c); err != nil {
			return none, err
		}
		sources = append(sources, src)
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
			if src.done {
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

	next := listCursor{Status: c.Status, Limit: c.Limit, Machines: map[string]machineCursor{}}
	for i := range sources {
		src := &sources[i]
		if src.exhausted() {
			if src.next == nil {
				continue // done
			}
			src.cursor = machineCursor{Token: *src.next}
		}
		if !src.done {
			next.Machines[src.machine.Name] = src.cursor
		}
	}
	if len(next.Machines) > 0 {
		body.Next = next.encode()
	}
	return httpapi.JSON(req.RequestContext.RequestID, http.StatusOK, body), nil
}

// listSource is one machine's listing during a merge. cursor.Skip counts the items of page
// already returned (by earlier answers and this one).
type listSource struct {
	machine execution.StateMachine
	cursor  machineCursor
	page    []types.ExecutionListItem
	next    *string
	done    bool // nothing left
}

func (s *listSource) exhausted() bool {
	return !s.done && s.cursor.Skip >= len(s.page)
}

func (s *listSource) head() types.ExecutionListItem { return s.page[s.cursor.Skip] }

// fill reads the page the cursor points at.
func (s *listSource) fill(ctx context.Context, client stepFunctions, c listCursor) error {
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.machine.String()), StatusFilter: c.Status, MaxResults: int32(c.Limit)}
	if s.cursor.Token != "" {
		in.NextToken = aws.String(s.cursor.Token)
	}
	out, err := client.ListExecutions(ctx, in)
	if err != nil {
		var invalid *types.InvalidToken
		if errors.As(err, &invalid) {
			return httpapi.InvalidRequest("The next token has expired or is not valid; list again from the first page.").Wrap(err)
		}
		return fmt.Errorf("list executions of %s: %w", s.machine.String(), err)
	}
	s.page, s.next = out.Executions, out.NextToken
	return nil
}

// advance moves to the next page, or marks the source done when there is none.
func (s *listSource) advance(ctx context.Context, client stepFunctions, c listCursor) error {
	if s.next == nil {
		s.done = true
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
