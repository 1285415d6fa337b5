package main

import "fmt"

// The task's typed errors. aws-lambda-go reports a returned error's type name, pointer stripped,
// as errorType (lambda/errors.go), and the state machines match that name in ErrorEquals; so the
// type names are the contract, and the handler returns these values unwrapped.

// InstanceNotFound: EC2 knows no instance with this ID.
type InstanceNotFound struct{ InstanceID string }

func (e *InstanceNotFound) Error() string { return fmt.Sprintf("instance %s not found", e.InstanceID) }

// InstanceNotAllowed: the instance is not in ALLOWED_INSTANCE_IDS.
type InstanceNotAllowed struct{ InstanceID string }

func (e *InstanceNotAllowed) Error() string {
	return fmt.Sprintf("instance %s is not managed by this stack", e.InstanceID)
}

// InstanceInTransition: EC2 refused the change because of the instance's current state.
type InstanceInTransition struct {
	InstanceID string
	State      string
}

func (e *InstanceInTransition) Error() string {
	if e.State == "" {
		return fmt.Sprintf("instance %s is changing state", e.InstanceID)
	}
	return fmt.Sprintf("instance %s is %s", e.InstanceID, e.State)
}

// InstanceTerminated: the instance is shutting down or terminated and cannot be changed.
type InstanceTerminated struct {
	InstanceID string
	State      string
}

func (e *InstanceTerminated) Error() string {
	return fmt.Sprintf("instance %s is %s", e.InstanceID, e.State)
}

// InvalidTaskInput: the payload is not {"operation": "check"|"start"|"stop", "instance_id": "i-…"}.
type InvalidTaskInput struct{ Reason string }

func (e *InvalidTaskInput) Error() string { return "invalid task input: " + e.Reason }
