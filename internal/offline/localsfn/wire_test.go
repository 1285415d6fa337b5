package localsfn

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
)

// cannedHTTP is the SDK client's transport in the wire tests: it keeps the request body the
// SDK's serializer wrote and answers with a body the test chose.
type cannedHTTP struct {
	answer  []byte
	request []byte
}

func (c *cannedHTTP) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.request = body
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {contentType}},
		Body:       io.NopCloser(bytes.NewReader(c.answer)),
		Request:    r,
	}, nil
}

// callSDK calls the SDK client's operation by name, as the wire tests do for every served one.
func callSDK(t *testing.T, client *sfn.Client, op string, in reflect.Value) reflect.Value {
	t.Helper()
	results := reflect.ValueOf(client).MethodByName(op).Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
	if err, _ := results[1].Interface().(error); err != nil {
		t.Fatalf("%s through the SDK: %v", op, err)
	}
	out := results[0]
	out.Elem().FieldByName("ResultMetadata").Set(reflect.Zero(reflect.TypeFor[middleware.Metadata]()))
	return out
}

// fill sets every exported field of v, at every depth, to a value of its own, so that a field
// the codec drops or renames cannot go unnoticed.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	typ := v.Type()
	if typ == timeType {
		v.Set(reflect.ValueOf(time.UnixMilli(1_700_000_000_000 + int64(*n)*1_001).UTC()))
		return
	}
	switch typ.Kind() {
	case reflect.Pointer:
		p := reflect.New(typ.Elem())
		fill(t, p.Elem(), n)
		v.Set(p)
	case reflect.Struct:
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() && f.Type != metadataType {
				fill(t, v.Field(i), n)
			}
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", typ.Name(), *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Slice:
		s := reflect.MakeSlice(typ, 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(typ)
		for i := range 2 {
			elem := reflect.New(typ.Elem()).Elem()
			fill(t, elem, n)
			m.SetMapIndex(reflect.ValueOf(fmt.Sprintf("key%d", i)).Convert(typ.Key()), elem)
		}
		v.Set(m)
	default:
		t.Fatalf("fill: no value for a %s", typ)
	}
}

// TestWireAgainstTheSDK checks the codec on every field of every served operation's input and
// output, in both directions, against the SDK's own serializer and deserializer: what the SDK
// sends decodes to the same input, and what the service sends the SDK reads back unchanged.
func TestWireAgainstTheSDK(t *testing.T) {
	for _, op := range slices.Sorted(maps.Keys(operations)) {
		t.Run(op, func(t *testing.T) {
			transport := &cannedHTTP{answer: []byte("{}")}
			client := sfn.New(sfn.Options{
				Region: testRegion, BaseEndpoint: aws.String("http://127.0.0.1:1"),
				Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
				HTTPClient:  transport, RetryMaxAttempts: 1,
			})
			method, ok := reflect.TypeOf(client).MethodByName(op)
			if !ok {
				t.Fatalf("*sfn.Client has no method %s: the operation table names one AWS does not have", op)
			}
			n := 0
			in := reflect.New(method.Type.In(2).Elem())
			fill(t, in.Elem(), &n)

			t.Run("request", func(t *testing.T) {
				callSDK(t, client, op, in)
				decoded := reflect.New(in.Elem().Type())
				if err := unmarshalWire(transport.request, decoded.Interface()); err != nil {
					t.Fatalf("decode %s: %v", transport.request, err)
				}
				if !reflect.DeepEqual(decoded.Interface(), in.Interface()) {
					t.Errorf("the SDK sent %s\ndecoded: %+v\nwant:    %+v", transport.request, decoded.Elem(), in.Elem())
				}
			})
			t.Run("response", func(t *testing.T) {
				out := reflect.New(method.Type.Out(0).Elem())
				fill(t, out.Elem(), &n)
				body, err := marshalWire(out.Interface())
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(body, []byte("esultMetadata")) {
					t.Errorf("ResultMetadata went on the wire: %s", body)
				}
				transport.answer = body
				got := callSDK(t, client, op, in)
				if !reflect.DeepEqual(got.Interface(), out.Interface()) {
					t.Errorf("sent %s\nthe SDK read: %+v\nwant:         %+v", body, got.Elem(), out.Elem())
				}
			})
		})
	}
}

