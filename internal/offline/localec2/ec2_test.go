package localec2

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock: transitions settle only when a test moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep is Advance: the local EC2 never sleeps; it completes the clock.Clock interface.
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.Advance(d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	stoppedID = "i-0123456789abcdef0"
	runningID = "i-0aaaaaaaaaaaaaaa1"
	pendingID = "i-0bbbbbbbbbbbbbbb2"
)

// newTestEC2 returns a local EC2 with a 10 s transition delay on a fake clock,
// holding one stopped, one running and one pending instance.
func newTestEC2(t testing.TB, delay time.Duration) (*EC2, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	e := New(Config{TransitionDelay: delay, Clock: clock})
	for _, spec := range []InstanceSpec{
		{ID: stoppedID, State: StateStopped, Tags: map[string]string{"Name": "managed", "aws:cloudformation:logical-id": "ManagedInstance"}},
		{ID: runningID, State: StateRunning, InstanceType: "t4g.nano"},
		{ID: pendingID, State: StatePending},
	} {
		if _, err := e.AddInstance(spec); err != nil {
			t.Fatalf("AddInstance(%s): %v", spec.ID, err)
		}
	}
	return e, clock
}

func TestStateCodes(t *testing.T) {
	want := map[State]int32{
		StatePending: 0, StateRunning: 16, StateShuttingDown: 32,
		StateTerminated: 48, StateStopping: 64, StateStopped: 80, State("bogus"): -1,
	}
	for s, code := range want {
		t.Run(string(s), func(t *testing.T) {
			if got := s.Code(); got != code {
				t.Errorf("Code() = %d, want %d", got, code)
			}
			if got := s.Valid(); got != (code >= 0) {
				t.Errorf("Valid() = %v, want %v", got, code >= 0)
			}
		})
	}
}

