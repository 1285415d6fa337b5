package localec2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// ErrUnknownAction is returned (wrapped) by Call for an action the local EC2
// does not serve.
var ErrUnknownAction = errors.New("localec2: unknown aws-sdk:ec2 action")

// sdkInput is the union of the parameters the served actions take, named as
// Step Functions passes them: PascalCase, lists in the plural (Filters for
// Filter.N, InstanceIds for InstanceId.N).
type sdkInput struct {
	InstanceIds         []string
	Filters             []filter
	MaxResults          *int
	NextToken           *string
	IncludeAllInstances *bool
	Force               *bool
	Hibernate           *bool
	DryRun              *bool
}

// Call serves Step Functions' aws-sdk:ec2 integration
// (arn:aws:states:::aws-sdk:ec2:<action>): action is the camelCase API name,
// input and output are the PascalCase JSON Step Functions uses. An EC2 error
// comes back as *Failure; a malformed input as *Failure with States.Runtime.
func (e *EC2) Call(ctx context.Context, action string, input json.RawMessage) (json.RawMessage, error) {
	started := time.Now()
	requestID := uuid.NewString()
	out, err := e.call(ctx, action, input, requestID)
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		err = failureFrom(apiErr, requestID)
	}
	level := slog.LevelDebug
	attrs := []any{"requestId", requestID, "action", action, "via", "aws-sdk:ec2", "duration", time.Since(started)}
	if err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, "error", err.Error())
	}
	e.log.Log(ctx, level, "ec2 request", attrs...)
	return out, err
}

func (e *EC2) call(ctx context.Context, action string, input json.RawMessage, requestID string) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ec2:%s: %w", action, err)
	}
	switch action {
	case "describeInstances", "describeInstanceStatus", "startInstances", "stopInstances":
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownAction, action)
	}
	var in sdkInput
	if len(bytes.TrimSpace(input)) > 0 && !bytes.Equal(bytes.TrimSpace(input), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(input))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, &asl.Failure{Name: "States.Runtime", Cause: "Invalid parameters for ec2:" + action + ": " + err.Error()}
		}
	}
	if in.DryRun != nil && *in.DryRun {
		return nil, &APIError{"DryRunOperation", "Request would have succeeded, but DryRun flag is set."}
	}

	switch action {
	case "describeInstances", "describeInstanceStatus":
		statusCall := action == "describeInstanceStatus"
		q := describeQuery{ids: in.InstanceIds, filters: in.Filters, includeAll: !statusCall}
		if in.MaxResults != nil {
			q.maxResults = *in.MaxResults
		}
		if in.NextToken != nil {
			q.nextToken = *in.NextToken
		}
		if statusCall && in.IncludeAllInstances != nil {
			q.includeAll = *in.IncludeAllInstances
		}
		instances, next, err := e.describe(q)
		if err != nil {
			return nil, err
		}
		if statusCall {
			return appendInstanceStatusesJSON(make([]byte, 0, 256*len(instances)+64), instances, next), nil
		}
		return appendReservationsJSON(make([]byte, 0, 1024*len(instances)+64), e.accountID, instances, next), nil
	default: // startInstances, stopInstances
		start := action == "startInstances"
		changes, err := e.change(in.InstanceIds, start)
		if err != nil {
			return nil, err
		}
		return appendStateChangesJSON(nil, start, changes), nil
	}
}

// The JSON writers mirror the XML ones: the shapes are fixed, so they are
// written directly (the load benchmark calls describeInstances per request).

