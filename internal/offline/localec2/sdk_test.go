package localec2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

func TestCallShapes(t *testing.T) {
	tests := []struct {
		name   string
		action string
		input  string
		want   string // the exact output, compacted
	}{
		{
			name:   "describeInstanceStatus as the article calls it",
			action: "describeInstanceStatus",
			input:  `{"InstanceIds":["` + stoppedID + `"],"IncludeAllInstances":true}`,
			want: `{"InstanceStatuses":[{"AvailabilityZone":"us-east-1a","InstanceId":"` + stoppedID + `",` +
				`"InstanceState":{"Code":80,"Name":"stopped"},"InstanceStatus":{"Status":"not-applicable"},"SystemStatus":{"Status":"not-applicable"}}]}`,
		},
		{
			name:   "describeInstanceStatus of a running instance",
			action: "describeInstanceStatus",
			input:  `{"InstanceIds":["` + runningID + `"]}`,
			want: `{"InstanceStatuses":[{"AvailabilityZone":"us-east-1a","InstanceId":"` + runningID + `",` +
				`"InstanceState":{"Code":16,"Name":"running"},` +
				`"InstanceStatus":{"Details":[{"Name":"reachability","Status":"passed"}],"Status":"ok"},` +
				`"SystemStatus":{"Details":[{"Name":"reachability","Status":"passed"}],"Status":"ok"}}]}`,
		},
		{
			name:   "describeInstanceStatus without IncludeAllInstances skips a stopped instance",
			action: "describeInstanceStatus",
			input:  `{"InstanceIds":["` + stoppedID + `"]}`,
			want:   `{"InstanceStatuses":[]}`,
		},
		{
			name:   "startInstances",
			action: "startInstances",
			input:  `{"InstanceIds":["` + stoppedID + `"]}`,
			want: `{"StartingInstances":[{"CurrentState":{"Code":0,"Name":"pending"},"InstanceId":"` + stoppedID + `",` +
				`"PreviousState":{"Code":80,"Name":"stopped"}}]}`,
		},
		{
			name:   "stopInstances",
			action: "stopInstances",
			input:  `{"InstanceIds":["` + runningID + `"],"Force":true}`,
			want: `{"StoppingInstances":[{"CurrentState":{"Code":64,"Name":"stopping"},"InstanceId":"` + runningID + `",` +
				`"PreviousState":{"Code":16,"Name":"running"}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEC2(t, 10*time.Second)
			out, err := e.Call(context.Background(), tt.action, json.RawMessage(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(out) {
				t.Fatalf("output is not JSON: %s", out)
			}
			if string(out) != tt.want {
				t.Errorf("output\n got %s\nwant %s", out, tt.want)
			}
		})
	}
}

func TestCallDescribeInstances(t *testing.T) {
	e, _ := newTestEC2(t, 10*time.Second)
	out, err := e.Call(context.Background(), "describeInstances",
		json.RawMessage(`{"Filters":[{"Name":"instance-state-name","Values":["stopped"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Reservations []struct {
			OwnerId       string
			ReservationId string
			Instances     []struct {
				InstanceId   string
				InstanceType string
				LaunchTime   time.Time
				State        struct {
					Code int32
					Name string
				}
				StateReason struct{ Code string }
				Tags        []struct{ Key, Value string }
			}
		}
		NextToken *string
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if len(got.Reservations) != 1 || len(got.Reservations[0].Instances) != 1 {
		t.Fatalf("output %s: want one reservation with one instance", out)
	}
	r := got.Reservations[0]
	in := r.Instances[0]
	model, _ := e.Instance(stoppedID)
	if r.OwnerId != "123456789012" || r.ReservationId != model.ReservationID || in.InstanceId != stoppedID ||
		in.InstanceType != "t3.micro" || !in.LaunchTime.Equal(model.LaunchTime) ||
		in.State.Code != 80 || in.State.Name != "stopped" || in.StateReason.Code != "Client.UserInitiatedShutdown" ||
		len(in.Tags) != 2 || in.Tags[0].Key != "Name" || got.NextToken != nil {
		t.Errorf("unexpected output %s", out)
	}
}

func TestCallPagination(t *testing.T) {
	e, _ := newTestEC2(t, 0)
	for i := 0; i < 4; i++ {
		if _, err := e.AddInstance(InstanceSpec{}); err != nil {
			t.Fatal(err)
		}
	}
	var page struct {
		Reservations []json.RawMessage
		NextToken    string
	}
	out, err := e.Call(context.Background(), "describeInstances", json.RawMessage(`{"MaxResults":5}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &page); err != nil || len(page.Reservations) != 5 || page.NextToken == "" {
		t.Fatalf("first page %s (%v)", out, err)
	}
	out, err = e.Call(context.Background(), "describeInstances", json.RawMessage(`{"MaxResults":5,"NextToken":"`+page.NextToken+`"}`))
	page.NextToken = ""
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &page); err != nil || len(page.Reservations) != 2 || page.NextToken != "" {
		t.Fatalf("second page %s (%v)", out, err)
	}
}

// causePattern is the cause the Java SDK behind Step Functions reports.
var causePattern = regexp.MustCompile(`^(.+) \(Service: Ec2, Status Code: 400, Request ID: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\)$`)

func TestCallErrors(t *testing.T) {
	tests := []struct {
		name        string
		action      string
		input       string
		wantName    string
		wantMessage string // the EC2 message at the start of the cause
	}{
		{name: "unknown instance", action: "describeInstanceStatus", input: `{"InstanceIds":["i-0fffffffffffffff0"],"IncludeAllInstances":true}`,
			wantName: "Ec2.Ec2Exception", wantMessage: "The instance ID 'i-0fffffffffffffff0' does not exist"},
		{name: "malformed ID", action: "describeInstances", input: `{"InstanceIds":["i-nope"]}`,
			wantName: "Ec2.Ec2Exception", wantMessage: `Invalid id: "i-nope"`},
		{name: "incorrect state", action: "stopInstances", input: `{"InstanceIds":["` + pendingID + `"]}`,
			wantName: "Ec2.Ec2Exception", wantMessage: "The instance '" + pendingID + "' is not in a state from which it can be stopped."},
		{name: "missing IDs", action: "startInstances", input: `{}`,
			wantName: "Ec2.Ec2Exception", wantMessage: "The request must contain the parameter InstanceId"},
		{name: "unknown field", action: "describeInstances", input: `{"InstanceId":["i-12345678"]}`, wantName: "States.Runtime"},
		{name: "wrong type", action: "startInstances", input: `{"InstanceIds":"i-12345678"}`, wantName: "States.Runtime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEC2(t, 10*time.Second)
			_, err := e.Call(context.Background(), tt.action, json.RawMessage(tt.input))
			var f *asl.Failure
			if !errors.As(err, &f) {
				t.Fatalf("err = %v, want *asl.Failure", err)
			}
			if f.Name != tt.wantName {
				t.Errorf("error name = %s, want %s", f.Name, tt.wantName)
			}
			if tt.wantMessage == "" {
				return
			}
			m := causePattern.FindStringSubmatch(f.Cause)
			if m == nil || m[1] != tt.wantMessage {
				t.Errorf("cause = %q, want %q followed by the SDK's service details", f.Cause, tt.wantMessage)
			}
		})
	}
}

func TestCallRejects(t *testing.T) {
	e, _ := newTestEC2(t, 0)
	if _, err := e.Call(context.Background(), "rebootInstances", nil); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("unknown action: err = %v, want ErrUnknownAction", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Call(ctx, "describeInstances", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v", err)
	}
	// Empty input describes everything, as {} does.
	out, err := e.Call(context.Background(), "describeInstances", nil)
	if err != nil || strings.Count(string(out), `"InstanceId"`) != 3 {
		t.Errorf("nil input: %s, %v", out, err)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `q"uo\te`, "tab\tnl\nctl\x01", "ünï€ødé", "bad\xffutf8", "<&>"} {
		t.Run(s, func(t *testing.T) {
			var got string
			if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
				t.Fatalf("invalid JSON %s: %v", appendJSONString(nil, s), err)
			}
			want, _ := json.Marshal(s)
			var wantDecoded string
			_ = json.Unmarshal(want, &wantDecoded)
			if got != wantDecoded {
				t.Errorf("round trip %q, want %q", got, wantDecoded)
			}
		})
	}
}

func BenchmarkCallDescribeInstances(b *testing.B) {
	e, _ := newTestEC2(b, 0)
	ctx := context.Background()
	input := json.RawMessage(`{"InstanceIds":["` + stoppedID + `"]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Call(ctx, "describeInstances", input); err != nil {
			b.Fatal(err)
		}
	}
}
