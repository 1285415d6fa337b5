package asl

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// Errors of TaskTokens' methods: what SendTaskSuccess, SendTaskFailure and
// SendTaskHeartbeat answer for a token they cannot deliver to.
var (
	// ErrInvalidToken: the token is not one Step Functions could have
	// issued (AWS: InvalidToken).
	ErrInvalidToken = errors.New("invalid task token")
	// ErrTaskDoesNotExist: the token is well formed but no task of this
	// local Step Functions was given it, for example one a previous run
	// issued (AWS: TaskDoesNotExist).
	ErrTaskDoesNotExist = errors.New("no task has this token")
	// ErrTaskTimedOut: the task the token was issued to has ended: it
	// timed out, its execution stopped or ended, or it already had its
	// outcome (AWS: TaskTimedOut, "The task token has either expired or the
	// task associated with the token has already been closed").
	ErrTaskTimedOut = errors.New("the task of this token has already ended")
	// ErrInvalidOutput: SendTaskSuccess's output is not JSON (AWS:
	// InvalidOutput).
	ErrInvalidOutput = errors.New("the task output is not valid JSON")
)

// ErrTaskCompleted is the cause with which the engine cancels the context
// an Invoker got for a callback task (.waitForTaskToken, .sync) once the
// task has its outcome. Any other cause means the task was abandoned: its
// execution stopped or failed elsewhere, or the task timed out. A .sync
// integration stops the job it started only then, as Step Functions stops a
// nested execution whose parent is stopped.
var ErrTaskCompleted = errors.New("task completed")

// errHeartbeatTimedOut is the cancellation cause when a callback task gets
// no heartbeat within its HeartbeatSeconds.
var errHeartbeatTimedOut = errors.New("task heartbeat timed out")

// Task tokens look like AWS's: standard base64 (with '+', '/' and '='
// padding, so that callers learn to URL-encode them), about 650 characters,
// and they are unguessable: every byte after the header comes from
// crypto/rand. The header tells a token this engine could have issued from
// anything else (ErrInvalidToken).
const tokenBytes = 481

var tokenHeader = [...]byte{0x01, 0x00, 0x53, 0x47} // version 1, then "SG"

// maxClosedTokens bounds how many ended tasks are remembered, so that a
// late callback is answered ErrTaskTimedOut rather than
// ErrTaskDoesNotExist; older ones fall back to the latter.
const maxClosedTokens = 10000

// TaskTokens holds the task tokens of the callback tasks the executions of
// one local Step Functions wait for: a task registers its token before its
// input is built, and SendTaskSuccess, SendTaskFailure and
// SendTaskHeartbeat reach it here. Tokens are held by their SHA-256 only.
// It is safe for concurrent use.
type TaskTokens struct {
	mu      sync.Mutex
	pending map[tokenKey]*callbackWait
	closed  map[tokenKey]struct{}
	order   []tokenKey // closed, oldest first
}

type tokenKey [sha256.Size]byte

// NewTaskTokens returns an empty registry.
func NewTaskTokens() *TaskTokens {
	return &TaskTokens{pending: map[tokenKey]*callbackWait{}, closed: map[tokenKey]struct{}{}}
}

// callbackWait is one task waiting for its token to come back.
type callbackWait struct {
	token string
	key   tokenKey
	// outcome holds the first SendTaskSuccess or SendTaskFailure, which
	// also closes the token: a second one is ErrTaskTimedOut, as on AWS.
	outcome chan callbackOutcome
	beat    chan struct{} // a heartbeat since the last one was seen
}

type callbackOutcome struct {
	output  json.RawMessage // SendTaskSuccess
	failure *Failure        // SendTaskFailure
}

// issue mints a token and registers its task.
func (r *TaskTokens) issue() (*callbackWait, error) {
	b := make([]byte, tokenBytes)
	copy(b, tokenHeader[:])
	if _, err := rand.Read(b[len(tokenHeader):]); err != nil {
		return nil, failf(ErrNameRuntime, "Could not generate a task token: %v", err)
	}
	token := base64.StdEncoding.EncodeToString(b)
	w := &callbackWait{token: token, key: sha256.Sum256([]byte(token)),
		outcome: make(chan callbackOutcome, 1), beat: make(chan struct{}, 1)}
	r.mu.Lock()
	r.pending[w.key] = w
	r.mu.Unlock()
	return w, nil
}

