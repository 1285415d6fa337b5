package workflow

// Operation is what the state machine asks the task Lambda to do.
type Operation string

// The task Lambda's operations.
const (
	OperationCheck Operation = "check"
	OperationStart Operation = "start"
	OperationStop  Operation = "stop"
)

// TaskInput is the task Lambda's payload: {"operation", "instance_id"}.
type TaskInput struct {
	Operation  Operation `json:"operation"`
	InstanceID string    `json:"instance_id"`
}

// CheckResult answers a check: the instance's current state name.
type CheckResult struct {
	InstanceID string `json:"instance_id"`
	State      string `json:"state"`
}

// ChangeResult answers a start or stop, and is also the workflow's output shape.
type ChangeResult struct {
	InstanceID    string `json:"instance_id"`
	PreviousState string `json:"previous_state"`
	Action        string `json:"action"`
	CurrentState  string `json:"current_state"`
}
