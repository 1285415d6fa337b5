package asl

import (
	"encoding/json"
	"strconv"
	"time"
)

// History event types, as Step Functions names them.
const (
	EventExecutionStarted        = "ExecutionStarted"
	EventExecutionSucceeded      = "ExecutionSucceeded"
	EventExecutionFailed         = "ExecutionFailed"
	EventExecutionTimedOut       = "ExecutionTimedOut"
	EventExecutionAborted        = "ExecutionAborted"
	EventLambdaFunctionScheduled = "LambdaFunctionScheduled"
	EventLambdaFunctionStarted   = "LambdaFunctionStarted"
	EventLambdaFunctionSucceeded = "LambdaFunctionSucceeded"
	EventLambdaFunctionFailed    = "LambdaFunctionFailed"
	EventLambdaFunctionTimedOut  = "LambdaFunctionTimedOut"
	EventTaskScheduled           = "TaskScheduled"
	EventTaskStarted             = "TaskStarted"
	EventTaskSubmitted           = "TaskSubmitted"
	EventTaskSucceeded           = "TaskSucceeded"
	EventTaskFailed              = "TaskFailed"
	EventTaskTimedOut            = "TaskTimedOut"
	EventParallelStateStarted    = "ParallelStateStarted"
	EventParallelStateSucceeded  = "ParallelStateSucceeded"
	EventParallelStateFailed     = "ParallelStateFailed"
	EventParallelStateAborted    = "ParallelStateAborted"
	EventMapStateStarted         = "MapStateStarted"
	EventMapStateSucceeded       = "MapStateSucceeded"
	EventMapStateFailed          = "MapStateFailed"
	EventMapStateAborted         = "MapStateAborted"
	EventMapIterationStarted     = "MapIterationStarted"
	EventMapIterationSucceeded   = "MapIterationSucceeded"
	EventMapIterationFailed      = "MapIterationFailed"
	EventMapIterationAborted     = "MapIterationAborted"
	EventFailStateEntered        = "FailStateEntered"
	EventEvaluationFailed        = "EvaluationFailed"
)

// enteredEvent and exitedEvent name a state type's StateEntered/Exited events.
func enteredEvent(typ string) string { return typ + "StateEntered" }
func exitedEvent(typ string) string  { return typ + "StateExited" }

// HistoryEvent is one event of an execution's history. It marshals to the
// shape GetExecutionHistory returns over the JSON 1.0 protocol; exactly one
// details field is set, or none for events that carry no details.
type HistoryEvent struct {
	Timestamp       time.Time
	Type            string
	ID              int64
	PreviousEventID int64

	ExecutionStartedEventDetails   *ExecutionStartedEventDetails
	ExecutionSucceededEventDetails *OutputEventDetails
	ExecutionFailedEventDetails    *ErrorEventDetails
	ExecutionTimedOutEventDetails  *ErrorEventDetails
	ExecutionAbortedEventDetails   *ErrorEventDetails

	StateEnteredEventDetails *StateEnteredEventDetails
	StateExitedEventDetails  *StateExitedEventDetails

	LambdaFunctionScheduledEventDetails *LambdaFunctionScheduledEventDetails
	LambdaFunctionSucceededEventDetails *OutputEventDetails
	LambdaFunctionFailedEventDetails    *ErrorEventDetails
	LambdaFunctionTimedOutEventDetails  *ErrorEventDetails

	TaskScheduledEventDetails *TaskScheduledEventDetails
	TaskStartedEventDetails   *TaskEventDetails
	TaskSubmittedEventDetails *TaskEventDetails
	TaskSucceededEventDetails *TaskEventDetails
	TaskFailedEventDetails    *TaskEventDetails
	TaskTimedOutEventDetails  *TaskEventDetails

	MapStateStartedEventDetails       *MapStateStartedEventDetails
	MapIterationStartedEventDetails   *MapIterationEventDetails
	MapIterationSucceededEventDetails *MapIterationEventDetails
	MapIterationFailedEventDetails    *MapIterationEventDetails
	MapIterationAbortedEventDetails   *MapIterationEventDetails

	EvaluationFailedEventDetails *EvaluationFailedEventDetails
}

// EvaluationFailedEventDetails are EvaluationFailed's details: a JSONata
// expression of the state failed (States.QueryEvaluationError).
type EvaluationFailedEventDetails struct {
	Error string `json:"error"`
	Cause string `json:"cause"`
	// Location is the field whose expression failed ("Items",
	// "Output/result"), when one did.
	Location string `json:"location,omitempty"`
	State    string `json:"state"`
}