func appendReservationsJSON(b []byte, ownerID string, instances []Instance, next string) []byte {
	b = append(b, `{"Reservations":[`...)
	for i := range instances {
		in := &instances[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Groups":[],"Instances":[`...)
		b = appendInstanceJSON(b, in)
		b = append(b, `],"OwnerId":`...)
		b = appendJSONString(b, ownerID)
		b = append(b, `,"ReservationId":`...)
		b = appendJSONString(b, in.ReservationID)
		b = append(b, '}')
	}
	b = append(b, ']')
	return closeJSON(b, next)
}

func appendInstanceJSON(b []byte, in *Instance) []byte {
	b = append(b, `{"AmiLaunchIndex":0,"Architecture":"x86_64","BlockDeviceMappings":[],"EbsOptimized":false,"Hypervisor":"xen","ImageId":`...)
	b = appendJSONString(b, in.ImageID)
	b = append(b, `,"InstanceId":`...)
	b = appendJSONString(b, in.ID)
	b = append(b, `,"InstanceType":`...)
	b = appendJSONString(b, in.InstanceType)
	b = append(b, `,"LaunchTime":`...)
	b = appendJSONString(b, in.LaunchTime.UTC().Format(time.RFC3339))
	b = append(b, `,"Monitoring":{"State":"disabled"},"Placement":{"AvailabilityZone":`...)
	b = appendJSONString(b, in.AvailabilityZone)
	b = append(b, `,"GroupName":"","Tenancy":"default"},"PrivateDnsName":`...)
	b = appendJSONString(b, privateDNSName(in))
	b = append(b, `,"PrivateIpAddress":`...)
	b = appendJSONString(b, in.PrivateIP)
	b = append(b, `,"ProductCodes":[],"PublicDnsName":"","RootDeviceName":"/dev/xvda","RootDeviceType":"ebs","State":`...)
	b = appendStateJSON(b, in.State)
	if code, msg, ok := stateReason(in.State); ok {
		b = append(b, `,"StateReason":{"Code":`...)
		b = appendJSONString(b, code)
		b = append(b, `,"Message":`...)
		b = appendJSONString(b, msg)
		b = append(b, '}')
	}
	b = append(b, `,"StateTransitionReason":`...)
	b = appendJSONString(b, in.StateTransitionReason)
	if len(in.Tags) > 0 {
		b = append(b, `,"Tags":[`...)
		for i, k := range slices.Sorted(maps.Keys(in.Tags)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Key":`...)
			b = appendJSONString(b, k)
			b = append(b, `,"Value":`...)
			b = appendJSONString(b, in.Tags[k])
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, `,"VirtualizationType":"hvm"}`...)
}

func appendInstanceStatusesJSON(b []byte, instances []Instance, next string) []byte {
	b = append(b, `{"InstanceStatuses":[`...)
	for i := range instances {
		in := &instances[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"AvailabilityZone":`...)
		b = appendJSONString(b, in.AvailabilityZone)
		b = append(b, `,"InstanceId":`...)
		b = appendJSONString(b, in.ID)
		b = append(b, `,"InstanceState":`...)
		b = appendStateJSON(b, in.State)
		b = append(b, `,"InstanceStatus":`...)
		b = appendStatusJSON(b, in.State)
		b = append(b, `,"SystemStatus":`...)
		b = appendStatusJSON(b, in.State)
		b = append(b, '}')
	}
	b = append(b, ']')
	return closeJSON(b, next)
}

func appendStatusJSON(b []byte, s State) []byte {
	status, detail := checkStatus(s)
	b = append(b, '{')
	if detail != "" {
		b = append(b, `"Details":[{"Name":"reachability","Status":`...)
		b = appendJSONString(b, detail)
		b = append(b, `}],`...)
	}
	b = append(b, `"Status":`...)
	b = appendJSONString(b, status)
	return append(b, '}')
}

func appendStateChangesJSON(b []byte, start bool, changes []stateChange) []byte {
	if start {
		b = append(b, `{"StartingInstances":[`...)
	} else {
		b = append(b, `{"StoppingInstances":[`...)
	}
	for i, c := range changes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"CurrentState":`...)
		b = appendStateJSON(b, c.current)
		b = append(b, `,"InstanceId":`...)
		b = appendJSONString(b, c.id)
		b = append(b, `,"PreviousState":`...)
		b = appendStateJSON(b, c.previous)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendStateJSON(b []byte, s State) []byte {
	b = append(b, `{"Code":`...)
	b = strconv.AppendInt(b, int64(s.Code()), 10)
	b = append(b, `,"Name":`...)
	b = appendJSONString(b, string(s))
	return append(b, '}')
}

func closeJSON(b []byte, next string) []byte {
	if next != "" {
		b = append(b, `,"NextToken":`...)
		b = appendJSONString(b, next)
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
