package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// passChoiceChain builds n Pass states, each followed by a Choice state, so
// an execution makes 2n state transitions.
func passChoiceChain(n int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"P0","States":{`)
	for i := range n {
		next := fmt.Sprintf("P%d", i+1)
		if i == n-1 {
			next = "Done"
		}
		fmt.Fprintf(&b, `"P%d":{"Type":"Pass","Parameters":{"i":%d,"id.$":"$.id"},"ResultPath":"$.step","Next":"C%d"},`, i, i, i)
		fmt.Fprintf(&b, `"C%d":{"Type":"Choice","Choices":[{"Variable":"$.step.i","NumericEquals":%d,"Next":%q}],"Default":"Done"},`, i, i, next)
	}
	b.WriteString(`"Done":{"Type":"Succeed"}}}`)
	return b.String()
}

func BenchmarkPassChoiceChain(b *testing.B) {
	const n = 50
	transitions := 2*n + 1
	sm, err := Parse([]byte(passChoiceChain(n)))
	if err != nil {
		b.Fatal(err)
	}
	input := json.RawMessage(`{"id":"i-0123456789abcdef0","action":"toggle"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := sm.Start(context.Background(), input, Config{Clock: RealClock{}}).Wait(context.Background())
		if res.Status != StatusSucceeded {
			b.Fatalf("status %s: %s", res.Status, res.Cause)
		}
	}
	b.StopTimer()
	perTransition := float64(b.Elapsed().Nanoseconds()) / float64(b.N*transitions)
	b.ReportMetric(perTransition, "ns/transition")
	b.ReportMetric(1e9/perTransition, "transitions/s")
}

func BenchmarkMap1000(b *testing.B) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"$.v"},"End":true}}},"ResultPath":"$.out","End":true}}}`
	sm, err := Parse([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	input, _ := json.Marshal(map[string]any{"items": items})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := sm.Start(context.Background(), input, Config{Clock: RealClock{}}).Wait(context.Background())
		if res.Status != StatusSucceeded {
			b.Fatalf("status %s: %s", res.Status, res.Cause)
		}
	}
}
