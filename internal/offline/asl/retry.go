package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// retrier is one element of a Retry array.
type retrier struct {
	errorEquals     []string
	intervalSeconds int64
	maxAttempts     int64
	backoffRate     float64
	maxDelaySeconds int64
	jitterFull      bool
}

// catcher is one element of a Catch array; its query language compiles
// how its output is built (flow).
type catcher struct {
	errorEquals []string
	next        string
	flow        caughtFlow
}

// errorHandling decodes a state's Retry and Catch.
func (d *decoder) errorHandling(st *state, obj map[string]any, loc string) {
	d.handlers(obj, loc, "Retry", "A Retrier", func(o map[string]any, at string, last bool) {
		st.retry = append(st.retry, d.retrier(o, at, last))
	})
	d.handlers(obj, loc, "Catch", "A Catcher", func(o map[string]any, at string, last bool) {
		c := &catcher{errorEquals: d.errorEquals(o, at, last), next: d.str(o, at, "Next", true)}
		c.flow = st.flow.catcher(d, o, at)
		st.catch = append(st.catch, c)
	})
}

// handlers decodes each object of the array obj[key] (Retry, Catch) with
// decode; last tells the last one, where States.ALL may stand.
func (d *decoder) handlers(obj map[string]any, loc, key, what string, decode func(o map[string]any, at string, last bool)) {
	v, ok := obj[key]
	if !ok {
		return
	}
	arr, isArr := v.([]any)
	if !isArr {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be an ARRAY", key), loc+"/"+key)
	}
	for i, e := range arr {
		at := fmt.Sprintf("%s/%s[%d]", loc, key, i)
		o, isObj := e.(map[string]any)
		if !isObj {
			d.problem(CodeSchemaValidationFailed, what+" must be an OBJECT", at)
			continue
		}
		decode(o, at, i == len(arr)-1)
	}
}

func (d *decoder) retrier(ro map[string]any, loc string, last bool) *retrier {
	d.fields(ro, loc, []string{"ErrorEquals"}, []string{"IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"})
	r := &retrier{intervalSeconds: 1, maxAttempts: 3, backoffRate: 2}
	r.errorEquals = d.errorEquals(ro, loc, last)
	if _, ok := ro["IntervalSeconds"]; ok {
		r.intervalSeconds = d.integer(ro, loc, "IntervalSeconds", 1, math.MaxInt32)
	}
	if _, ok := ro["MaxAttempts"]; ok {
		r.maxAttempts = d.integer(ro, loc, "MaxAttempts", 0, math.MaxInt32)
	}
	if bv, ok := ro["BackoffRate"]; ok {
		n, isNum := bv.(json.Number)
		f, err := n.Float64()
		if !isNum || err != nil || f < 1 {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'BackoffRate' must be a NUMBER greater than or equal to 1.0", loc+"/BackoffRate")
		}
		r.backoffRate = f
	}
	r.maxDelaySeconds = d.integer(ro, loc, "MaxDelaySeconds", 1, 31622400)
	switch js := d.str(ro, loc, "JitterStrategy", false); js {
	case "", "NONE":
	case "FULL":
		r.jitterFull = true
	default:
		d.problem(CodeSchemaValidationFailed, "The value for the field 'JitterStrategy' must be one of [FULL, NONE]", loc+"/JitterStrategy")
	}
	return r
}

func (d *decoder) errorEquals(obj map[string]any, loc string, last bool) []string {
	v, ok := obj["ErrorEquals"]
	if !ok {
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr || len(arr) == 0 {
		d.problem(CodeSchemaValidationFailed, "The value for the field 'ErrorEquals' must be a non-empty ARRAY of STRINGs", loc+"/ErrorEquals")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'ErrorEquals' must be a non-empty ARRAY of STRINGs", loc+"/ErrorEquals")
			return nil
		}
		out = append(out, s)
	}
	if slices.Contains(out, ErrNameAll) {
		if len(out) != 1 {
			d.problem(CodeSchemaValidationFailed, "States.ALL must appear alone in 'ErrorEquals'", loc+"/ErrorEquals")
		}
		if !last {
			d.problem(CodeSchemaValidationFailed, "The Retrier or Catcher with States.ALL must be the last one", loc+"/ErrorEquals")
		}
	}
	return out
}

// matchRetrier returns the index of the first retrier whose ErrorEquals
// matches name, or -1.
func matchRetrier(rs []*retrier, name string) int {
	for i, r := range rs {
		if errorMatches(r.errorEquals, name) {
			return i
		}
	}
	return -1
}

// matchCatcher returns the index of the first catcher whose ErrorEquals
// matches name, or -1.
func matchCatcher(cs []*catcher, name string) int {
	for i, c := range cs {
		if errorMatches(c.errorEquals, name) {
			return i
		}
	}
	return -1
}

// errorMatches applies Step Functions' matching rules: States.ALL matches
// every error and States.TaskFailed every error but States.Timeout, except
// that States.Runtime is never retried or caught and
// States.DataLimitExceeded only by its own name.
func errorMatches(names []string, name string) bool {
	if name == ErrNameRuntime {
		return false
	}
	for _, n := range names {
		switch {
		case n == name:
			return true
		case name == ErrNameDataLimitExceeded:
		case n == ErrNameAll:
			return true
		case n == ErrNameTaskFailed && name != ErrNameTimeout:
			return true
		}
	}
	return false
}

// retryDelay is IntervalSeconds × BackoffRate^attempt, capped by
// MaxDelaySeconds, and drawn uniformly below that with FULL jitter.
func retryDelay(r *retrier, attempt int64) time.Duration {
	secs := float64(r.intervalSeconds) * math.Pow(r.backoffRate, float64(attempt))
	if r.maxDelaySeconds > 0 && secs > float64(r.maxDelaySeconds) {
		secs = float64(r.maxDelaySeconds)
	}
	if r.jitterFull {
		secs = rand.Float64() * secs
	}
	return durationOfSeconds(secs)
}
