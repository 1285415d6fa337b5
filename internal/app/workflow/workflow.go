// Package workflow holds what the EC2 sample's task function and its state machines agree on: the
// instance ID rule, the allowlist of instances this stack manages, and the task Lambda's payloads.
// The HTTP functions do not use it: their routes, input rules and error table are configuration
// (package route).
package workflow

import "regexp"

// instanceIDPattern is EC2's instance ID: the old 8-hex-digit form or the current 17-digit one.
// template.yaml's ROUTES document carries the same pattern for the start function.
var instanceIDPattern = regexp.MustCompile(`^i-[0-9a-f]{8}([0-9a-f]{9})?$`)

// ValidInstanceID reports whether id is a well-formed EC2 instance ID.
func ValidInstanceID(id string) bool { return instanceIDPattern.MatchString(id) }
