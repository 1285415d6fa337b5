// Package awsid makes the random identifiers the offline stack's services hand out, in the forms
// AWS uses (instance IDs, log stream suffixes, X-Ray trace IDs), so each service does not carry
// its own generator.
package awsid

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Hex returns n random lowercase hex digits.
func Hex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)[:n]
}

// TraceID returns a new X-Ray trace ID: 1-<epoch seconds, 8 hex digits>-<24 random hex digits>.
func TraceID() string {
	return fmt.Sprintf("1-%08x-%s", time.Now().Unix(), Hex(24))
}
