package main

import (
	"context"
	"encoding/json"
	"testing"
)

// BenchmarkTaskStart measures the task handler's own work for a start with a fake EC2.
func BenchmarkTaskStart(b *testing.B) {
	h := newTestHandler(b, &fakeEC2{state: "stopped"})
	payload := json.RawMessage(`{"operation":"start","instance_id":"i-0123456789abcdef0"}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Handle(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
}
