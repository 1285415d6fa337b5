package main

import (
	"context"
	"net/http"
	"testing"
)

// BenchmarkStatusGet measures the handler's own work for GET (ARN parsing, scoping, rendering
// the described execution, logging) with a fake that answers at once.
func BenchmarkStatusGet(b *testing.B) {
	h, _ := newTestHandler(b, &fakeSFN{describe: []describeAnswer{{out: succeeded()}}})
	req := request(http.MethodGet, testExecEncoded, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h.Handle(ctx, req); resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}
