package localsfn

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestHistoryQuotaOverTheAPI: a machine that loops for ever fails when its history reaches AWS's
// 25,000-event quota, and GetExecutionHistory serves all of it, page by page.
func TestHistoryQuotaOverTheAPI(t *testing.T) {
	env := newTestEnv(t, Config{})
	machine := env.createMachine(t, "Loop", `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.done","IsPresent":true,"Next":"E"}],"Default":"P"},
		"E":{"Type":"Succeed"}}}`, types.StateMachineTypeStandard)
	ctx := context.Background()
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	env.waitFinished(t, aws.ToString(start.ExecutionArn))
	desc, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != types.ExecutionStatusFailed {
		t.Fatalf("status %s, want FAILED", desc.Status)
	}
	events := 0
	var last types.HistoryEvent
	pages := sfn.NewGetExecutionHistoryPaginator(env.client, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 1000})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events += len(page.Events)
		if n := len(page.Events); n > 0 {
			last = page.Events[n-1]
		}
	}
	if events != 25000 || last.Type != types.HistoryEventTypeExecutionFailed || last.Id != 25000 {
		t.Fatalf("%d events ending in %s #%d, want 25000 ending in ExecutionFailed #25000", events, last.Type, last.Id)
	}
}