// HistoryEventExecutionDataDetails says whether a payload was truncated.
type HistoryEventExecutionDataDetails struct {
	Truncated bool `json:"truncated"`
}

// ExecutionStartedEventDetails are ExecutionStarted's details.
type ExecutionStartedEventDetails struct {
	Input        string                           `json:"input"`
	InputDetails HistoryEventExecutionDataDetails `json:"inputDetails"`
	RoleARN      string                           `json:"roleArn,omitempty"`
}

// OutputEventDetails carry a successful payload (ExecutionSucceeded,
// LambdaFunctionSucceeded).
type OutputEventDetails struct {
	Output        string                           `json:"output"`
	OutputDetails HistoryEventExecutionDataDetails `json:"outputDetails"`
}

// ErrorEventDetails carry an error name and cause.
type ErrorEventDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// StateEnteredEventDetails are the details of every *StateEntered event.
type StateEnteredEventDetails struct {
	Name         string                           `json:"name"`
	Input        string                           `json:"input"`
	InputDetails HistoryEventExecutionDataDetails `json:"inputDetails"`
}

// StateExitedEventDetails are the details of every *StateExited event.
type StateExitedEventDetails struct {
	Name          string                           `json:"name"`
	Output        string                           `json:"output"`
	OutputDetails HistoryEventExecutionDataDetails `json:"outputDetails"`
	// AssignedVariables are the variables the state's Assign set, each as
	// JSON text, as AWS shows them; absent when the state assigns none.
	AssignedVariables        map[string]string         `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *AssignedVariablesDetails `json:"assignedVariablesDetails,omitempty"`
}

// AssignedVariablesDetails tells whether AssignedVariables was cut short.
type AssignedVariablesDetails struct {
	Truncated bool `json:"truncated"`
}

// LambdaFunctionScheduledEventDetails are LambdaFunctionScheduled's details.
type LambdaFunctionScheduledEventDetails struct {
	Resource         string                           `json:"resource"`
	Input            string                           `json:"input"`
	InputDetails     HistoryEventExecutionDataDetails `json:"inputDetails"`
	TimeoutInSeconds int64                            `json:"timeoutInSeconds,omitempty"`
}

// TaskScheduledEventDetails are TaskScheduled's details. Parameters is the
// task's effective input as JSON text.
type TaskScheduledEventDetails struct {
	ResourceType       string `json:"resourceType"`
	Resource           string `json:"resource"`
	Region             string `json:"region"`
	Parameters         string `json:"parameters"`
	TimeoutInSeconds   int64  `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64  `json:"heartbeatInSeconds,omitempty"`
}

// TaskEventDetails are the details of TaskStarted, TaskSubmitted (the
// integration's answer to a callback task), TaskSucceeded, TaskFailed and
// TaskTimedOut: the resource, plus output or error and cause.
type TaskEventDetails struct {
	ResourceType  string                            `json:"resourceType"`
	Resource      string                            `json:"resource"`
	Output        *string                           `json:"output,omitempty"`
	OutputDetails *HistoryEventExecutionDataDetails `json:"outputDetails,omitempty"`
	Error         string                            `json:"error,omitempty"`
	Cause         string                            `json:"cause,omitempty"`
}

// MapStateStartedEventDetails are MapStateStarted's details.
type MapStateStartedEventDetails struct {
	Length int `json:"length"`
}

