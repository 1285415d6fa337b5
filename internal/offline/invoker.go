package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/internal/offline/asl"
	"github.com/stepgate/stepgate/internal/offline/localec2"
	"github.com/stepgate/stepgate/internal/offline/locallambda"
)

const ec2Integration = "arn:aws:states:::aws-sdk:ec2:"

// Invoker runs the engine's Task states on the local services: Lambda function ARNs on the local
// Lambda runtime, arn:aws:states:::aws-sdk:ec2:<action> on the local EC2.
type Invoker struct {
	Lambda *locallambda.Runtime
	EC2    *localec2.EC2
}

var _ asl.Invoker = (*Invoker)(nil)

// Invoke implements asl.Invoker.
func (i *Invoker) Invoke(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	switch {
	case strings.HasPrefix(resource, "arn:aws:lambda:"):
		resp, err := i.Lambda.Invoke(ctx, resource, input)
		if errors.Is(err, locallambda.ErrFunctionNotFound) {
			return nil, fmt.Errorf("%w: no local function has the ARN %s", asl.ErrUnknownResource, resource)
		}
		if err != nil {
			return nil, err
		}
		if resp.FunctionError != "" {
			// Step Functions names the failure with the function's errorType and keeps the whole
			// error body as the cause.
			var body struct {
				ErrorType string `json:"errorType"`
			}
			name := "Lambda.Unknown"
			if json.Unmarshal(resp.Payload, &body) == nil && body.ErrorType != "" {
				name = body.ErrorType
			}
			return nil, &asl.Failure{Name: name, Cause: string(resp.Payload)}
		}
		return resp.Payload, nil
	case strings.HasPrefix(resource, ec2Integration):
		// A failed call is already an *asl.Failure.
		out, err := i.EC2.Call(ctx, strings.TrimPrefix(resource, ec2Integration), input)
		switch {
		case errors.Is(err, localec2.ErrUnknownAction):
			return nil, fmt.Errorf("%w: the local EC2 does not serve %s", asl.ErrUnknownResource, resource)
		case err != nil:
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: the offline stack serves Lambda function ARNs and %s<action>, not %s", asl.ErrUnknownResource, ec2Integration, resource)
}
