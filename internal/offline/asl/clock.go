package asl

import (
	"context"
	"math"
	"time"
)

// Clock is the engine's source of time: timestamps in the history, and the
// waits of Wait states, retry intervals and timeouts.
type Clock interface {
	Now() time.Time
	// Sleep waits for d of the clock's time, or until ctx is done (then it
	// returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock runs at wall-clock speed.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	return sleep(ctx, d)
}

// ScaledClock runs waits factor times faster than real time, so that a
// 29-second Wait state takes 290 ms at factor 100. Timestamps stay real.
type ScaledClock struct {
	factor float64
}

// NewScaledClock returns a clock whose waits are factor times shorter. A
// factor below 1 is treated as 1.
func NewScaledClock(factor float64) *ScaledClock {
	if factor < 1 {
		factor = 1
	}
	return &ScaledClock{factor: factor}
}

// Now implements Clock.
func (c *ScaledClock) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (c *ScaledClock) Sleep(ctx context.Context, d time.Duration) error {
	return sleep(ctx, time.Duration(float64(d)/c.factor))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxDuration is the longest time.Duration, about 292 years.
const maxDuration = time.Duration(math.MaxInt64)

// durationOfSeconds converts a number of seconds from a definition or an
// input to a Duration. Plain multiplication overflows beyond 292 years
// (Wait.Seconds accepts 1000 years, SecondsPath and TimeoutSecondsPath any
// int64), and a wrapped, negative duration would make a very long wait or
// timeout end at once; such durations saturate instead, which is the same as
// forever for an execution.
func durationOfSeconds(secs float64) time.Duration {
	switch {
	case math.IsNaN(secs) || secs <= 0:
		return 0
	case secs >= float64(maxDuration/time.Second):
		return maxDuration
	}
	return time.Duration(secs * float64(time.Second))
}
