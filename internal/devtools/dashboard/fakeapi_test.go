package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// fakeAPI follows the API's routes (docs/openapi.yaml) closely enough for the page: a standard execution walks a scripted
// path through the standard machine's states (one retried Check included), the events route long
// polls with a cursor, and the instance changes state when an execution ends.
type fakeAPI struct {
	mu         sync.Mutex
	instance   string // the instance's state
	executions []*fakeExecution
	step       time.Duration
	// throttle answers this many GET /instances calls 429, as API Gateway's usage plan would.
	throttle int
	// pauseAt holds the standard executions started from now on in this state until they are
	// stopped, so that a test stops one there instead of racing the fake's pace.
	pauseAt string
}

type fakeExecution struct {
	arn, name string
	start     time.Time
	stop      time.Time
	status    string
	events    []map[string]any
	changed   chan struct{} // closed and replaced on every new event
	stopped   chan struct{} // closed when the execution is stopped
}

// fakePath is the standard machine's path for a start of a stopped instance, with Check failing
// once with a retried Lambda error.
var fakePath = []struct{ typ, state, errorName string }{
	{"StateEntered", "InitialWait", ""}, {"StateExited", "InitialWait", ""},
	{"StateEntered", "Normalize", ""}, {"StateExited", "Normalize", ""},
	{"StateEntered", "ValidateAction", ""}, {"StateExited", "ValidateAction", ""},
	{"StateEntered", "Init", ""}, {"StateExited", "Init", ""},
	{"StateEntered", "Check", ""}, {"TaskFailed", "Check", "Lambda.TooManyRequestsException"}, {"StateExited", "Check", ""},
	{"StateEntered", "Decide", ""}, {"StateExited", "Decide", ""},
	{"StateEntered", "Start", ""}, {"StateExited", "Start", ""},
}

const fakeMachine = "arn:aws:states:us-east-1:123456789012:stateMachine:StandardStateMachine"

func newFakeAPI(step time.Duration) *fakeAPI {
	return &fakeAPI{instance: "stopped", step: step}
}

func (f *fakeAPI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /express-instance", f.express)
	mux.HandleFunc("POST /standard-instance", f.standard)
	mux.HandleFunc("GET /executions", f.list)
	mux.HandleFunc("GET /executions/{arn}", f.describe)
	mux.HandleFunc("GET /executions/{arn}/events", f.eventsRoute)
	mux.HandleFunc("DELETE /executions/{arn}", f.stop)
	mux.HandleFunc("GET /instances/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.throttle > 0 {
			f.throttle--
			w.Header().Set("Retry-After", "1")
			apiError(w, http.StatusTooManyRequests, "Throttled", "Too many requests; retry in a second.")
			return
		}
		writeJSON(w, 200, map[string]string{"instance_id": r.PathValue("id"), "state": f.instance})
	})
	return mux
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Request-Id", "fake-req")
	writeJSON(w, status, map[string]string{"error": code, "message": msg, "requestId": "fake-req"})
}

