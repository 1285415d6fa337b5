package clock

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestFormat(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	if got := Format(time.Date(2025, 11, 25, 10, 30, 0, 5_000_000, loc)); got != "2025-11-25T09:30:00.005Z" {
		t.Errorf("Format = %s", got)
	}
}

// In a synctest bubble time moves only when every goroutine waits, so a sleep lasts exactly what the
// clock asks of the timer.
func TestScaledSleep(t *testing.T) {
	tests := []struct {
		name   string
		factor float64
		sleep  time.Duration
		want   time.Duration
	}{
		{name: "factor 1000", factor: 1000, sleep: 2 * time.Second, want: 2 * time.Millisecond},
		{name: "factor 20: a 29 s Wait state", factor: 20, sleep: 29 * time.Second, want: 1450 * time.Millisecond},
		{name: "a factor below 1 is 1", factor: 0.5, sleep: time.Second, want: time.Second},
		{name: "a negative wait does not wait", factor: 10, sleep: -time.Second, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				began := time.Now()
				if err := NewScaled(tt.factor).Sleep(context.Background(), tt.sleep); err != nil {
					t.Fatal(err)
				}
				if d := time.Since(began); d != tt.want {
					t.Errorf("a %s sleep at factor %g took %s, want %s", tt.sleep, tt.factor, d, tt.want)
				}
			})
		})
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []Clock{Real{}, NewScaled(10)} {
		if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("%T.Sleep on a done context = %v", c, err)
		}
	}
}
