// Package workflow holds what the HTTP functions and the task function agree on about the
// workflow: the input (instance_id, action) and its validation, the canonical encoding used for
// idempotency, the allowlist of instances this stack manages, and the task Lambda's payloads.
package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// Action is the wanted change: toggle flips the state, start and stop name the end state.
type Action string

// The actions the workflow accepts.
const (
	ActionToggle Action = "toggle"
	ActionStart  Action = "start"
	ActionStop   Action = "stop"
)

// instanceIDPattern is EC2's instance ID: the old 8-hex-digit form or the current 17-digit one.
var instanceIDPattern = regexp.MustCompile(`^i-[0-9a-f]{8}([0-9a-f]{9})?$`)

// ValidInstanceID reports whether id is a well-formed EC2 instance ID.
func ValidInstanceID(id string) bool { return instanceIDPattern.MatchString(id) }

// InputError says why a workflow input was refused. Its message is written for the caller.
type InputError struct{ Reason string }

func (e *InputError) Error() string { return e.Reason }

// Input is a validated workflow input. Fields other than instance_id and action are kept in the
// canonical encoding (they stay in the execution input) but are not interpreted.
type Input struct {
	InstanceID string
	// Action is the requested action; empty when the caller left it out (the state machine
	// defaults it to toggle, so the input is passed on unchanged).
	Action Action
	// Canonical is the input re-encoded canonically: sorted keys, no insignificant white
	// space, numbers exactly as sent.
	Canonical []byte
}

// ParseInput validates a JSON object as workflow input. Errors are *InputError.
func ParseInput(body []byte) (Input, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return Input{}, &InputError{"The request body must be a JSON object."}
	}
	raw, ok := fields["instance_id"]
	if !ok {
		return Input{}, &InputError{`The field "instance_id" is required.`}
	}
	var in Input
	if err := json.Unmarshal(raw, &in.InstanceID); err != nil || !ValidInstanceID(in.InstanceID) {
		return Input{}, &InputError{`The field "instance_id" must be an EC2 instance ID such as "i-0123456789abcdef0".`}
	}
	if raw, ok := fields["action"]; ok {
		var a string
		if err := json.Unmarshal(raw, &a); err != nil {
			return Input{}, &InputError{`The field "action" must be one of "toggle", "start" or "stop".`}
		}
		switch Action(a) {
		case ActionToggle, ActionStart, ActionStop:
			in.Action = Action(a)
		default:
			return Input{}, &InputError{`The field "action" must be one of "toggle", "start" or "stop".`}
		}
	}
	canonical, err := Canonicalize(body)
	if err != nil {
		return Input{}, &InputError{"The request body must be a JSON object."}
	}
	in.Canonical = canonical
	return in, nil
}

// Canonicalize re-encodes JSON text with object keys sorted, no insignificant white space and
// numbers kept digit for digit, so that two encodings of the same value compare equal byte for
// byte. Of duplicate keys the last wins, as in encoding/json.
func Canonicalize(data []byte) ([]byte, error) {
	// json.Valid also refuses trailing data, which a Decoder would leave unread.
	if !json.Valid(data) {
		return nil, errors.New("canonicalize: not valid JSON text")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// HTML escaping would rewrite <, > and & and so change the caller's strings for no reason.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
