package localsfn

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/uuid"
)

const (
	maxNameLength  = 80
	maxARNLength   = 256
	maxInputLength = 256 * 1024 // bytes of UTF-8, AWS's input and output quota
	// maxDefinitionLength is the API's limit on a definition (1 MiB).
	maxDefinitionLength = 1024 * 1024
)

// validateName applies AWS's rules for state machine and execution names. The length is a model
// constraint (ValidationException); the characters are the service's own rule (InvalidName).
func validateName(field, name string) error {
	n := utf8.RuneCountInString(name)
	if n < 1 {
		return errConstraint(field, "Member must have length greater than or equal to 1")
	}
	if n > maxNameLength {
		return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", name, field, maxNameLength)
	}
	if !utf8.ValidString(name) {
		return errInvalidName(name)
	}
	for _, r := range name {
		if invalidNameRune(r) {
			return errInvalidName(name)
		}
	}
	return nil
}

func invalidNameRune(r rune) bool {
	switch {
	case unicode.IsSpace(r):
		return true
	case r <= 0x1f, r >= 0x7f && r <= 0x9f: // control characters
		return true
	}
	return strings.ContainsRune(`<>{}[]?*"#%\^|~`+"`"+`$&,;:/`, r)
}

// statesARN is a parsed Step Functions ARN: arn:PARTITION:states:REGION:ACCOUNT:TYPE:RESOURCE…
type statesARN struct {
	arn.ARN
	resourceType string
	resource     []string // the colon-separated parts after the type
}

// parseARN reads a Step Functions ARN with the SDK's ARN parser and answers as the service does.
func parseARN(field, s string) (statesARN, error) {
	if len(s) < 1 {
		return statesARN{}, errConstraint(field, "Member must have length greater than or equal to 1")
	}
	if len(s) > maxARNLength {
		return statesARN{}, errConstraint(field, fmt.Sprintf("Member must have length less than or equal to %d", maxARNLength))
	}
	a, err := arn.Parse(s)
	if err != nil || a.Partition == "" {
		return statesARN{}, errInvalidArn("Unable to parse ARN: " + s)
	}
	res := strings.Split(a.Resource, ":")
	if len(res) < 2 {
		return statesARN{}, errInvalidArn("Unable to parse ARN: " + s)
	}
	if a.Service != "states" {
		return statesARN{}, errInvalidArn("Service not valid in this context: " + a.Service)
	}
	if a.Region == "" || a.AccountID == "" || slices.Contains(res, "") {
		return statesARN{}, errInvalidArn("Unable to parse ARN: " + s)
	}
	return statesARN{ARN: a, resourceType: res[0], resource: res[1:]}, nil
}

// parseStateMachineARN accepts only unqualified state machine ARNs: this service has no
// versions or aliases, so a qualified ARN names a state machine that does not exist.
func parseStateMachineARN(field, s string) error {
	a, err := parseARN(field, s)
	if err != nil {
		return err
	}
	if a.resourceType != "stateMachine" {
		return errInvalidArn("Resource type not valid in this context: " + a.resourceType)
	}
	if len(a.resource) > 2 {
		return errInvalidArn("Unable to parse ARN: " + s)
	}
	return nil
}

// parseExecutionARN accepts standard execution ARNs. Express execution ARNs are well formed but,
// as on AWS, not valid for the operations that describe or stop an execution.
func parseExecutionARN(field, s string) error {
	a, err := parseARN(field, s)
	if err != nil {
		return err
	}
	if a.resourceType != "execution" {
		return errInvalidArn("Resource type not valid in this context: " + a.resourceType)
	}
	if len(a.resource) != 2 {
		return errInvalidArn("Unable to parse ARN: " + s)
	}
	return nil
}

func (s *Service) stateMachineARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.cfg.Region, s.cfg.AccountID, name)
}

// executionARN builds AWS's two forms: execution:SM:NAME for STANDARD and
// express:SM:NAME:UUID for EXPRESS (express names need not be unique).
func (s *Service) executionARN(sm *stateMachine, name string) string {
	if sm.typ == types.StateMachineTypeExpress {
		return fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, sm.name, name, uuid.NewString())
	}
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.cfg.Region, s.cfg.AccountID, sm.name, name)
}
