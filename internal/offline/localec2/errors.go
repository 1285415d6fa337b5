package localec2

import (
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// APIError is an EC2 error: the code and message the query protocol puts in
// <Errors><Error>, answered with HTTP 400.
type APIError struct {
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func errMissingParameter(name string) *APIError {
	return &APIError{"MissingParameter", "The request must contain the parameter " + name}
}

func errMalformed(id string) *APIError {
	return &APIError{"InvalidInstanceID.Malformed", fmt.Sprintf("Invalid id: %q", id)}
}

// errNotFound words the message as EC2 does for one and for several IDs.
func errNotFound(ids []string) *APIError {
	if len(ids) == 1 {
		return &APIError{"InvalidInstanceID.NotFound", "The instance ID '" + ids[0] + "' does not exist"}
	}
	return &APIError{"InvalidInstanceID.NotFound", "The instance IDs '" + strings.Join(ids, ", ") + "' do not exist"}
}

func errIncorrectState(id string, start bool) *APIError {
	verb := "stopped"
	if start {
		verb = "started"
	}
	return &APIError{"IncorrectInstanceState", "The instance '" + id + "' is not in a state from which it can be " + verb + "."}
}

func errInvalidParameterValue(msg string) *APIError {
	return &APIError{"InvalidParameterValue", msg}
}

func errInvalidAction(action string) *APIError {
	return &APIError{"InvalidAction", "The action " + action + " is not valid for this web service."}
}

// checkIDs rejects malformed instance IDs before any lookup, as EC2 does.
func checkIDs(ids []string) error {
	for _, id := range ids {
		if !validInstanceID(id) {
			return errMalformed(id)
		}
	}
	return nil
}

// Failure is how a failed aws-sdk:ec2 task reaches Step Functions: the error
// name that Retry and Catch match, and the cause.
//
// Step Functions names an AWS SDK integration's errors ServiceName.ErrorName
// with an Exception suffix. EC2's API model declares no error shapes, so the
// Java SDK behind the integration raises the generic Ec2Exception for every
// EC2 error: the name is always "Ec2.Ec2Exception" and the EC2 message is in
// the cause, followed by the SDK's "(Service: Ec2, Status Code: 400, Request
// ID: …)". A workflow tells errors apart by matching the cause text. The failure is the engine's
// own asl.Failure, so the task integration hands it to the engine as is.
// ec2ExceptionName is the Step Functions error name for every EC2 API error.
const ec2ExceptionName = "Ec2.Ec2Exception"

// failureFrom turns an EC2 API error into the integration's failure.
func failureFrom(err *APIError, requestID string) *asl.Failure {
	return &asl.Failure{
		Name:  ec2ExceptionName,
		Cause: err.Message + " (Service: Ec2, Status Code: 400, Request ID: " + requestID + ")",
	}
}
