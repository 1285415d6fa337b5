// Package awsclient builds the AWS SDK clients the functions use, from config.LoadDefaultConfig,
// so that the standard AWS_ENDPOINT_URL* variables point them at the offline stack exactly as
// they would point them anywhere else.
package awsclient

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// LoadConfig loads the SDK configuration from the environment (region, credentials, endpoints).
func LoadConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS SDK config: %w", err)
	}
	return cfg, nil
}

// NewSFN returns a Step Functions client. When a custom endpoint is in effect (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_SFN, a BaseEndpoint in cfg or in optFns), it disables the "sync-" host prefix
// that StartSyncExecution and TestState otherwise put in front of the endpoint's host:
// "sync-127.0.0.1" does not resolve. optFns run before the check, so an endpoint they set counts.
func NewSFN(cfg aws.Config, optFns ...func(*sfn.Options)) *sfn.Client {
	fns := append(slices.Clip(optFns), func(o *sfn.Options) {
		if o.BaseEndpoint != nil && *o.BaseEndpoint != "" {
			o.APIOptions = append(slices.Clip(o.APIOptions), DisableHostPrefix)
		}
	})
	return sfn.NewFromConfig(cfg, fns...)
}

// SFNFromEnv is the Step Functions client of a function: LoadConfig, then NewSFN.
func SFNFromEnv(ctx context.Context) (*sfn.Client, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return NewSFN(cfg), nil
}

// DisableHostPrefix is an APIOptions entry that turns off endpoint host prefixes for every
// operation of a client.
//
// It must run inside the operation's stack, at Initialize: the flag is a stack value, and the
// client calls middleware.ClearStackValues on the caller's context before running the stack, so
// the caller cannot set it; and the prefix is applied in Finalize right after endpoint resolution,
// so a middleware there would race the prefix middleware's position.
func DisableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("stepgate.DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}
