package samtemplate

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// loadString writes a template to a temporary directory and loads it.
func loadString(t *testing.T, body string, opts Options) (*Template, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(path, opts)
}

const intrinsicsTemplate = `
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Zones:
    Type: CommaDelimitedList
    Default: "a, b,c"
Mappings:
  Sizes:
    dev: {Memory: 128}
    prod: {Memory: 1024}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals ["1", 1]]
  Either: !Or [!Condition IsProd, !Condition Both]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Thing:
    Type: Custom::Thing
    Properties:
      RefParam: !Ref Env
      RefResource: !Ref Bucket
      RefPseudo: !Sub "${AWS::Region}/${AWS::AccountId}/${AWS::Partition}/${AWS::StackName}/${AWS::URLSuffix}"
      GetAttDotted: !GetAtt Bucket.Arn
      GetAttList: !GetAtt [Bucket, DomainName]
      GetAttNested: !GetAtt Bucket.Endpoint.Address
      SubString: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/${Bucket.Arn}/${!Literal}"
      SubList: !Sub ["${Name}-${Env}", {Name: !Ref Bucket}]
      Join: !Join ["-", [a, !Ref Env, 3]]
      IfTrue: !If [IsDev, yes-dev, no]
      IfFalse: !If [IsProd, !Ref DoesNotExist, fallback]
      NoValue: !If [IsProd, x, !Ref AWS::NoValue]
      ListNoValue: [one, !Ref AWS::NoValue, two]
      Select: !Select [1, !Ref Zones]
      Split: !Split [",", "x,y"]
      FindInMap: !FindInMap [Sizes, !Ref Env, Memory]
      Base64: !Base64 hello
      Either: !If [Either, on, off]
      Long:
        Fn::Join: ["", [x, {Ref: Env}]]
`

func TestIntrinsics(t *testing.T) {
	resolve := func(id, attr string) (string, bool) {
		if id == "Bucket" && attr == "Arn" {
			return "arn:aws:s3:::bucket", true
		}
		return "", false
	}
	tmpl, err := loadString(t, intrinsicsTemplate, Options{Resolve: resolve})
	if err != nil {
		t.Fatal(err)
	}
	got := tmpl.Resources["Thing"].Properties
	want := map[string]any{
		"RefParam":     "dev",
		"RefResource":  "${Bucket}",
		"RefPseudo":    "us-east-1/123456789012/aws/stepgate/amazonaws.com",
		"GetAttDotted": "arn:aws:s3:::bucket",
		"GetAttList":   "${Bucket.DomainName}",
		"GetAttNested": "${Bucket.Endpoint.Address}",
		"SubString":    "arn:aws:s3:::${Bucket}/arn:aws:s3:::bucket/${Literal}",
		"SubList":      "${Bucket}-dev",
		"Join":         "a-dev-3",
		"IfTrue":       "yes-dev",
		"IfFalse":      "fallback",
		"ListNoValue":  []any{"one", "two"},
		"Select":       "b",
		"Split":        []any{"x", "y"},
		"FindInMap":    128,
		"Base64":       "aGVsbG8=",
		"Either":       "on",
		"Long":         "xdev",
	}
	for k, w := range want {
		t.Run(k, func(t *testing.T) {
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("%s = %#v, want %#v", k, got[k], w)
			}
		})
	}
	if _, present := got["NoValue"]; present {
		t.Errorf("AWS::NoValue left the key NoValue in place: %#v", got["NoValue"])
	}
	wantConds := map[string]bool{"IsProd": false, "IsDev": true, "Both": true, "Either": true}
	if !reflect.DeepEqual(tmpl.Conditions, wantConds) {
		t.Errorf("Conditions = %v, want %v", tmpl.Conditions, wantConds)
	}
}

func TestOptionsOverrideParametersAndPseudo(t *testing.T) {
	// In prod the IfFalse line would take its branch that names nothing: leave it out.
	body := strings.Replace(intrinsicsTemplate, "      IfFalse: !If [IsProd, !Ref DoesNotExist, fallback]\n", "", 1)
	tmpl, err := loadString(t, body, Options{
		Parameters: map[string]string{"Env": "prod"},
		Region:     "eu-west-1", AccountID: "111122223333", Partition: "aws-cn", StackName: "s",
	})
	if err != nil {
		t.Fatal(err)
	}
	p := tmpl.Resources["Thing"].Properties
	if got, want := p["RefPseudo"], "eu-west-1/111122223333/aws-cn/s/amazonaws.com.cn"; got != want {
		t.Errorf("RefPseudo = %v, want %v", got, want)
	}
	if p["FindInMap"] != 1024 || p["NoValue"] != "x" || p["IfTrue"] != "no" {
		t.Errorf("prod values not applied: FindInMap=%v NoValue=%v IfTrue=%v", p["FindInMap"], p["NoValue"], p["IfTrue"])
	}
	if tmpl.Parameters["Env"] != "prod" || tmpl.Parameters["Zones"] != "a, b,c" {
		t.Errorf("Parameters = %v", tmpl.Parameters)
	}
}

