package localec2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/stepgate/stepgate/internal/devtools/sdktest"
)

// newSDKClient serves e on an httptest server and returns the real SDK client
// pointed at it, so that every answer goes through the SDK's deserializers. It makes
// no retries, hence sdktest's HTTP client.
func newSDKClient(t *testing.T, e *EC2) (*ec2.Client, string) {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	client := ec2.New(ec2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:       sdktest.HTTPClient(srv.Client()),
		RetryMaxAttempts: 1,
	})
	return client, srv.URL
}

func TestSDKDescribeInstances(t *testing.T) {
	tests := []struct {
		name    string
		input   ec2.DescribeInstancesInput
		wantIDs []string
	}{
		{name: "all", input: ec2.DescribeInstancesInput{}, wantIDs: []string{stoppedID, runningID, pendingID}},
		{name: "by ID", input: ec2.DescribeInstancesInput{InstanceIds: []string{runningID, stoppedID}}, wantIDs: []string{runningID, stoppedID}},
		{name: "state filter", input: ec2.DescribeInstancesInput{Filters: []types.Filter{
			{Name: aws.String("instance-state-name"), Values: []string{"stopped", "pending"}},
		}}, wantIDs: []string{stoppedID, pendingID}},
		{name: "instance-id filter with wildcard", input: ec2.DescribeInstancesInput{Filters: []types.Filter{
			{Name: aws.String("instance-id"), Values: []string{"i-0a*"}},
		}}, wantIDs: []string{runningID}},
		{name: "filters are ANDed", input: ec2.DescribeInstancesInput{Filters: []types.Filter{
			{Name: aws.String("instance-state-name"), Values: []string{"running"}},
			{Name: aws.String("instance-id"), Values: []string{stoppedID}},
		}}, wantIDs: nil},
		{name: "tag filter", input: ec2.DescribeInstancesInput{Filters: []types.Filter{
			{Name: aws.String("tag:Name"), Values: []string{"managed"}},
		}}, wantIDs: []string{stoppedID}},
		{name: "instance type filter", input: ec2.DescribeInstancesInput{Filters: []types.Filter{
			{Name: aws.String("instance-type"), Values: []string{"t4g.nano"}},
		}}, wantIDs: []string{runningID}},
	}
	e, _ := newTestEC2(t, 10*time.Second)
	client, _ := newSDKClient(t, e)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.DescribeInstances(context.Background(), &tt.input)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range out.Reservations {
				if aws.ToString(r.OwnerId) != "123456789012" || !strings.HasPrefix(aws.ToString(r.ReservationId), "r-") {
					t.Errorf("reservation %s owner %s", aws.ToString(r.ReservationId), aws.ToString(r.OwnerId))
				}
				for _, in := range r.Instances {
					got = append(got, aws.ToString(in.InstanceId))
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("instances = %v, want %v", got, tt.wantIDs)
			}
			if out.NextToken != nil {
				t.Errorf("NextToken = %q on a complete listing", *out.NextToken)
			}
		})
	}
}

