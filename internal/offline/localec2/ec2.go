// Package localec2 is the local EC2 of the offline stack: an in-memory set of
// instances with AWS's lifecycle (pending → running, stopping → stopped after a
// configurable delay), served over the EC2 query protocol (XML) for SDKs and the
// AWS CLI, and through the shapes of Step Functions' aws-sdk:ec2 integration.
//
// Transitions are settled lazily: an instance in pending, stopping or
// shutting-down carries the time its transition completes, and every read
// compares it with the clock. That needs no timers or goroutines, keeps the
// model trivially thread-safe under one mutex, and makes tests deterministic
// with a fake clock.
package localec2

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/stepgate/stepgate/internal/clock"
	"github.com/stepgate/stepgate/internal/offline/account"
	"github.com/stepgate/stepgate/internal/offline/awsid"
)

// State is an instance state name as EC2 reports it.
type State string

// The instance states of EC2's lifecycle.
const (
	StatePending      State = "pending"
	StateRunning      State = "running"
	StateShuttingDown State = "shutting-down"
	StateTerminated   State = "terminated"
	StateStopping     State = "stopping"
	StateStopped      State = "stopped"
)

// Code is the state's numeric code as EC2 reports it (the low byte of
// instanceState.code; the high byte is internal to AWS and always 0 here).
func (s State) Code() int32 {
	switch s {
	case StatePending:
		return 0
	case StateRunning:
		return 16
	case StateShuttingDown:
		return 32
	case StateTerminated:
		return 48
	case StateStopping:
		return 64
	case StateStopped:
		return 80
	}
	return -1
}

// Valid reports whether s is one of EC2's six state names.
func (s State) Valid() bool { return s.Code() >= 0 }

// settled is where a transitional state ends once its delay has passed.
func (s State) settled() (State, bool) {
	switch s {
	case StatePending:
		return StateRunning, true
	case StateStopping:
		return StateStopped, true
	case StateShuttingDown:
		return StateTerminated, true
	}
	return s, false
}

// Config configures a local EC2.
type Config struct {
	Region    string // default: the local region (package account)
	AccountID string // default: the local account (package account); the reservations' ownerId
	// TransitionDelay is how long pending, stopping and shutting-down last.
	// Zero makes transitions instant: the call that starts or stops an instance
	// still answers pending or stopping, as AWS does, and the next read sees
	// running or stopped.
	TransitionDelay time.Duration
	Logger          *slog.Logger // default: discard
	// Clock is the clock; nil means clock.Real. Tests inject a fake one.
	Clock clock.Clock
}

// InstanceSpec describes an instance to add. Empty fields get defaults: a
// random ID, t3.micro, a fixed AMI ID, and the running state.
type InstanceSpec struct {
	ID           string
	InstanceType string
	ImageID      string
	State        State
	Tags         map[string]string
}

// Instance is a snapshot of one instance.
type Instance struct {
	ID               string
	InstanceType     string
	ImageID          string
	State            State
	LaunchTime       time.Time
	PrivateIP        string
	AvailabilityZone string
	ReservationID    string
	// StateTransitionReason is EC2's reason text, e.g. "User initiated (2026-01-02 15:04:05 GMT)".
	StateTransitionReason string
	Tags                  map[string]string
}

// instance is the mutable record behind an Instance.
type instance struct {
	Instance
	// transitionAt is when a transitional state settles; zero when stable.
	transitionAt time.Time
}

// EC2 is a local EC2 endpoint. It is safe for concurrent use.
type EC2 struct {
	region    string
	accountID string
	delay     time.Duration
	log       *slog.Logger
	clock     clock.Clock
	// realClock is true when clock is the wall clock: transitions then settle on a timer, so the
	// console shows them when they happen rather than at the next read.
	realClock bool

	mu        sync.Mutex
	timers    map[*time.Timer]struct{} // pending transitions on the real clock; Close stops them
	closed    bool
	instances map[string]*instance
	order     []string // insertion order: listings are stable, as pagination needs
}

