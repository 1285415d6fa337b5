package asl

import (
	"context"
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