func TestSDKDescribeInstancesFields(t *testing.T) {
	e, _ := newTestEC2(t, 10*time.Second)
	client, _ := newSDKClient(t, e)
	out, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{stoppedID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("reservations = %+v", out.Reservations)
	}
	in := out.Reservations[0].Instances[0]
	model, _ := e.Instance(stoppedID)
	checks := []struct {
		field     string
		got, want any
	}{
		{"InstanceId", aws.ToString(in.InstanceId), stoppedID},
		{"State.Name", in.State.Name, types.InstanceStateNameStopped},
		{"State.Code", aws.ToInt32(in.State.Code), int32(80)},
		{"InstanceType", in.InstanceType, types.InstanceTypeT3Micro},
		{"ImageId", aws.ToString(in.ImageId), model.ImageID},
		{"LaunchTime", aws.ToTime(in.LaunchTime), model.LaunchTime},
		{"PrivateIpAddress", aws.ToString(in.PrivateIpAddress), model.PrivateIP},
		{"PrivateDnsName", aws.ToString(in.PrivateDnsName), "ip-" + strings.ReplaceAll(model.PrivateIP, ".", "-") + ".ec2.internal"},
		{"Placement.AvailabilityZone", aws.ToString(in.Placement.AvailabilityZone), "us-east-1a"},
		{"StateReason.Code", aws.ToString(in.StateReason.Code), "Client.UserInitiatedShutdown"},
		{"StateTransitionReason", aws.ToString(in.StateTransitionReason), "User initiated (2026-01-02 15:04:05 GMT)"},
		{"Architecture", in.Architecture, types.ArchitectureValuesX8664},
		{"Tags", len(in.Tags), 2},
		{"Tags[0]", aws.ToString(in.Tags[0].Key) + "=" + aws.ToString(in.Tags[0].Value), "Name=managed"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func TestSDKDescribeInstancesPagination(t *testing.T) {
	e, _ := newTestEC2(t, 0)
	for i := 0; i < 9; i++ {
		if _, err := e.AddInstance(InstanceSpec{}); err != nil {
			t.Fatal(err)
		}
	}
	client, _ := newSDKClient(t, e)
	pages := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	var ids []string
	n := 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, r := range out.Reservations {
			ids = append(ids, aws.ToString(r.Instances[0].InstanceId))
		}
	}
	if n != 3 || len(ids) != 12 {
		t.Errorf("%d pages, %d instances; want 3 pages, 12 instances", n, len(ids))
	}
	want := e.Instances()
	for i, in := range want {
		if i < len(ids) && ids[i] != in.ID {
			t.Errorf("instance %d = %s, want %s", i, ids[i], in.ID)
		}
	}
}

func TestSDKDescribeInstanceStatus(t *testing.T) {
	tests := []struct {
		name  string
		input ec2.DescribeInstanceStatusInput
		want  map[string]types.InstanceStateName
	}{
		{
			name:  "running only by default",
			input: ec2.DescribeInstanceStatusInput{},
			want:  map[string]types.InstanceStateName{runningID: types.InstanceStateNameRunning},
		},
		{
			name:  "a stopped instance is not listed without IncludeAllInstances",
			input: ec2.DescribeInstanceStatusInput{InstanceIds: []string{stoppedID}},
			want:  map[string]types.InstanceStateName{},
		},
		{
			name:  "every state with IncludeAllInstances",
			input: ec2.DescribeInstanceStatusInput{IncludeAllInstances: aws.Bool(true)},
			want: map[string]types.InstanceStateName{
				stoppedID: types.InstanceStateNameStopped, runningID: types.InstanceStateNameRunning, pendingID: types.InstanceStateNamePending,
			},
		},
		{
			name:  "by ID with IncludeAllInstances",
			input: ec2.DescribeInstanceStatusInput{InstanceIds: []string{stoppedID}, IncludeAllInstances: aws.Bool(true)},
			want:  map[string]types.InstanceStateName{stoppedID: types.InstanceStateNameStopped},
		},
	}
	e, _ := newTestEC2(t, 10*time.Second)
	client, _ := newSDKClient(t, e)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.DescribeInstanceStatus(context.Background(), &tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.InstanceStatuses) != len(tt.want) {
				t.Fatalf("%d statuses, want %d", len(out.InstanceStatuses), len(tt.want))
			}
			for _, s := range out.InstanceStatuses {
				id := aws.ToString(s.InstanceId)
				if s.InstanceState.Name != tt.want[id] || aws.ToInt32(s.InstanceState.Code) != State(tt.want[id]).Code() {
					t.Errorf("%s: state %s/%d, want %s", id, s.InstanceState.Name, aws.ToInt32(s.InstanceState.Code), tt.want[id])
				}
				if aws.ToString(s.AvailabilityZone) != "us-east-1a" {
					t.Errorf("%s: AvailabilityZone %q", id, aws.ToString(s.AvailabilityZone))
				}
				wantStatus := types.SummaryStatusNotApplicable
				if s.InstanceState.Name == types.InstanceStateNameRunning {
					wantStatus = types.SummaryStatusOk
					if len(s.SystemStatus.Details) != 1 || s.SystemStatus.Details[0].Status != types.StatusTypePassed {
						t.Errorf("%s: system status details %+v", id, s.SystemStatus.Details)
					}
				}
				if s.InstanceStatus.Status != wantStatus || s.SystemStatus.Status != wantStatus {
					t.Errorf("%s: statuses %s/%s, want %s", id, s.InstanceStatus.Status, s.SystemStatus.Status, wantStatus)
				}
			}
		})
	}
}