func TestGlobalsMerge(t *testing.T) {
	const body = `
Globals:
  Function:
    Runtime: provided.al2023
    Timeout: 3
    Layers: [global-layer]
    Environment:
      Variables:
        SHARED: from-globals
        OVERRIDDEN: from-globals
  StateMachine:
    Tracing: {Enabled: true}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 9
      Layers: [own-layer]
      Environment:
        Variables:
          OVERRIDDEN: from-function
          OWN: !Ref AWS::Region
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Timeout: 1
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: A, TimeoutSeconds: 7, States: {A: {Type: Succeed}}}
`
	tmpl, err := loadString(t, body, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fn := tmpl.Resources["Fn"].Properties
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"scalar from globals", fn["Runtime"], "provided.al2023"},
		{"scalar replaced", fn["Timeout"], 9},
		{"lists are additive, globals first", fn["Layers"], []any{"global-layer", "own-layer"}},
		{"maps merged, resource wins", fn["Environment"], map[string]any{"Variables": map[string]any{
			"SHARED": "from-globals", "OVERRIDDEN": "from-function", "OWN": "us-east-1"}}},
		{"not applied to non-SAM types", tmpl.Resources["Plain"].Properties["Runtime"], nil},
		{"state machine section", tmpl.Resources["Machine"].Properties["Tracing"], map[string]any{"Enabled": true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	if len(sms) != 1 || sms[0].TimeoutSeconds != 7 || sms[0].Type != "STANDARD" {
		t.Errorf("inline state machine = %+v, want TimeoutSeconds 7 and the STANDARD default", sms)
	}
}

func TestConditionsDropResourcesAndOutputs(t *testing.T) {
	const body = `
Parameters:
  Mode: {Type: String, Default: off}
Conditions:
  On: !Equals [!Ref Mode, "on"]
Resources:
  Always: {Type: AWS::SNS::Topic}
  Sometimes:
    Type: AWS::SNS::Topic
    Condition: On
Outputs:
  A: {Value: !Ref Always}
  B: {Condition: On, Value: !Ref Sometimes}
`
	for _, tc := range []struct {
		mode        string
		wantPresent bool
	}{{"off", false}, {"on", true}} {
		t.Run(tc.mode, func(t *testing.T) {
			tmpl, err := loadString(t, body, Options{Parameters: map[string]string{"Mode": tc.mode}})
			if err != nil {
				t.Fatal(err)
			}
			_, res := tmpl.Resources["Sometimes"]
			_, out := tmpl.Outputs["B"]
			if res != tc.wantPresent || out != tc.wantPresent {
				t.Errorf("resource present %v, output present %v; want %v", res, out, tc.wantPresent)
			}
			if tc.wantPresent && tmpl.Resources["Sometimes"].Condition != "On" {
				t.Errorf("Condition = %q, want On", tmpl.Resources["Sometimes"].Condition)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		opts    Options
		wantErr string
	}{
		{"unknown ref", "Resources:\n  A:\n    Type: X::Y\n    Properties: {P: !Ref Nope}\n", Options{}, "Nope"},
		{"unknown getatt", "Resources:\n  A:\n    Type: X::Y\n    Properties: {P: !GetAtt Nope.Arn}\n", Options{}, "Nope"},
		{"unknown sub variable", "Resources:\n  A:\n    Type: X::Y\n    Properties: {P: !Sub '${Nope}'}\n", Options{}, "Nope"},
		{"disallowed value", "Parameters:\n  P: {Type: String, Default: a, AllowedValues: [a, b]}\nResources:\n  A: {Type: X::Y}\n",
			Options{Parameters: map[string]string{"P": "c"}}, "AllowedValues"},
		{"pattern", "Parameters:\n  P: {Type: String, Default: a1, AllowedPattern: '[a-z]+'}\nResources:\n  A: {Type: X::Y}\n",
			Options{}, "AllowedPattern"},
		{"unknown override", "Resources:\n  A: {Type: X::Y}\n", Options{Parameters: map[string]string{"Q": "1"}}, "no such parameter"},
		{"missing value", "Parameters:\n  P: {Type: String}\nResources:\n  A: {Type: X::Y}\n", Options{}, "no Default"},
		{"condition cycle", "Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources:\n  R: {Type: X::Y}\n", Options{}, "refers to itself"},
		{"unknown condition", "Resources:\n  R: {Type: X::Y, Condition: Nope}\n", Options{}, "no condition Nope"},
		{"unsupported function", "Resources:\n  R:\n    Type: X::Y\n    Properties: {P: !ImportValue x}\n", Options{}, "Fn::ImportValue is not supported"},
		{"no resources", "Parameters: {}\n", Options{}, "no Resources"},
		{"duplicate key", "Resources:\n  R: {Type: X::Y}\n  R: {Type: X::Z}\n", Options{}, "duplicate key"},
		{"no type", "Resources:\n  R: {Properties: {}}\n", Options{}, "no Type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadString(t, tc.body, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestJSONTemplate(t *testing.T) {
	const body = `{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-t"}}}}}`
	tmpl, err := loadString(t, body, Options{StackName: "json"})
	if err != nil {
		t.Fatal(err)
	}
	if got := tmpl.Resources["T"].Properties["TopicName"]; got != "json-t" {
		t.Errorf("TopicName = %v, want json-t", got)
	}
}

func TestDefinitionSubstitution(t *testing.T) {
	dir := t.TempDir()
	asl := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${Fn}","End":true}}}`
	if err := os.WriteFile(filepath.Join(dir, "m.asl.json"), []byte(asl), 0o600); err != nil {
		t.Fatal(err)
	}
	body := "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: m.asl.json\n" +
		"      DefinitionSubstitutions: {Fn: 'arn:aws:lambda:us-east-1:1:function:\"q\"'}\n"
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	def, err := sms[0].Definition()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(def), `"Resource":"arn:aws:lambda:us-east-1:1:function:\"q\""`) {
		t.Errorf("substituted definition = %s", def)
	}
	sms[0].Substitutions = map[string]string{}
	if _, err := sms[0].Definition(); err == nil || !strings.Contains(err.Error(), "Fn") {
		t.Errorf("missing substitution: err = %v, want it to name Fn", err)
	}
}
