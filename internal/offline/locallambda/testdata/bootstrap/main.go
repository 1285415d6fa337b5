// Command bootstrap is the test function of package locallambda: a provided.al2023 custom runtime
// built with aws-lambda-go whose behaviour is chosen by the payload, so that the tests can drive
// every path of the local Runtime API (success, handled error, panic, timeout, crash, concurrency).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// request selects what one invocation does.
type request struct {
	Action  string `json:"action"`
	Message string `json:"message,omitempty"`
	SleepMS int    `json:"sleep_ms,omitempty"`
	Code    int    `json:"code,omitempty"`
	Gate    string `json:"gate,omitempty"` // a file whose existence releases a "wait" action
	Env     string `json:"env,omitempty"`
}

type response struct {
	Message   string `json:"message,omitempty"`
	PID       int    `json:"pid"`
	RequestID string `json:"request_id"`
	ARN       string `json:"arn"`
	Deadline  int64  `json:"deadline_ms"`
	Env       string `json:"env,omitempty"`
}

// InstanceNotFound is a typed error: aws-lambda-go reports its type name as errorType.
type InstanceNotFound struct{ ID string }

func (e *InstanceNotFound) Error() string { return "instance " + e.ID + " not found" }

func handle(ctx context.Context, req request) (response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	resp := response{PID: os.Getpid(), RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn, Deadline: deadline.UnixMilli()}
	switch req.Action {
	case "echo":
		resp.Message = req.Message
	case "log":
		fmt.Println(req.Message)
		fmt.Fprintln(os.Stderr, "stderr: "+req.Message)
	case "env":
		resp.Env = os.Getenv(req.Env)
	case "error":
		return response{}, &InstanceNotFound{ID: req.Message}
	case "panic":
		panic(req.Message)
	case "exit":
		fmt.Fprintln(os.Stderr, "exiting with", req.Code)
		os.Exit(req.Code)
	case "sleep":
		time.Sleep(time.Duration(req.SleepMS) * time.Millisecond)
	case "wait":
		for {
			if _, err := os.Stat(req.Gate); err == nil {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	default:
		return response{}, fmt.Errorf("unknown action %q", req.Action)
	}
	return resp, nil
}

func main() {
	if os.Getenv("TEST_CRASH_ON_INIT") != "" {
		fmt.Fprintln(os.Stderr, "init failed on purpose")
		os.Exit(3)
	}
	lambda.Start(handle)
}