func TestSDKStartStop(t *testing.T) {
	tests := []struct {
		name         string
		id           string
		stop         bool
		force        bool
		wantPrevious types.InstanceStateName
		wantCurrent  types.InstanceStateName
	}{
		{name: "start stopped", id: stoppedID, wantPrevious: "stopped", wantCurrent: "pending"},
		{name: "start running is a no-op", id: runningID, wantPrevious: "running", wantCurrent: "running"},
		{name: "stop running", id: runningID, stop: true, wantPrevious: "running", wantCurrent: "stopping"},
		{name: "stop running with Force", id: runningID, stop: true, force: true, wantPrevious: "running", wantCurrent: "stopping"},
		{name: "stop stopped is a no-op", id: stoppedID, stop: true, wantPrevious: "stopped", wantCurrent: "stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEC2(t, 10*time.Second)
			client, _ := newSDKClient(t, e)
			var changes []types.InstanceStateChange
			if tt.stop {
				out, err := client.StopInstances(context.Background(), &ec2.StopInstancesInput{InstanceIds: []string{tt.id}, Force: aws.Bool(tt.force)})
				if err != nil {
					t.Fatal(err)
				}
				changes = out.StoppingInstances
			} else {
				out, err := client.StartInstances(context.Background(), &ec2.StartInstancesInput{InstanceIds: []string{tt.id}})
				if err != nil {
					t.Fatal(err)
				}
				changes = out.StartingInstances
			}
			if len(changes) != 1 {
				t.Fatalf("%d state changes, want 1", len(changes))
			}
			c := changes[0]
			if aws.ToString(c.InstanceId) != tt.id || c.PreviousState.Name != tt.wantPrevious || c.CurrentState.Name != tt.wantCurrent {
				t.Errorf("change %s: %s → %s, want %s → %s", aws.ToString(c.InstanceId), c.PreviousState.Name, c.CurrentState.Name, tt.wantPrevious, tt.wantCurrent)
			}
			if aws.ToInt32(c.PreviousState.Code) != State(tt.wantPrevious).Code() || aws.ToInt32(c.CurrentState.Code) != State(tt.wantCurrent).Code() {
				t.Errorf("codes %d → %d", aws.ToInt32(c.PreviousState.Code), aws.ToInt32(c.CurrentState.Code))
			}
		})
	}
}

func TestSDKErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func(*ec2.Client) error
		wantCode string
		wantMsg  string
	}{
		{
			name: "describe unknown instance",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0fffffffffffffff0"}})
				return err
			},
			wantCode: "InvalidInstanceID.NotFound", wantMsg: "The instance ID 'i-0fffffffffffffff0' does not exist",
		},
		{
			name: "describe several unknown instances",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0fffffffffffffff0", stoppedID, "i-12345678"}})
				return err
			},
			wantCode: "InvalidInstanceID.NotFound", wantMsg: "The instance IDs 'i-0fffffffffffffff0, i-12345678' do not exist",
		},
		{
			name: "describe malformed ID",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-xyz"}})
				return err
			},
			wantCode: "InvalidInstanceID.Malformed", wantMsg: `Invalid id: "i-xyz"`,
		},
		{
			name: "status of unknown instance",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: []string{"i-0fffffffffffffff0"}})
				return err
			},
			wantCode: "InvalidInstanceID.NotFound", wantMsg: "The instance ID 'i-0fffffffffffffff0' does not exist",
		},
		{
			name: "unknown filter",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}})
				return err
			},
			wantCode: "InvalidParameterValue", wantMsg: "The filter 'colour' is invalid",
		},
		{
			name: "MaxResults with IDs",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{stoppedID}, MaxResults: aws.Int32(5)})
				return err
			},
			wantCode: "InvalidParameterCombination",
		},
		{
			name: "MaxResults out of range",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(2)})
				return err
			},
			wantCode: "InvalidParameterValue",
		},
		{
			name: "bad NextToken",
			call: func(c *ec2.Client) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{NextToken: aws.String("garbage")})
				return err
			},
			wantCode: "InvalidPaginationToken",
		},
		{
			name: "start unknown instance",
			call: func(c *ec2.Client) error {
				_, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{"i-0fffffffffffffff0"}})
				return err
			},
			wantCode: "InvalidInstanceID.NotFound", wantMsg: "The instance ID 'i-0fffffffffffffff0' does not exist",
		},
		{
			name: "stop malformed ID",
			call: func(c *ec2.Client) error {
				_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"instance-1"}})
				return err
			},
			wantCode: "InvalidInstanceID.Malformed", wantMsg: `Invalid id: "instance-1"`,
		},
		{
			name: "stop a pending instance",
			call: func(c *ec2.Client) error {
				_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{pendingID}})
				return err
			},
			wantCode: "IncorrectInstanceState", wantMsg: "The instance '" + pendingID + "' is not in a state from which it can be stopped.",
		},
		{
			name: "start a stopping instance",
			call: func(c *ec2.Client) error {
				if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{runningID}}); err != nil {
					return err
				}
				_, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{runningID}})
				return err
			},
			wantCode: "IncorrectInstanceState", wantMsg: "The instance '" + runningID + "' is not in a state from which it can be started.",
		},
		{
			name: "dry run",
			call: func(c *ec2.Client) error {
				_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{runningID}, DryRun: aws.Bool(true)})
				return err
			},
			wantCode: "DryRunOperation",
		},
		{
			name: "unknown action",
			call: func(c *ec2.Client) error {
				_, err := c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{runningID}})
				return err
			},
			wantCode: "InvalidAction", wantMsg: "The action RebootInstances is not valid for this web service.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEC2(t, 10*time.Second)
			client, _ := newSDKClient(t, e)
			err := tt.call(client)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want a smithy.APIError", err)
			}
			if apiErr.ErrorCode() != tt.wantCode {
				t.Errorf("code = %s, want %s", apiErr.ErrorCode(), tt.wantCode)
			}
			if tt.wantMsg != "" && apiErr.ErrorMessage() != tt.wantMsg {
				t.Errorf("message = %q, want %q", apiErr.ErrorMessage(), tt.wantMsg)
			}
		})
	}
}

