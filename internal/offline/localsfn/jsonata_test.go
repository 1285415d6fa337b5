package localsfn

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// A JSONata workflow with variables runs through the API, and the SDK reads
// the assigned variables from the PassStateExited event as AWS writes them.
func TestJSONataWorkflowOverTheAPI(t *testing.T) {
	env := newTestEnv(t, Config{})
	arn := env.createMachine(t, "Jsonata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"total":"{% $sum($states.input.prices) %}"},"Next":"B"},
		"B":{"Type":"Pass","Output":{"total":"{% $total %}","n":"{% $count($states.input.prices) %}"},"End":true}}}`, types.StateMachineTypeStandard)
	ctx := context.Background()
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"prices":[1,2.5]}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	env.waitFinished(t, aws.ToString(start.ExecutionArn))
	desc, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if desc.Status != types.ExecutionStatusSucceeded || aws.ToString(desc.Output) != `{"total":3.5,"n":2}` {
		t.Fatalf("execution = %s %s", desc.Status, aws.ToString(desc.Output))
	}
	hist, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	var found bool
	for _, ev := range hist.Events {
		d := ev.StateExitedEventDetails
		if ev.Type != types.HistoryEventTypePassStateExited || d == nil || aws.ToString(d.Name) != "A" {
			continue
		}
		found = true
		if d.AssignedVariables["total"] != "3.5" || d.AssignedVariablesDetails == nil || d.AssignedVariablesDetails.Truncated {
			t.Errorf("A's exited details: assignedVariables %v, details %+v", d.AssignedVariables, d.AssignedVariablesDetails)
		}
	}
	if !found {
		t.Fatal("no PassStateExited event for A")
	}
}
