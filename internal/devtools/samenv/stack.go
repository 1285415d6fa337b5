package samenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
)

// Stack is a deployed stack as `aws cloudformation describe-stacks` and `describe-stack-resources`
// describe it: the ground truth for what each Ref and GetAtt of the template became.
type Stack struct {
	ID         string            // the stack's ARN: region, account and partition come from it
	Name       string            // the stack's name
	Parameters map[string]string // parameter values the stack was deployed with
	Resources  map[string]StackResource
}

// StackResource is one resource of a deployed stack.
type StackResource struct {
	Type       string // the deployed type: AWS::Lambda::Function, not AWS::Serverless::Function
	PhysicalID string
}

// ParseStack reads the JSON output of `aws cloudformation describe-stacks --stack-name X` and of
// `aws cloudformation describe-stack-resources --stack-name X`.
func ParseStack(describeStacks, describeStackResources []byte) (*Stack, error) {
	var stacks struct {
		Stacks []struct {
			StackID    string `json:"StackId"`
			StackName  string `json:"StackName"`
			Parameters []struct {
				ParameterKey   string `json:"ParameterKey"`
				ParameterValue string `json:"ParameterValue"`
			} `json:"Parameters"`
		} `json:"Stacks"`
	}
	if err := json.Unmarshal(describeStacks, &stacks); err != nil {
		return nil, fmt.Errorf("describe-stacks output: %w", err)
	}
	if len(stacks.Stacks) != 1 {
		return nil, fmt.Errorf("describe-stacks output describes %d stacks, want one", len(stacks.Stacks))
	}
	var resources struct {
		StackResources []struct {
			LogicalResourceID  string `json:"LogicalResourceId"`
			PhysicalResourceID string `json:"PhysicalResourceId"`
			ResourceType       string `json:"ResourceType"`
		} `json:"StackResources"`
	}
	if err := json.Unmarshal(describeStackResources, &resources); err != nil {
		return nil, fmt.Errorf("describe-stack-resources output: %w", err)
	}
	if len(resources.StackResources) == 0 {
		return nil, fmt.Errorf("describe-stack-resources output lists no resources")
	}
	s := stacks.Stacks[0]
	if len(strings.Split(s.StackID, ":")) < 6 {
		return nil, fmt.Errorf("stack ID %q is not a CloudFormation stack ARN", s.StackID)
	}
	out := &Stack{ID: s.StackID, Name: s.StackName, Parameters: map[string]string{}, Resources: map[string]StackResource{}}
	for _, p := range s.Parameters {
		out.Parameters[p.ParameterKey] = p.ParameterValue
	}
	for _, r := range resources.StackResources {
		out.Resources[r.LogicalResourceID] = StackResource{Type: r.ResourceType, PhysicalID: r.PhysicalResourceID}
	}
	return out, nil
}

// DescribeStack reads the deployed stack name through the AWS CLI (`aws cloudformation
// describe-stacks` and `describe-stack-resources`, with the caller's profile and Region), as
// `make env-deployed` and `make dashboard` do. The CLI's own complaints go to standard error.
func DescribeStack(ctx context.Context, name string) (*Stack, error) {
	var outs [2][]byte
	for i, op := range []string{"describe-stacks", "describe-stack-resources"} {
		cmd := exec.CommandContext(ctx, "aws", "cloudformation", op, "--stack-name", name, "--output", "json")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("aws cloudformation %s --stack-name %s: %w", op, name, err)
		}
		outs[i] = out
	}
	return ParseStack(outs[0], outs[1])
}

// ReadStack reads a deployed stack from saved AWS CLI answers (the files DescribeStack's two
// commands print), for use without AWS access.
func ReadStack(describeStacksFile, describeStackResourcesFile string) (*Stack, error) {
	if describeStacksFile == "" || describeStackResourcesFile == "" {
		return nil, errors.New("give both the describe-stacks and the describe-stack-resources output")
	}
	stacks, err := os.ReadFile(describeStacksFile)
	if err != nil {
		return nil, err
	}
	resources, err := os.ReadFile(describeStackResourcesFile)
	if err != nil {
		return nil, err
	}
	return ParseStack(stacks, resources)
}

// Options are the samtemplate options that reproduce the stack: its parameters (those the template
// still declares), region, account, partition and name, and Resolve.
func (s *Stack) Options(declared map[string]string) samtemplate.Options {
	arn := strings.Split(s.ID, ":")
	params := map[string]string{}
	for k, v := range s.Parameters {
		if _, ok := declared[k]; ok {
			params[k] = v
		}
	}
	return samtemplate.Options{Parameters: params, Partition: arn[1], Region: arn[3], AccountID: arn[4], StackName: s.Name, Resolve: s.Resolve}
}

// Resolve answers Ref and GetAtt from the physical IDs, for the attributes whose value follows from
// the ID (CloudFormation's documented return values); it answers false for anything else.
func (s *Stack) Resolve(id, attr string) (string, bool) {
	r, ok := s.Resources[id]
	if !ok || r.PhysicalID == "" {
		return "", false
	}
	arn := strings.Split(s.ID, ":")
	partition, region, account := arn[1], arn[3], arn[4]
	if attr == "" {
		return r.PhysicalID, true // Ref: a function's name, a state machine's ARN, an instance's ID, …
	}
	switch r.Type + "." + attr {
	case "AWS::Lambda::Function.Arn":
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", partition, region, account, r.PhysicalID), true
	case "AWS::StepFunctions::StateMachine.Arn":
		return r.PhysicalID, true
	case "AWS::StepFunctions::StateMachine.Name":
		if i := strings.LastIndex(r.PhysicalID, ":"); i >= 0 {
			return r.PhysicalID[i+1:], true
		}
	case "AWS::Logs::LogGroup.Arn":
		return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", partition, region, account, r.PhysicalID), true
	}
	return "", false
}

// LoadDeployed loads the template at path as the stack deployed it.
func LoadDeployed(path string, s *Stack) (*samtemplate.Template, error) {
	first, err := samtemplate.Load(path, samtemplate.Options{})
	if err != nil {
		return nil, err
	}
	return samtemplate.Load(path, s.Options(first.Parameters))
}
