package localsfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// post sends one raw JSON 1.0 request and returns the status, the decoded body and the headers.
func post(t *testing.T, env *testEnv, method, target, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, env.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	resp, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, target, raw, err)
	}
	return resp.StatusCode, out, resp.Header
}

func TestProtocol(t *testing.T) {
	env := newTestEnv(t, Config{})
	machine := env.createMachine(t, "Pass", passDefinition, types.StateMachineTypeStandard)

	tests := []struct {
		name, method, target, body string
		wantStatus                 int
		wantType                   string // __type of an error; "" for success
		check                      func(t *testing.T, body map[string]any)
	}{
		{name: "dates are epoch seconds", method: http.MethodPost, target: "AWSStepFunctions.DescribeStateMachine",
			body: `{"stateMachineArn":"` + machine + `"}`, wantStatus: 200,
			check: func(t *testing.T, body map[string]any) {
				if d, ok := body["creationDate"].(float64); !ok || d < 1e9 {
					t.Errorf("creationDate = %#v, want epoch seconds", body["creationDate"])
				}
			}},
		{name: "unknown operation", method: http.MethodPost, target: "AWSStepFunctions.GetActivityTask", body: `{}`,
			wantStatus: 400, wantType: "UnknownOperationException"},
		{name: "missing target", method: http.MethodPost, body: `{}`, wantStatus: 400, wantType: "UnknownOperationException"},
		{name: "another service's target", method: http.MethodPost, target: "AmazonEC2.DescribeInstances", body: `{}`,
			wantStatus: 400, wantType: "UnknownOperationException"},
		{name: "GET", method: http.MethodGet, target: "AWSStepFunctions.ListStateMachines", wantStatus: 400, wantType: "UnknownOperationException"},
		{name: "body not JSON", method: http.MethodPost, target: "AWSStepFunctions.ListStateMachines", body: `{`,
			wantStatus: 400, wantType: "SerializationException"},
		{name: "field of the wrong type", method: http.MethodPost, target: "AWSStepFunctions.ListStateMachines", body: `{"maxResults":"ten"}`,
			wantStatus: 400, wantType: "SerializationException"},
		{name: "a string where an ARN goes", method: http.MethodPost, target: "AWSStepFunctions.DescribeStateMachine", body: `{"stateMachineArn":5}`,
			wantStatus: 400, wantType: "SerializationException"},
		{name: "body an array", method: http.MethodPost, target: "AWSStepFunctions.ListStateMachines", body: `[]`,
			wantStatus: 400, wantType: "SerializationException"},
		{name: "data after the object", method: http.MethodPost, target: "AWSStepFunctions.ListStateMachines", body: `{} {}`,
			wantStatus: 400, wantType: "SerializationException"},
		{name: "a 32-bit integer out of range", method: http.MethodPost, target: "AWSStepFunctions.ListStateMachines", body: `{"maxResults":4294967296}`,
			wantStatus: 400, wantType: "SerializationException"},
		{name: "null is absent", method: http.MethodPost, target: "AWSStepFunctions.ListStateMachines", body: `{"nextToken":null}`, wantStatus: 200},
		{name: "empty body is an empty request", method: http.MethodPost, target: "AWSStepFunctions.ListStateMachines", wantStatus: 200,
			check: func(t *testing.T, body map[string]any) {
				if sms, ok := body["stateMachines"].([]any); !ok || len(sms) != 1 {
					t.Errorf("stateMachines = %#v, want one", body["stateMachines"])
				}
			}},
		{name: "missing required field", method: http.MethodPost, target: "AWSStepFunctions.DescribeExecution", body: `{}`,
			wantStatus: 400, wantType: "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, header := post(t, env, tt.method, tt.target, tt.body)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %v)", status, tt.wantStatus, body)
			}
			if got := header.Get("Content-Type"); got != contentType {
				t.Errorf("Content-Type = %q, want %q", got, contentType)
			}
			if header.Get("X-Amzn-RequestId") == "" {
				t.Error("no X-Amzn-RequestId header")
			}
			if got, _ := body["__type"].(string); got != tt.wantType {
				t.Errorf("__type = %q, want %q", got, tt.wantType)
			}
			if tt.wantType != "" {
				if msg, _ := body["message"].(string); msg == "" {
					t.Errorf("error without a message: %v", body)
				}
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

// faultCodes makes n ListStateMachines calls through the SDK and returns each call's error code
// ("" for success).
func faultCodes(t *testing.T, faults Faults, n int) []string {
	t.Helper()
	env := newTestEnv(t, Config{Faults: faults})
	codes := make([]string, n)
	for i := range codes {
		_, err := env.client.ListStateMachines(context.Background(), &sfn.ListStateMachinesInput{})
		codes[i] = errorCode(err)
	}
	return codes
}

func TestFaults(t *testing.T) {
	seeded := func() Faults {
		return Faults{ThrottleRate: 0.3, ServiceErrorRate: 0.3, Rand: rand.New(rand.NewPCG(7, 11))}
	}
	first := faultCodes(t, seeded(), 60)
	t.Run("same seed, same sequence", func(t *testing.T) {
		second := faultCodes(t, seeded(), 60)
		if strings.Join(first, ",") != strings.Join(second, ",") {
			t.Errorf("sequences differ:\n%v\n%v", first, second)
		}
	})
	t.Run("every kind occurs", func(t *testing.T) {
		count := map[string]int{}
		for _, c := range first {
			count[c]++
		}
		for _, code := range []string{"", "ThrottlingException", "InternalFailure"} {
			if count[code] == 0 {
				t.Errorf("no %q in %d calls: %v", code, len(first), count)
			}
		}
		if len(count) != 3 {
			t.Errorf("unexpected codes: %v", count)
		}
	})
	t.Run("HTTP statuses", func(t *testing.T) {
		for _, tt := range []struct {
			faults     Faults
			wantStatus int
			wantType   string
		}{
			{Faults{ThrottleRate: 1}, 400, "ThrottlingException"},
			{Faults{ServiceErrorRate: 1}, 500, "InternalFailure"},
			{Faults{ExecutionLimitRate: 1}, 200, ""}, // not a StartExecution call
		} {
			env := newTestEnv(t, Config{Faults: tt.faults})
			status, body, _ := post(t, env, http.MethodPost, "AWSStepFunctions.ListStateMachines", `{}`)
			if got, _ := body["__type"].(string); status != tt.wantStatus || got != tt.wantType {
				t.Errorf("faults %+v: got %d %q, want %d %q", tt.faults, status, got, tt.wantStatus, tt.wantType)
			}
		}
	})
	t.Run("execution limit on StartExecution", func(t *testing.T) {
		env := newTestEnv(t, Config{Faults: Faults{ExecutionLimitRate: 1}})
		machine := env.createMachine(t, "Pass", passDefinition, types.StateMachineTypeStandard)
		_, err := env.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)})
		wantCode(t, err, "ExecutionLimitExceeded")
		var typed *types.ExecutionLimitExceeded
		if !errors.As(err, &typed) {
			t.Errorf("error %T is not *types.ExecutionLimitExceeded", err)
		}
	})
}