// MapIterationEventDetails are the details of the MapIteration* events.
type MapIterationEventDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// MarshalJSON renders the event as the JSON 1.0 protocol does: the timestamp
// in epoch seconds with a fraction, and camelCase keys.
func (e HistoryEvent) MarshalJSON() ([]byte, error) {
	type wire struct {
		Timestamp       json.Number `json:"timestamp"`
		Type            string      `json:"type"`
		ID              int64       `json:"id"`
		PreviousEventID int64       `json:"previousEventId"`

		ExecutionStartedEventDetails   *ExecutionStartedEventDetails `json:"executionStartedEventDetails,omitempty"`
		ExecutionSucceededEventDetails *OutputEventDetails           `json:"executionSucceededEventDetails,omitempty"`
		ExecutionFailedEventDetails    *ErrorEventDetails            `json:"executionFailedEventDetails,omitempty"`
		ExecutionTimedOutEventDetails  *ErrorEventDetails            `json:"executionTimedOutEventDetails,omitempty"`
		ExecutionAbortedEventDetails   *ErrorEventDetails            `json:"executionAbortedEventDetails,omitempty"`

		StateEnteredEventDetails *StateEnteredEventDetails `json:"stateEnteredEventDetails,omitempty"`
		StateExitedEventDetails  *StateExitedEventDetails  `json:"stateExitedEventDetails,omitempty"`

		LambdaFunctionScheduledEventDetails *LambdaFunctionScheduledEventDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
		LambdaFunctionSucceededEventDetails *OutputEventDetails                  `json:"lambdaFunctionSucceededEventDetails,omitempty"`
		LambdaFunctionFailedEventDetails    *ErrorEventDetails                   `json:"lambdaFunctionFailedEventDetails,omitempty"`
		LambdaFunctionTimedOutEventDetails  *ErrorEventDetails                   `json:"lambdaFunctionTimedOutEventDetails,omitempty"`

		TaskScheduledEventDetails *TaskScheduledEventDetails `json:"taskScheduledEventDetails,omitempty"`
		TaskStartedEventDetails   *TaskEventDetails          `json:"taskStartedEventDetails,omitempty"`
		TaskSubmittedEventDetails *TaskEventDetails          `json:"taskSubmittedEventDetails,omitempty"`
		TaskSucceededEventDetails *TaskEventDetails          `json:"taskSucceededEventDetails,omitempty"`
		TaskFailedEventDetails    *TaskEventDetails          `json:"taskFailedEventDetails,omitempty"`
		TaskTimedOutEventDetails  *TaskEventDetails          `json:"taskTimedOutEventDetails,omitempty"`

		MapStateStartedEventDetails       *MapStateStartedEventDetails `json:"mapStateStartedEventDetails,omitempty"`
		MapIterationStartedEventDetails   *MapIterationEventDetails    `json:"mapIterationStartedEventDetails,omitempty"`
		MapIterationSucceededEventDetails *MapIterationEventDetails    `json:"mapIterationSucceededEventDetails,omitempty"`
		MapIterationFailedEventDetails    *MapIterationEventDetails    `json:"mapIterationFailedEventDetails,omitempty"`
		MapIterationAbortedEventDetails   *MapIterationEventDetails    `json:"mapIterationAbortedEventDetails,omitempty"`

		EvaluationFailedEventDetails *EvaluationFailedEventDetails `json:"evaluationFailedEventDetails,omitempty"`
	}
	secs := float64(e.Timestamp.UnixMilli()) / 1000
	return json.Marshal(wire{
		Timestamp:                           json.Number(strconv.FormatFloat(secs, 'f', 3, 64)),
		Type:                                e.Type,
		ID:                                  e.ID,
		PreviousEventID:                     e.PreviousEventID,
		ExecutionStartedEventDetails:        e.ExecutionStartedEventDetails,
		ExecutionSucceededEventDetails:      e.ExecutionSucceededEventDetails,
		ExecutionFailedEventDetails:         e.ExecutionFailedEventDetails,
		ExecutionTimedOutEventDetails:       e.ExecutionTimedOutEventDetails,
		ExecutionAbortedEventDetails:        e.ExecutionAbortedEventDetails,
		StateEnteredEventDetails:            e.StateEnteredEventDetails,
		StateExitedEventDetails:             e.StateExitedEventDetails,
		LambdaFunctionScheduledEventDetails: e.LambdaFunctionScheduledEventDetails,
		LambdaFunctionSucceededEventDetails: e.LambdaFunctionSucceededEventDetails,
		LambdaFunctionFailedEventDetails:    e.LambdaFunctionFailedEventDetails,
		LambdaFunctionTimedOutEventDetails:  e.LambdaFunctionTimedOutEventDetails,
		TaskScheduledEventDetails:           e.TaskScheduledEventDetails,
		TaskStartedEventDetails:             e.TaskStartedEventDetails,
		TaskSubmittedEventDetails:           e.TaskSubmittedEventDetails,
		TaskSucceededEventDetails:           e.TaskSucceededEventDetails,
		TaskFailedEventDetails:              e.TaskFailedEventDetails,
		TaskTimedOutEventDetails:            e.TaskTimedOutEventDetails,
		MapStateStartedEventDetails:         e.MapStateStartedEventDetails,
		MapIterationStartedEventDetails:     e.MapIterationStartedEventDetails,
		MapIterationSucceededEventDetails:   e.MapIterationSucceededEventDetails,
		MapIterationFailedEventDetails:      e.MapIterationFailedEventDetails,
		MapIterationAbortedEventDetails:     e.MapIterationAbortedEventDetails,
		EvaluationFailedEventDetails:        e.EvaluationFailedEventDetails,
	})
}
