package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// jsonataPassChoiceChain is passChoiceChain in JSONata: n Pass states with
// an Output expression and an Assign, each followed by a Choice Condition.
func jsonataPassChoiceChain(n int) string {
	var b strings.Builder
	b.WriteString(`{"QueryLanguage":"JSONata","StartAt":"P0","States":{`)
	for i := range n {
		next := fmt.Sprintf("P%d", i+1)
		if i == n-1 {
			next = "Done"
		}
		fmt.Fprintf(&b, `"P%d":{"Type":"Pass","Output":{"id":"{%% $states.input.id %%}","step":{"i":%d}},"Assign":{"last":%d},"Next":"C%d"},`, i, i, i, i)
		fmt.Fprintf(&b, `"C%d":{"Type":"Choice","Choices":[{"Condition":"{%% $states.input.step.i = %d and $last = %d %%}","Next":%q}],"Default":"Done"},`, i, i, i, next)
	}
	b.WriteString(`"Done":{"Type":"Succeed"}}}`)
	return b.String()
}

func BenchmarkJSONataPassChoiceChain(b *testing.B) {
	const n = 50
	transitions := 2*n + 1
	sm, err := Parse([]byte(jsonataPassChoiceChain(n)))
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