func (f *fakeAPI) express(w http.ResponseWriter, r *http.Request) {
	var in struct{ Action string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	if in.Action == "toggle" {
		apiError(w, http.StatusConflict, "InstanceInTransition", "The instance is still pending or stopping; try again in a minute.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := f.instance
	f.instance = map[string]string{"start": "running", "stop": "stopped"}[in.Action]
	writeJSON(w, 200, map[string]string{"instance_id": testInstance, "previous_state": prev, "action": in.Action, "current_state": f.instance})
}

func (f *fakeAPI) standard(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	name := fmt.Sprintf("%064x", len(f.executions)+1)
	e := &fakeExecution{arn: "arn:aws:states:us-east-1:123456789012:execution:StandardStateMachine:" + name, name: name,
		start: time.Now().UTC(), status: "RUNNING", changed: make(chan struct{}), stopped: make(chan struct{})}
	f.executions = append(f.executions, e)
	e.add("ExecutionStarted", "", "")
	pauseAt := f.pauseAt
	f.mu.Unlock()
	go func() {
		for _, p := range fakePath {
			time.Sleep(f.step)
			f.mu.Lock()
			if e.status != "RUNNING" {
				f.mu.Unlock()
				return
			}
			e.add(p.typ, p.state, p.errorName)
			f.mu.Unlock()
			if p.typ == "StateEntered" && p.state == pauseAt {
				<-e.stopped
				return
			}
		}
		time.Sleep(f.step)
		f.mu.Lock()
		if e.status != "RUNNING" {
			f.mu.Unlock()
			return
		}
		f.instance = "running"
		e.status, e.stop = "SUCCEEDED", time.Now().UTC()
		e.add("ExecutionSucceeded", "", "")
		f.mu.Unlock()
	}()
	statusURL := "http://" + r.Host + "/executions/" + url.PathEscape(e.arn)
	w.Header().Set("Location", statusURL)
	writeJSON(w, http.StatusAccepted, map[string]string{"executionArn": e.arn, "startDate": fakeTime(e.start), "statusUrl": statusURL})
}

// add appends an event; f.mu is held.
func (e *fakeExecution) add(typ, state, errorName string) {
	ev := map[string]any{"id": len(e.events) + 1, "timestamp": fakeTime(time.Now()), "type": typ}
	if state != "" {
		ev["state"] = state
	}
	if errorName != "" {
		ev["error"], ev["cause"] = errorName, "Rate exceeded"
	}
	e.events = append(e.events, ev)
	close(e.changed)
	e.changed = make(chan struct{})
}

func fakeTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (f *fakeAPI) find(w http.ResponseWriter, r *http.Request) *fakeExecution {
	arn := r.PathValue("arn")
	for _, e := range f.executions {
		if e.arn == arn {
			return e
		}
	}
	apiError(w, http.StatusNotFound, "ExecutionNotFound", "No execution of this stack has that ARN.")
	return nil
}

func (f *fakeAPI) summary(e *fakeExecution) map[string]any {
	m := map[string]any{"executionArn": e.arn, "stateMachineArn": fakeMachine, "name": e.name, "status": e.status,
		"startDate": fakeTime(e.start), "statusUrl": "http://fake/executions/" + url.PathEscape(e.arn)}
	if !e.stop.IsZero() {
		m["stopDate"] = fakeTime(e.stop)
	}
	return m
}

func (f *fakeAPI) list(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := []map[string]any{}
	for i := len(f.executions) - 1; i >= 0; i-- {
		s := f.summary(f.executions[i])
		delete(s, "stateMachineArn")
		list = append(list, s)
	}
	writeJSON(w, 200, map[string]any{"executions": list})
}

func (f *fakeAPI) describe(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.find(w, r); e != nil {
		writeJSON(w, 200, f.summary(e))
	}
}

func (f *fakeAPI) eventsRoute(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
	deadline := time.After(time.Duration(wait) * time.Second)
	for {
		f.mu.Lock()
		e := f.find(w, r)
		if e == nil {
			f.mu.Unlock()
			return
		}
		if len(e.events) > after || e.status != "RUNNING" {
			out := append([]map[string]any{}, e.events[min(after, len(e.events)):]...)
			writeJSON(w, 200, map[string]any{"executionArn": e.arn, "status": e.status, "events": out,
				"cursor": strconv.Itoa(len(e.events))})
			f.mu.Unlock()
			return
		}
		changed := e.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			f.mu.Lock()
			writeJSON(w, 200, map[string]any{"executionArn": e.arn, "status": e.status, "events": []any{}, "cursor": strconv.Itoa(after)})
			f.mu.Unlock()
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeAPI) stop(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.find(w, r)
	if e == nil {
		return
	}
	if e.status != "RUNNING" {
		apiError(w, http.StatusConflict, "ExecutionNotRunning", "The execution has already finished.")
		return
	}
	e.status, e.stop = "ABORTED", time.Now().UTC()
	e.add("ExecutionAborted", "", "")
	close(e.stopped)
	writeJSON(w, http.StatusAccepted, f.summary(e))
}
