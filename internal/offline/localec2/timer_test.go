package localec2

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
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
// nothing more is logged. The real clock runs in a synctest bubble, whose time moves only when every
// goroutine in it waits, so "when it happens" is exact: not before the delay, and at once after it.
func TestTransitionLoggedWhenItHappens(t *testing.T) {
	const delay = 50 * time.Millisecond
	synctest.Test(t, func(t *testing.T) {
		var logs lockedBuffer
		e := New(Config{TransitionDelay: delay, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		defer e.Close()
		if _, err := e.AddInstance(InstanceSpec{ID: stoppedID, State: StatePending}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay - time.Millisecond)
		synctest.Wait()
		if strings.Contains(logs.String(), "to=running") {
			t.Fatalf("logged before the delay passed:\n%s", logs.String())
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if !strings.Contains(logs.String(), "to=running") {
			t.Fatalf("no transition logged when the delay passed, without a read:\n%s", logs.String())
		}
	})

	synctest.Test(t, func(t *testing.T) {
		var after lockedBuffer
		e := New(Config{TransitionDelay: delay, Logger: slog.New(slog.NewTextHandler(&after, nil))})
		if _, err := e.AddInstance(InstanceSpec{ID: stoppedID, State: StatePending}); err != nil {
			t.Fatal(err)
		}
		e.Close()
		time.Sleep(2 * delay)
		synctest.Wait()
		if strings.Contains(after.String(), "to=running") {
			t.Fatalf("logged after Close:\n%s", after.String())
		}
	})
}