// TestEveryOperationThroughTheSDK runs each served operation through the real SDK client over
// HTTP and compares the answer with the Service method's own. Adding an operation to the table
// without a case here fails.
func TestEveryOperationThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	worker := make(workerQueue, 5)
	env := newTestEnv(t, Config{Invoker: worker})
	standard := env.createMachine(t, "Hold", waitDefinition, types.StateMachineTypeStandard)
	asking := env.createMachine(t, "Ask", askDefinition, types.StateMachineTypeStandard)
	tokens := make([]string, 5)
	for i := range tokens {
		if _, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(asking)}); err != nil {
			t.Fatal(err)
		}
		tokens[i] = (<-worker).TaskToken
	}
	express := env.createMachine(t, "Quick", passDefinition, types.StateMachineTypeExpress)
	env.createMachine(t, "Doomed", passDefinition, types.StateMachineTypeStandard)
	started, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(standard), Name: aws.String("held"), Input: aws.String(`{"k":"v"}`),
		TraceHeader: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793"),
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(standard), Name: aws.String("stopped")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: stopped.ExecutionArn, Error: aws.String("E"), Cause: aws.String("C")}); err != nil {
		t.Fatal(err)
	}

	// Each case calls the operation once through the SDK client and once on the Service; both
	// are mutating-safe (idempotent, or compared after normalize).
	cases := map[string]func(t *testing.T){
		"CreateStateMachine": func(t *testing.T) {
			compare(t, env.client.CreateStateMachine, env.svc.CreateStateMachine, &sfn.CreateStateMachineInput{
				Name: aws.String("Hold"), Definition: aws.String(waitDefinition), RoleArn: aws.String(testRole)}, nil)
		},
		"DescribeStateMachine": func(t *testing.T) {
			compare(t, env.client.DescribeStateMachine, env.svc.DescribeStateMachine, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(express)}, nil)
		},
		"ListStateMachines": func(t *testing.T) {
			compare(t, env.client.ListStateMachines, env.svc.ListStateMachines, &sfn.ListStateMachinesInput{MaxResults: 2}, nil)
		},
		"DeleteStateMachine": func(t *testing.T) {
			compare(t, env.client.DeleteStateMachine, env.svc.DeleteStateMachine, &sfn.DeleteStateMachineInput{
				StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:Doomed")}, nil)
		},
		"StartExecution": func(t *testing.T) {
			compare(t, env.client.StartExecution, env.svc.StartExecution, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(standard), Name: aws.String("held"), Input: aws.String(`{"k":"v"}`)}, nil)
		},
		"StartSyncExecution": func(t *testing.T) {
			// Two runs of an EXPRESS machine differ in their name, ARN, dates and billed duration only.
			compare(t, env.client.StartSyncExecution, env.svc.StartSyncExecution, &sfn.StartSyncExecutionInput{
				StateMachineArn: aws.String(express), Input: aws.String(`{"k":"v"}`), TraceHeader: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
				func(out *sfn.StartSyncExecutionOutput) {
					if out.Status != types.SyncExecutionStatusSucceeded || out.Output == nil || out.BillingDetails == nil {
						t.Errorf("StartSyncExecution answered %+v", out)
					}
					out.Name, out.ExecutionArn, out.StartDate, out.StopDate, out.BillingDetails = nil, nil, nil, nil, nil
				})
		},
		"DescribeExecution": func(t *testing.T) {
			compare(t, env.client.DescribeExecution, env.svc.DescribeExecution, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn}, nil)
			compare(t, env.client.DescribeExecution, env.svc.DescribeExecution, &sfn.DescribeExecutionInput{ExecutionArn: stopped.ExecutionArn}, nil)
		},
		"ListExecutions": func(t *testing.T) {
			compare(t, env.client.ListExecutions, env.svc.ListExecutions, &sfn.ListExecutionsInput{StateMachineArn: aws.String(standard)}, nil)
		},
		"GetExecutionHistory": func(t *testing.T) {
			compare(t, env.client.GetExecutionHistory, env.svc.GetExecutionHistory, &sfn.GetExecutionHistoryInput{ExecutionArn: stopped.ExecutionArn}, nil)
			compare(t, env.client.GetExecutionHistory, env.svc.GetExecutionHistory, &sfn.GetExecutionHistoryInput{
				ExecutionArn: stopped.ExecutionArn, ReverseOrder: true, MaxResults: 1, IncludeExecutionData: aws.Bool(false)}, nil)
		},
		"StopExecution": func(t *testing.T) {
			compare(t, env.client.StopExecution, env.svc.StopExecution, &sfn.StopExecutionInput{ExecutionArn: stopped.ExecutionArn}, nil)
		},
		"TestState": func(t *testing.T) {
			compare(t, env.client.TestState, env.svc.TestState, &sfn.TestStateInput{
				Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"Retry":[{"ErrorEquals":["E"]}],"Next":"After"}`),
				Input:      aws.String(`{"k":"v"}`), InspectionLevel: types.InspectionLevelTrace, Variables: aws.String(`{"v":1}`),
				Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("E"), Cause: aws.String("mocked")}}}, nil)
		},
		// A task has one outcome: the SDK and the Service each settle a task of their own, and
		// both then answer TaskTimedOut for it.
		"SendTaskSuccess": func(t *testing.T) {
			compareEach(t, env.client.SendTaskSuccess, env.svc.SendTaskSuccess,
				&sfn.SendTaskSuccessInput{TaskToken: aws.String(tokens[0]), Output: aws.String(`{"ok":true}`)},
				&sfn.SendTaskSuccessInput{TaskToken: aws.String(tokens[1]), Output: aws.String(`{"ok":true}`)}, nil)
			again := &sfn.SendTaskSuccessInput{TaskToken: aws.String(tokens[0]), Output: aws.String(`{}`)}
			_, viaSDK := env.client.SendTaskSuccess(ctx, again)
			_, direct := env.svc.SendTaskSuccess(ctx, again)
			wantCode(t, viaSDK, "TaskTimedOut")
			wantCode(t, direct, "TaskTimedOut")
		},
		"SendTaskFailure": func(t *testing.T) {
			compareEach(t, env.client.SendTaskFailure, env.svc.SendTaskFailure,
				&sfn.SendTaskFailureInput{TaskToken: aws.String(tokens[2]), Error: aws.String("E"), Cause: aws.String("C")},
				&sfn.SendTaskFailureInput{TaskToken: aws.String(tokens[3])}, nil)
		},
		"SendTaskHeartbeat": func(t *testing.T) {
			compare(t, env.client.SendTaskHeartbeat, env.svc.SendTaskHeartbeat, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tokens[4])}, nil)
		},
	}
	for _, op := range slices.Sorted(maps.Keys(operations)) {
		t.Run(op, func(t *testing.T) {
			run, ok := cases[op]
			if !ok {
				t.Fatalf("no case for %s: add one to this test", op)
			}
			run(t)
		})
	}
}

// compare calls one operation through the SDK and on the Service and wants the same answer;
// normalize, when set, clears what legitimately differs between two calls.
func compare[In, Out any](t *testing.T, viaSDK, direct func(context.Context, *In, ...func(*sfn.Options)) (*Out, error), in *In, normalize func(*Out)) {
	t.Helper()
	compareEach(t, viaSDK, direct, in, in, normalize)
}

// compareEach is compare with an input for each side, for an operation that may not be called
// twice with the same input.
func compareEach[In, Out any](t *testing.T, viaSDK, direct func(context.Context, *In, ...func(*sfn.Options)) (*Out, error), inSDK, inDirect *In, normalize func(*Out)) {
	t.Helper()
	got, err := viaSDK(context.Background(), inSDK)
	if err != nil {
		t.Fatalf("through the SDK: %v", err)
	}
	want, err := direct(context.Background(), inDirect)
	if err != nil {
		t.Fatalf("on the Service: %v", err)
	}
	reflect.ValueOf(got).Elem().FieldByName("ResultMetadata").Set(reflect.Zero(metadataType))
	if normalize != nil {
		normalize(got)
		normalize(want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("through the SDK: %+v\non the Service: %+v", got, want)
	}
}
