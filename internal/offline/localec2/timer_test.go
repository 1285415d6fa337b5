package localec2

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// On the real clock a transition is logged when it happens, not at the next read; after Close
// nothing more is logged.
func TestTransitionLoggedWhenItHappens(t *testing.T) {
	var logs lockedBuffer
	e := New(Config{TransitionDelay: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := e.AddInstance(InstanceSpec{ID: stoppedID, State: StatePending}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "to=running") {
		if time.Now().After(deadline) {
			t.Fatalf("no transition logged without a read:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	var after lockedBuffer
	e2 := New(Config{TransitionDelay: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&after, nil))})
	if _, err := e2.AddInstance(InstanceSpec{ID: stoppedID, State: StatePending}); err != nil {
		t.Fatal(err)
	}
	e2.Close()
	time.Sleep(150 * time.Millisecond)
	if strings.Contains(after.String(), "to=running") {
		t.Fatalf("logged after Close:\n%s", after.String())
	}
}
