package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	if got := Format(time.Date(2025, 11, 25, 10, 30, 0, 5_000_000, loc)); got != "2025-11-25T09:30:00.005Z" {
		t.Errorf("Format = %s", got)
	}
}

func TestScaledSleep(t *testing.T) {
	began := time.Now()
	if err := NewScaled(1000).Sleep(context.Background(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("a 2 s sleep at factor 1000 took %s", d)
	}
	if NewScaled(0.5).factor != 1 {
		t.Error("a factor below 1 is not treated as 1")
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
