// Package clock is the one way stepgate's code reads time, waits on it and writes it: the Lambdas
// (a long poll), the offline stack (its engine's Wait states, EC2's transitions) and their tests
// inject a Clock, and every timestamp a response carries is Format's. It sits outside
// internal/app and internal/offline so both may import it; it imports neither.
package clock

import (
	"context"
	"time"
)

// Clock is a source of time that tests and the offline stack's time scale can replace.
type Clock interface {
	Now() time.Time
	// Sleep waits for d of the clock's time, or until ctx is done (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// Real runs at wall-clock speed.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (Real) Sleep(ctx context.Context, d time.Duration) error { return sleep(ctx, d) }

// Scaled runs waits factor times faster than real time, so that a 29-second Wait state takes
// 290 ms at factor 100. Timestamps stay real.
type Scaled struct {
	factor float64
}

// NewScaled returns a clock whose waits are factor times shorter. A factor below 1 is treated as 1.
func NewScaled(factor float64) *Scaled {
	if factor < 1 {
		factor = 1
	}
	return &Scaled{factor: factor}
}

// Now implements Clock.
func (c *Scaled) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (c *Scaled) Sleep(ctx context.Context, d time.Duration) error {
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

// TimeFormat is ISO 8601 / RFC 3339 in UTC with milliseconds, as AWS writes timestamps in JSON and
// XML (EC2's launchTime, Step Functions' console) and as every time in an API response is written.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Format renders t in TimeFormat.
func Format(t time.Time) string { return t.UTC().Format(TimeFormat) }