// New returns an empty local EC2.
func New(cfg Config) *EC2 {
	e := &EC2{
		region:    cfg.Region,
		accountID: cfg.AccountID,
		delay:     cfg.TransitionDelay,
		log:       cfg.Logger,
		clock:     cfg.Clock,
		instances: make(map[string]*instance),
	}
	if e.region == "" {
		e.region = account.Region
	}
	if e.accountID == "" {
		e.accountID = account.ID
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.clock == nil {
		e.clock = clock.Real{}
		e.realClock = true
	}
	return e
}

// validInstanceID reports whether id has EC2's instance ID format: "i-" and
// 8 (the old form) or 17 lowercase hex digits. Every call checks its IDs, so
// this is written out rather than a regular expression.
func validInstanceID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, "i-")
	if !ok || (len(hexPart) != 8 && len(hexPart) != 17) {
		return false
	}
	for i := 0; i < len(hexPart); i++ {
		if c := hexPart[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// AddInstance adds an instance. A transitional state (pending, stopping,
// shutting-down) settles after the configured delay, as if a call had just
// caused it.
func (e *EC2) AddInstance(spec InstanceSpec) (Instance, error) {
	if spec.ID == "" {
		spec.ID = "i-" + awsid.Hex(17)
	}
	if !validInstanceID(spec.ID) {
		return Instance{}, fmt.Errorf("add instance: malformed instance ID %q", spec.ID)
	}
	if spec.State == "" {
		spec.State = StateRunning
	}
	if !spec.State.Valid() {
		return Instance{}, fmt.Errorf("add instance %s: unknown state %q", spec.ID, spec.State)
	}
	if spec.InstanceType == "" {
		spec.InstanceType = "t3.micro"
	}
	if spec.ImageID == "" {
		spec.ImageID = "ami-0abcdef1234567890"
	}
	tags := make(map[string]string, len(spec.Tags))
	for k, v := range spec.Tags {
		tags[k] = v
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.instances[spec.ID]; dup {
		return Instance{}, fmt.Errorf("add instance %s: already exists", spec.ID)
	}
	now := e.clock.Now().UTC()
	n := len(e.order)
	in := &instance{Instance: Instance{
		ID:               spec.ID,
		InstanceType:     spec.InstanceType,
		ImageID:          spec.ImageID,
		State:            spec.State,
		LaunchTime:       now.Truncate(time.Second),
		PrivateIP:        fmt.Sprintf("172.31.%d.%d", 16+n/250, 10+n%250),
		AvailabilityZone: e.region + "a",
		ReservationID:    "r-" + reservationSuffix(spec.ID),
		Tags:             tags,
	}}
	if spec.State == StateStopped || spec.State == StateStopping {
		in.StateTransitionReason = userInitiated(now)
	}
	if _, transitional := spec.State.settled(); transitional {
		e.beginTransition(in, now)
	}
	e.instances[spec.ID] = in
	e.order = append(e.order, spec.ID)
	return in.snapshot(), nil
}

// Instance returns a snapshot of one instance.
func (e *EC2) Instance(id string) (Instance, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if !ok {
		return Instance{}, false
	}
	e.settle(in, e.clock.Now())
	return in.snapshot(), true
}

// Instances returns snapshots of every instance, in the order they were added.
func (e *EC2) Instances() []Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	out := make([]Instance, 0, len(e.order))
	for _, id := range e.order {
		in := e.instances[id]
		e.settle(in, now)
		out = append(out, in.snapshot())
	}
	return out
}

// snapshot copies the instance so callers cannot race with later changes.
func (in *instance) snapshot() Instance {
	s := in.Instance
	s.Tags = make(map[string]string, len(in.Tags))
	for k, v := range in.Tags {
		s.Tags[k] = v
	}
	return s
}

// beginTransition starts the delay after which a transitional state settles. Callers hold e.mu.
func (e *EC2) beginTransition(in *instance, now time.Time) {
	in.transitionAt = now.Add(e.delay)
	if !e.realClock || e.delay <= 0 || e.closed {
		return
	}
	if e.timers == nil {
		e.timers = make(map[*time.Timer]struct{})
	}
	var t *time.Timer
	t = time.AfterFunc(e.delay, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.timers, t)
		if !e.closed {
			e.settle(in, e.clock.Now())
		}
	})
	e.timers[t] = struct{}{}
}