// close ends the task's wait: its token is remembered as closed.
func (r *TaskTokens) close(w *callbackWait) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeLocked(w.key)
}

func (r *TaskTokens) closeLocked(key tokenKey) {
	if _, ok := r.pending[key]; !ok {
		return
	}
	delete(r.pending, key)
	r.closed[key] = struct{}{}
	r.order = append(r.order, key)
	if len(r.order) > maxClosedTokens {
		delete(r.closed, r.order[0])
		r.order = r.order[1:]
	}
}

// wellFormed tells a token this engine could have issued.
func wellFormed(token string) bool {
	if base64.StdEncoding.EncodedLen(tokenBytes) != len(token) {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(token)
	return err == nil && len(b) == tokenBytes && [4]byte(b[:4]) == tokenHeader
}

// find returns the waiting task of token, or why there is none. Called
// with r.mu held.
func (r *TaskTokens) find(token string) (*callbackWait, error) {
	if !wellFormed(token) {
		return nil, ErrInvalidToken
	}
	key := sha256.Sum256([]byte(token))
	if w, ok := r.pending[key]; ok {
		return w, nil
	}
	if _, ok := r.closed[key]; ok {
		return nil, ErrTaskTimedOut
	}
	return nil, ErrTaskDoesNotExist
}

// settle delivers a task's outcome and closes its token.
func (r *TaskTokens) settle(token string, o callbackOutcome) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, err := r.find(token)
	if err != nil {
		return err
	}
	r.closeLocked(w.key)
	w.outcome <- o // never blocks: the first outcome closes the token
	return nil
}

// Succeed completes the task of token with output, JSON text
// (SendTaskSuccess). The error is one of ErrInvalidToken,
// ErrTaskDoesNotExist, ErrTaskTimedOut and ErrInvalidOutput.
func (r *TaskTokens) Succeed(token, output string) error {
	if !json.Valid([]byte(output)) {
		return ErrInvalidOutput
	}
	return r.settle(token, callbackOutcome{output: json.RawMessage(output)})
}

// Fail fails the task of token with an error name and a cause, either
// possibly empty (SendTaskFailure). Retry and Catch match the name as any
// task error; an empty name is matched by States.ALL only, and Catch writes
// it, and an empty cause, as null. The error is one of ErrInvalidToken,
// ErrTaskDoesNotExist and ErrTaskTimedOut.
func (r *TaskTokens) Fail(token, errorName, cause string) error {
	return r.settle(token, callbackOutcome{failure: &Failure{Name: errorName, Cause: cause, nullWhenEmpty: true}})
}

// Heartbeat tells the task of token that its worker is alive
// (SendTaskHeartbeat): its HeartbeatSeconds start again. The error is one of
// ErrInvalidToken, ErrTaskDoesNotExist and ErrTaskTimedOut.
func (r *TaskTokens) Heartbeat(token string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, err := r.find(token)
	if err != nil {
		return err
	}
	select {
	case w.beat <- struct{}{}:
	default: // one is already pending
	}
	return nil
}

// heartbeatWatch fails a callback task whose worker stays silent for its
// HeartbeatSeconds: every heartbeat starts the wait again.
type heartbeatWatch struct {
	t      *thread
	ctx    context.Context
	every  time.Duration
	expire context.CancelCauseFunc // the task's
	stop   context.CancelFunc      // the current wait's
}

func (h *heartbeatWatch) restart() {
	if h.stop != nil {
		h.stop()
	}
	var wctx context.Context
	wctx, h.stop = context.WithCancel(h.ctx)
	h.t.exec.afterSleep(wctx, h.every, func() { h.expire(errHeartbeatTimedOut) })
}

func (h *heartbeatWatch) end() {
	if h != nil && h.stop != nil {
		h.stop()
	}
}

// awaitCallback waits for the outcome of a callback task once its
// integration has been called: SendTaskSuccess's output, SendTaskFailure's
// error, or the end of ctx (the task timed out, its heartbeat expired or the
// execution stopped; the caller reads the cause). Heartbeats restart hb.
func awaitCallback(ctx context.Context, w *callbackWait, hb *heartbeatWatch) (any, error) {
	for {
		select {
		case o := <-w.outcome:
			if o.failure != nil {
				return nil, o.failure
			}
			return decodeResult(o.output)
		case <-w.beat:
			if hb != nil {
				hb.restart()
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