func TestAddInstance(t *testing.T) {
	tests := []struct {
		name    string
		spec    InstanceSpec
		wantErr string
		check   func(t *testing.T, in Instance)
	}{
		{
			name: "defaults",
			spec: InstanceSpec{},
			check: func(t *testing.T, in Instance) {
				if !validInstanceID(in.ID) || len(in.ID) != 19 {
					t.Errorf("generated ID %q is not a long instance ID", in.ID)
				}
				if in.State != StateRunning || in.InstanceType != "t3.micro" || in.ImageID == "" {
					t.Errorf("defaults not applied: %+v", in)
				}
			},
		},
		{
			name: "explicit fields",
			spec: InstanceSpec{ID: "i-12345678", InstanceType: "m5.large", ImageID: "ami-12345678", State: StateStopped, Tags: map[string]string{"k": "v"}},
			check: func(t *testing.T, in Instance) {
				if in.ID != "i-12345678" || in.InstanceType != "m5.large" || in.ImageID != "ami-12345678" || in.State != StateStopped {
					t.Errorf("fields not kept: %+v", in)
				}
				if in.Tags["k"] != "v" || in.AvailabilityZone != "us-east-1a" || in.PrivateIP == "" || in.StateTransitionReason == "" {
					t.Errorf("derived fields wrong: %+v", in)
				}
			},
		},
		{name: "malformed ID", spec: InstanceSpec{ID: "i-xyz"}, wantErr: `malformed instance ID "i-xyz"`},
		{name: "unknown state", spec: InstanceSpec{ID: "i-12345679", State: "sleeping"}, wantErr: `unknown state "sleeping"`},
		{name: "duplicate", spec: InstanceSpec{ID: stoppedID}, wantErr: "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEC2(t, 0)
			in, err := e.AddInstance(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, in)
			got, ok := e.Instance(in.ID)
			if !ok || got.ID != in.ID {
				t.Errorf("Instance(%s) = %+v, %v", in.ID, got, ok)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	type step struct {
		call         string // "start", "stop" or "" (just advance the clock)
		advance      time.Duration
		wantPrevious State
		wantCurrent  State // the call's answer
		wantErrCode  string
		wantState    State // read afterwards
	}
	tests := []struct {
		name  string
		id    string
		delay time.Duration
		steps []step
	}{
		{
			name: "start a stopped instance with a delay", id: stoppedID, delay: 10 * time.Second,
			steps: []step{
				{call: "start", wantPrevious: StateStopped, wantCurrent: StatePending, wantState: StatePending},
				{advance: 9 * time.Second, wantState: StatePending},
				{advance: time.Second, wantState: StateRunning},
			},
		},
		{
			name: "stop a running instance with a delay", id: runningID, delay: 10 * time.Second,
			steps: []step{
				{call: "stop", wantPrevious: StateRunning, wantCurrent: StateStopping, wantState: StateStopping},
				{call: "stop", wantPrevious: StateStopping, wantCurrent: StateStopping, wantState: StateStopping},
				{call: "start", wantErrCode: "IncorrectInstanceState", wantState: StateStopping},
				{advance: 10 * time.Second, wantState: StateStopped},
				{call: "stop", wantPrevious: StateStopped, wantCurrent: StateStopped, wantState: StateStopped},
			},
		},
		{
			name: "delay zero still reports the transition", id: stoppedID, delay: 0,
			steps: []step{
				{call: "start", wantPrevious: StateStopped, wantCurrent: StatePending, wantState: StateRunning},
				{call: "start", wantPrevious: StateRunning, wantCurrent: StateRunning, wantState: StateRunning},
				{call: "stop", wantPrevious: StateRunning, wantCurrent: StateStopping, wantState: StateStopped},
			},
		},
		{
			name: "a pending instance cannot be stopped but can be started", id: pendingID, delay: 10 * time.Second,
			steps: []step{
				{call: "stop", wantErrCode: "IncorrectInstanceState", wantState: StatePending},
				{call: "start", wantPrevious: StatePending, wantCurrent: StatePending, wantState: StatePending},
				{advance: 10 * time.Second, wantState: StateRunning},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newTestEC2(t, tt.delay)
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				if s.call != "" {
					changes, err := e.change([]string{tt.id}, s.call == "start")
					if s.wantErrCode != "" {
						var apiErr *APIError
						if !errors.As(err, &apiErr) || apiErr.Code != s.wantErrCode {
							t.Fatalf("step %d: err = %v, want code %s", i, err, s.wantErrCode)
						}
					} else {
						if err != nil {
							t.Fatalf("step %d: %v", i, err)
						}
						if len(changes) != 1 || changes[0].previous != s.wantPrevious || changes[0].current != s.wantCurrent {
							t.Fatalf("step %d: changes = %+v, want %s → %s", i, changes, s.wantPrevious, s.wantCurrent)
						}
					}
				}
				got, _ := e.Instance(tt.id)
				if got.State != s.wantState {
					t.Fatalf("step %d: state = %s, want %s", i, got.State, s.wantState)
				}
			}
		})
	}
}

func TestChangeIsAllOrNothing(t *testing.T) {
	e, _ := newTestEC2(t, 10*time.Second)
	// The running instance could stop, the pending one cannot: nothing changes.
	_, err := e.change([]string{runningID, pendingID}, false)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "IncorrectInstanceState" {
		t.Fatalf("err = %v, want IncorrectInstanceState", err)
	}
	if in, _ := e.Instance(runningID); in.State != StateRunning {
		t.Errorf("running instance changed to %s by a failed call", in.State)
	}
}

func TestStartUpdatesLaunchTime(t *testing.T) {
	e, clock := newTestEC2(t, 0)
	before, _ := e.Instance(stoppedID)
	clock.Advance(time.Hour)
	if _, err := e.change([]string{stoppedID}, true); err != nil {
		t.Fatal(err)
	}
	after, _ := e.Instance(stoppedID)
	if !after.LaunchTime.Equal(before.LaunchTime.Add(time.Hour)) {
		t.Errorf("LaunchTime = %s, want %s", after.LaunchTime, before.LaunchTime.Add(time.Hour))
	}
	if after.StateTransitionReason != "" {
		t.Errorf("StateTransitionReason = %q after a start, want empty", after.StateTransitionReason)
	}
}

func TestSnapshotsAreCopies(t *testing.T) {
	e, _ := newTestEC2(t, 0)
	in, _ := e.Instance(stoppedID)
	in.Tags["Name"] = "changed"
	if again, _ := e.Instance(stoppedID); again.Tags["Name"] != "managed" {
		t.Errorf("a snapshot's tags alias the model: %q", again.Tags["Name"])
	}
	list := e.Instances()
	if len(list) != 3 || list[0].ID != stoppedID || list[1].ID != runningID || list[2].ID != pendingID {
		t.Errorf("Instances() not in insertion order: %v", list)
	}
}

// TestConcurrentUse is meaningful under -race: callers share one model.
func TestConcurrentUse(t *testing.T) {
	e, clock := newTestEC2(t, time.Second)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				_, _ = e.change([]string{stoppedID}, i%2 == 0)
				_, _, _ = e.describe(describeQuery{includeAll: true})
				clock.Advance(100 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if in, _ := e.Instance(stoppedID); !in.State.Valid() {
		t.Errorf("state %q after concurrent use", in.State)
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"running", "running", true},
		{"run*", "running", true},
		{"*ing", "stopping", true},
		{"s?opped", "stopped", true},
		{"*", "", true},
		{"i-0123*f0", "i-0123456789abcdef0", true},
		{"stop", "stopped", false},
		{"*x*", "running", false},
		{"", "a", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s~%s", tt.pattern, tt.s), func(t *testing.T) {
			if got := wildcard(tt.pattern, tt.s); got != tt.want {
				t.Errorf("wildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestPaginationToken(t *testing.T) {
	for _, n := range []int{0, 1, 5, 1000} {
		got, err := decodeToken(encodeToken(n))
		if err != nil || got != n {
			t.Errorf("decodeToken(encodeToken(%d)) = %d, %v", n, got, err)
		}
	}
	for _, bad := range []string{"!!", "bm9wZQ", encodeToken(-1)} {
		if _, err := decodeToken(bad); err == nil {
			t.Errorf("decodeToken(%q) accepted a bad token", bad)
		}
	}
}

func TestValidInstanceID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"i-12345678", true},
		{"i-0123456789abcdef0", true},
		{"i-1234567", false},
		{"i-123456789", false},
		{"i-0123456789ABCDEF0", false},
		{"i-0123456789abcdefg", false},
		{"x-12345678", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := validInstanceID(tt.id); got != tt.want {
				t.Errorf("validInstanceID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}
