package execution

import (
	"errors"
	"testing"
)

const (
	std     = "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f"
	express = "arn:aws:states:us-east-1:123456789012:express:stepgate_Express:0a6e8f8c:2f5b7a0e"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ARN
		wantErr bool
	}{
		{name: "standard", in: std, want: ARN{Partition: "aws", Region: "us-east-1", Account: "123456789012", StateMachine: "stepgate_Standard", Name: "4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f"}},
		{name: "express", in: express, want: ARN{Partition: "aws", Region: "us-east-1", Account: "123456789012", StateMachine: "stepgate_Express", Name: "0a6e8f8c", RunID: "2f5b7a0e", Express: true}},
		{name: "china partition", in: "arn:aws-cn:states:cn-north-1:123456789012:execution:M:n", want: ARN{Partition: "aws-cn", Region: "cn-north-1", Account: "123456789012", StateMachine: "M", Name: "n"}},
		{name: "gov region", in: "arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:M:n", want: ARN{Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "123456789012", StateMachine: "M", Name: "n"}},
		{name: "empty", in: "", wantErr: true},
		{name: "state machine ARN", in: "arn:aws:states:us-east-1:123456789012:stateMachine:M", wantErr: true},
		{name: "standard with run ID", in: std + ":extra", wantErr: true},
		{name: "express without run ID", in: "arn:aws:states:us-east-1:123456789012:express:M:n", wantErr: true},
		{name: "other service", in: "arn:aws:lambda:us-east-1:123456789012:execution:M:n", wantErr: true},
		{name: "not arn", in: "urn:aws:states:us-east-1:123456789012:execution:M:n", wantErr: true},
		{name: "short account", in: "arn:aws:states:us-east-1:12345678901:execution:M:n", wantErr: true},
		{name: "bad region", in: "arn:aws:states:useast1:123456789012:execution:M:n", wantErr: true},
		{name: "bad partition", in: "arn:AWS:states:us-east-1:123456789012:execution:M:n", wantErr: true},
		{name: "empty name", in: "arn:aws:states:us-east-1:123456789012:execution:M:", wantErr: true},
		{name: "space in name", in: "arn:aws:states:us-east-1:123456789012:execution:M:a b", wantErr: true},
		{name: "slash in name", in: "arn:aws:states:us-east-1:123456789012:execution:M:a/b", wantErr: true},
		{name: "name over 80", in: "arn:aws:states:us-east-1:123456789012:execution:M:" + string(make([]byte, 81)), wantErr: true},
		{name: "activity", in: "arn:aws:states:us-east-1:123456789012:activity:M:n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr {
				if err == nil || !errors.Is(err, ErrInvalidARN) {
					t.Fatalf("Parse(%q) = %+v, %v; want ErrInvalidARN", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse = %+v, %v; want %+v", got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %s, want %s", got.String(), tc.in)
			}
		})
	}
}

func TestParsePathParameter(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: std, want: std},
		{in: "arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Astepgate_Standard%3A4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f", want: std},
		{in: "arn%3aaws%3astates%3aus-east-1%3a123456789012%3aexecution%3Astepgate_Standard%3A4f1c1b4e-0d52-4a59-9a55-0c5d2a3e1b7f", want: std},
		{in: "arn%3", wantErr: true},
		{in: "arn%253Aaws", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePathParameter(tc.in)
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v", err)
			}
			if err == nil && got.String() != tc.want {
				t.Errorf("got %s", got)
			}
		})
	}
}

func TestPattern(t *testing.T) {
	p, err := ParsePattern("arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_*")
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_*" || p.NamePrefix != "stepgate_" {
		t.Errorf("pattern = %+v, %s", p, p)
	}
	tests := []struct {
		arn  string
		want Kind
	}{
		{std, Standard},
		{express, Express},
		{"arn:aws:states:us-east-1:123456789012:execution:stepgate_Nightly:n", Standard},
		{"arn:aws:states:us-east-1:123456789012:express:stepgate_Standard:n:r", Express},
		{"arn:aws:states:us-east-1:123456789012:execution:stepgate-other_Standard:n", Foreign},
		{"arn:aws:states:us-east-1:123456789012:execution:stepgate:n", Foreign},
		{"arn:aws:states:us-east-1:123456789012:execution:StandardStateMachine:n", Foreign},
		{"arn:aws:states:us-west-2:123456789012:execution:stepgate_Standard:n", Foreign},
		{"arn:aws:states:us-east-1:210987654321:execution:stepgate_Standard:n", Foreign},
		{"arn:aws-cn:states:us-east-1:123456789012:execution:stepgate_Standard:n", Foreign},
	}
	for _, tc := range tests {
		t.Run(tc.arn, func(t *testing.T) {
			a, err := Parse(tc.arn)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Classify(a); got != tc.want {
				t.Errorf("Classify = %s, want %s", got, tc.want)
			}
		})
	}
	m, _ := ParseStateMachine("arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Standard")
	if !p.Contains(m) || m.ExecutionARN("abc") != "arn:aws:states:us-east-1:123456789012:execution:stepgate_Standard:abc" {
		t.Errorf("Contains = %v, ExecutionARN = %s", p.Contains(m), m.ExecutionARN("abc"))
	}
}

func TestParsePatternRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Express", // no *
		"arn:aws:states:us-east-1:123456789012:stateMachine:*",                // every machine of the account
		"arn:aws:states:us-east-1:123456789012:stateMachine:step*gate_*",      // * inside
		"arn:aws:states:us-east-1:123456789012:execution:stepgate_*",
		"arn:aws:states:us-east-1:*:stateMachine:stepgate_*",
		"arn:aws:lambda:us-east-1:123456789012:function:stepgate_*",
		"stepgate_*",
	} {
		if p, err := ParsePattern(s); err == nil {
			t.Errorf("ParsePattern(%q) = %+v, accepted", s, p)
		}
	}
}

// FuzzParse: Parse never panics, and whatever it accepts renders back to the same text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{std, express, "", "arn:aws:states:::", "arn%3Aaws", "arn:aws:states:us-east-1:123456789012:execution:M:n:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, a.String())
		}
		if _, err := ParsePathParameter(s); err != nil {
			t.Fatalf("raw ARN %q refused as path parameter: %v", s, err)
		}
	})
}