// Close stops the timers of transitions in progress, so nothing is logged after the stack stops.
// Reads still settle transitions whose time has come.
func (e *EC2) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	for t := range e.timers {
		t.Stop()
	}
	e.timers = nil
}

// settle completes a transition whose delay has passed. Callers hold e.mu.
func (e *EC2) settle(in *instance, now time.Time) {
	if in.transitionAt.IsZero() || now.Before(in.transitionAt) {
		return
	}
	to, ok := in.State.settled()
	if !ok {
		in.transitionAt = time.Time{}
		return
	}
	// With a fake clock this runs on the first read after the change, so "at" says when it happened.
	e.log.Info("ec2 instance state changed", "instanceId", in.ID, "from", string(in.State), "to", string(to), "at", in.transitionAt)
	in.State = to
	in.transitionAt = time.Time{}
}

// stateChange is one item of a StartInstances/StopInstances answer.
type stateChange struct {
	id                string
	previous, current State
}

// change applies StartInstances (start true) or StopInstances to ids. Like
// EC2 it is all or nothing: every ID is checked before any instance changes.
func (e *EC2) change(ids []string, start bool) ([]stateChange, error) {
	if len(ids) == 0 {
		return nil, errMissingParameter("InstanceId")
	}
	if err := checkIDs(ids); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	targets := make([]*instance, 0, len(ids))
	var missing []string
	for _, id := range ids {
		in, ok := e.instances[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		e.settle(in, now)
		targets = append(targets, in)
	}
	if len(missing) > 0 {
		return nil, errNotFound(missing)
	}
	for _, in := range targets {
		if !allowed(in.State, start) {
			return nil, errIncorrectState(in.ID, start)
		}
	}
	out := make([]stateChange, 0, len(targets))
	for _, in := range targets {
		c := stateChange{id: in.ID, previous: in.State, current: in.State}
		switch {
		case start && in.State == StateStopped:
			in.State = StatePending
			in.LaunchTime = now.UTC().Truncate(time.Second)
			in.StateTransitionReason = ""
			e.beginTransition(in, now)
		case !start && in.State == StateRunning:
			in.State = StateStopping
			in.StateTransitionReason = userInitiated(now)
			e.beginTransition(in, now)
		}
		c.current = in.State
		if c.current != c.previous {
			e.log.Info("ec2 instance state changed", "instanceId", in.ID, "from", string(c.previous), "to", string(c.current))
		}
		out = append(out, c)
	}
	return out, nil
}

// allowed says whether EC2 accepts the call in state s. A call that finds the
// instance already on its way (pending for start, stopping/stopped for stop)
// or already there succeeds without a change, as on AWS.
func allowed(s State, start bool) bool {
	if start {
		return s == StateStopped || s == StatePending || s == StateRunning
	}
	return s == StateRunning || s == StateStopping || s == StateStopped
}

// userInitiated is EC2's stateTransitionReason for a stop the user asked for.
func userInitiated(t time.Time) string {
	return "User initiated (" + t.UTC().Format("2006-01-02 15:04:05") + " GMT)"
}

// reservationSuffix derives a stable reservation ID from the instance ID, so
// that repeated describes agree.
func reservationSuffix(instanceID string) string {
	var h uint64 = 14695981039346656037 // FNV-1a
	for i := 0; i < len(instanceID); i++ {
		h ^= uint64(instanceID[i])
		h *= 1099511628211
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	return (hex.EncodeToString(b[:]) + "0")[:17]
}
