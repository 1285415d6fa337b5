package asl

import (
	"context"
	"slices"
	"time"
)

// maxWaitSeconds is the longest Seconds a definition may give (1000 years).
const maxWaitSeconds = 31536000 * 1000

// waitKind waits for a number of seconds or until a time: Seconds or
// Timestamp, each a literal, a JSONPath reference (SecondsPath,
// TimestampPath) or a JSONata expression.
type waitKind struct {
	seconds, timestamp *field // exactly one is set
}

func (*waitKind) fields(f fieldSets) (required, optional []string) {
	return nil, slices.Concat(f.transition, f.io, f.assign, []string{"Seconds", "Timestamp"}, f.pick([]string{"SecondsPath", "TimestampPath"}, nil))
}

func (k *waitKind) decode(d *decoder, _ *state, obj map[string]any, loc string) {
	n := 0
	for _, key := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if _, ok := obj[key]; ok {
			n++
		}
	}
	if n != 1 {
		d.problem(CodeSchemaValidationFailed, "Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' must be set", loc)
		return
	}
	k.seconds = d.field(obj, loc, "Seconds", false, func(any, string) {
		d.integer(obj, loc, "Seconds", 0, maxWaitSeconds)
	})
	k.timestamp = d.field(obj, loc, "Timestamp", false, func(v any, at string) {
		s, _ := v.(string)
		if _, ok := parseTimestamp(s); !ok {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'Timestamp' must be a valid ISO-8601 timestamp", at)
		}
	})
}

func (k *waitKind) run(ctx context.Context, t *thread, st *state, in any, e *env) (any, string, error) {
	var d time.Duration
	if k.seconds != nil {
		secs, err := k.seconds.integer(in, e, 0, "a non-negative integer")
		if err != nil {
			return nil, "", err
		}
		d = durationOfSeconds(float64(secs))
	} else {
		ts, err := k.timestamp.timestamp(in, e)
		if err != nil {
			return nil, "", err
		}
		d = ts.Sub(t.exec.clock.Now())
	}
	return in, st.next, t.exec.clock.Sleep(ctx, d)
}

func (*waitKind) hasResult() bool     { return false }
func (*waitKind) targets() []string   { return nil }
func (*waitKind) subgraphs() []*graph { return nil }
