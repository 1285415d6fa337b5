package samtemplate

// Production defaults a careful user expects of template.yaml: log groups with a retention,
// X-Ray tracing, and alarms that notify an SNS topic only when one is given.

import (
	"slices"
	"strings"
	"testing"
)

func TestLogGroups(t *testing.T) {
	tmpl := loadStack(t, nil)
	fns := functionsByID(t, tmpl)
	groups := resourcesOfType(tmpl, "AWS::Logs::LogGroup")
	want := []string{"ExpressStateMachineLogGroup"}
	for id := range fns {
		want = append(want, id+"LogGroup")
	}
	slices.Sort(want)
	if !slices.Equal(groups, want) {
		t.Errorf("log groups %v, want %v", groups, want)
	}
	for _, id := range groups {
		if got := tmpl.Resources[id].Properties["RetentionInDays"]; got != "14" {
			t.Errorf("%s RetentionInDays = %v, want the LogRetentionInDays default 14", id, got)
		}
	}
	for id := range fns {
		lc, _ := tmpl.Resources[id].Properties["LoggingConfig"].(map[string]any)
		if lc["LogGroup"] != "${"+id+"LogGroup}" || lc["LogFormat"] != "JSON" {
			t.Errorf("%s LoggingConfig = %v, want LogGroup %sLogGroup and the Globals' JSON format", id, lc, id)
		}
		name := str(tmpl.Resources[id+"LogGroup"].Properties["LogGroupName"])
		if !strings.HasPrefix(name, "/aws/lambda/stepgate-") {
			t.Errorf("%sLogGroup name %q, want it under /aws/lambda/<stack>-", id, name)
		}
	}
	if _, err := Load(templatePath, Options{Parameters: map[string]string{"LogRetentionInDays": "10"}}); err == nil {
		t.Error("LogRetentionInDays 10 (not a CloudWatch Logs value) was accepted")
	}
}

func TestTracing(t *testing.T) {
	tmpl := loadStack(t, nil)
	for id := range functionsByID(t, tmpl) {
		if got := tmpl.Resources[id].Properties["Tracing"]; got != "Active" {
			t.Errorf("%s Tracing = %v, want Active", id, got)
		}
	}
	for id := range stateMachinesByID(t, tmpl) {
		if got := dig(tmpl.Resources[id].Properties, "Tracing", "Enabled"); got != true {
			t.Errorf("%s Tracing.Enabled = %v, want true", id, got)
		}
	}
	api := tmpl.Resources["StepgateApi"].Properties
	if api["TracingEnabled"] != true || api["AlwaysDeploy"] != true {
		t.Errorf("StepgateApi TracingEnabled %v AlwaysDeploy %v, want both true", api["TracingEnabled"], api["AlwaysDeploy"])
	}
}

func TestAlarms(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:stepgate-alarms"
	for _, tc := range []struct {
		name    string
		params  map[string]string
		actions []any
	}{
		{"no topic", nil, nil},
		{"topic", map[string]string{"AlarmTopicArn": topic}, []any{topic}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := loadStack(t, tc.params)
			metrics := map[string]string{} // metric → the dimension value it watches
			for _, id := range resourcesOfType(tmpl, "AWS::CloudWatch::Alarm") {
				p := tmpl.Resources[id].Properties
				_, hasActions := p["AlarmActions"]
				if hasActions != (tc.actions != nil) || (tc.actions != nil && !jsonEqual(p["AlarmActions"], tc.actions)) {
					t.Errorf("%s AlarmActions = %v, want %v", id, p["AlarmActions"], tc.actions)
				}
				dims := map[string]string{}
				for _, d := range list(p["Dimensions"]) {
					dims[str(dig(d, "Name"))] = str(dig(d, "Value"))
				}
				switch p["MetricName"] {
				case "5XXError":
					metrics["5XXError"] = dims["ApiName"] + "/" + dims["Stage"]
				case "ExecutionsFailed":
					metrics["ExecutionsFailed "+dims["StateMachineArn"]] = dims["StateMachineArn"]
				default:
					t.Errorf("%s watches %v", id, p["MetricName"])
				}
			}
			want := map[string]string{
				"5XXError": "stepgate-stepgate/v1",
				"ExecutionsFailed arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express":  "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express",
				"ExecutionsFailed arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard": "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard",
			}
			if !jsonEqual(metrics, want) {
				t.Errorf("alarms watch %v, want %v", metrics, want)
			}
			// The 5XX alarm's ApiName must be the name the RestApi gets: its body's info.title.
			title := dig(tmpl.Resources["StepgateApi"].Properties, "DefinitionBody", "info", "title")
			if title != "stepgate-stepgate" {
				t.Errorf("API title %v, want the ApiName the alarm watches", title)
			}
		})
	}
	if _, err := Load(templatePath, Options{Parameters: map[string]string{"AlarmTopicArn": "not-an-arn"}}); err == nil {
		t.Error("AlarmTopicArn not-an-arn was accepted")
	}
}
