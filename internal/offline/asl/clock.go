package asl

import (
	"math"
	"time"

	"github.com/stepgate/stepgate/internal/clock"
)

// Clock is the engine's source of time: timestamps in the history, and the waits of Wait states,
// retry intervals and timeouts. It is stepgate's one clock (package clock); the names below keep
// the engine's API.
type Clock = clock.Clock

// RealClock runs at wall-clock speed.
type RealClock = clock.Real

// NewScaledClock returns a clock whose waits are factor times shorter (see clock.NewScaled).
func NewScaledClock(factor float64) Clock { return clock.NewScaled(factor) }

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
