package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/internal/app/execution"
)

// serveStateMachine gives the page the ASL definition an execution runs, for its graph. The
// dashboard asks Step Functions itself, with the user's credentials (states:DescribeStateMachine),
// rather than through the API: the deployed API and the functions' roles stay as they are, and the
// graph is the definition that actually runs, not a file that may have changed since the deploy.
func (s *Server) serveStateMachine(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("arn")
	sm, err := execution.ParseStateMachine(arn)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, "InvalidStateMachineArn", "arn must be a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME).")
		return
	}
	out, err := s.cfg.StepFunctions.DescribeStateMachine(r.Context(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)},
		func(o *sfn.Options) { o.Region = sm.Region }) // the machine's Region, whatever the profile's
	if err != nil {
		s.refuseStepFunctions(w, r, "DescribeStateMachine", arn, "the graph needs states:DescribeStateMachine on the stack's state machines", err)
		return
	}
	def := json.RawMessage(aws.ToString(out.Definition))
	if !json.Valid(def) {
		s.refuse(w, r, http.StatusBadGateway, "DescribeStateMachineFailed", "The state machine's definition is not JSON.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"stateMachineArn": aws.ToString(out.StateMachineArn),
		"name":            aws.ToString(out.Name),
		"type":            string(out.Type),
		"definition":      def,
	})
}

// refuseStepFunctions answers a call the page makes of Step Functions itself (with the user's
// credentials) that Step Functions refused: 502 <Operation>Failed naming Step Functions' error
// code and what the user's credentials need; the whole error goes to the log.
func (s *Server) refuseStepFunctions(w http.ResponseWriter, r *http.Request, operation, arn, need string, err error) {
	s.log.Error(operation, "arn", arn, "error", err)
	code := "unknown"
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	s.refuse(w, r, http.StatusBadGateway, operation+"Failed", fmt.Sprintf("Step Functions refused %s (%s): %s.", operation, code, need))
}