// TestQueryWire checks what the SDK does not expose: status codes, headers,
// the namespace and the error document's exact shape.
func TestQueryWire(t *testing.T) {
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantBody   []string
	}{
		{
			name:       "describe",
			form:       url.Values{"Action": {"DescribeInstances"}, "Version": {"2016-11-15"}, "InstanceId.1": {runningID}},
			wantStatus: http.StatusOK,
			wantBody: []string{
				`<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`,
				`<instanceState><code>16</code><name>running</name></instanceState>`,
			},
		},
		{
			name:       "start",
			form:       url.Values{"Action": {"StartInstances"}, "Version": {"2016-11-15"}, "InstanceId.1": {stoppedID}},
			wantStatus: http.StatusOK,
			wantBody: []string{
				`<instancesSet><item><instanceId>` + stoppedID + `</instanceId><currentState><code>0</code><name>pending</name></currentState><previousState><code>80</code><name>stopped</name></previousState></item></instancesSet></StartInstancesResponse>`,
			},
		},
		{
			name:       "error document",
			form:       url.Values{"Action": {"StopInstances"}, "Version": {"2016-11-15"}, "InstanceId.1": {"i-0fffffffffffffff0"}},
			wantStatus: http.StatusBadRequest,
			wantBody: []string{
				`<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID &apos;i-0fffffffffffffff0&apos; does not exist</Message></Error></Errors><RequestID>`,
			},
		},
		{
			name:       "missing action",
			form:       url.Values{"Version": {"2016-11-15"}},
			wantStatus: http.StatusBadRequest,
			wantBody:   []string{`<Code>MissingParameter</Code>`},
		},
		{
			// The SDK refuses to send this; other clients may.
			name:       "start without IDs",
			form:       url.Values{"Action": {"StartInstances"}, "Version": {"2016-11-15"}},
			wantStatus: http.StatusBadRequest,
			wantBody:   []string{`<Code>MissingParameter</Code><Message>The request must contain the parameter InstanceId</Message>`},
		},
		{
			name:       "bad boolean",
			form:       url.Values{"Action": {"DescribeInstanceStatus"}, "IncludeAllInstances": {"yes"}},
			wantStatus: http.StatusBadRequest,
			wantBody:   []string{`<Code>InvalidParameterValue</Code>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEC2(t, 10*time.Second)
			_, endpoint := newSDKClient(t, e)
			resp, err := http.PostForm(endpoint, tt.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
				t.Errorf("Content-Type = %q", ct)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Error("no X-Amzn-Requestid header")
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(string(body), want) {
					t.Errorf("body lacks %s\nbody: %s", want, body)
				}
			}
		})
	}
}
