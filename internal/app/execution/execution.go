// Package execution parses Step Functions execution ARNs and decides whether one belongs to this
// stack, so that a foreign or malformed ARN is answered without calling Step Functions.
package execution

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// ARN is a parsed execution ARN:
//
//	standard: arn:PARTITION:states:REGION:ACCOUNT:execution:STATEMACHINE:NAME
//	express:  arn:PARTITION:states:REGION:ACCOUNT:express:STATEMACHINE:NAME:RUNID
type ARN struct {
	Partition    string
	Region       string
	Account      string
	StateMachine string
	Name         string
	// RunID is the express form's trailing UUID; empty for a standard ARN.
	RunID   string
	Express bool
}

// ErrInvalidARN is wrapped by every Parse error.
var ErrInvalidARN = errors.New("not a Step Functions execution ARN")

var (
	partitionPattern = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
)

// validName applies Step Functions' naming rule for state machines and executions: 1–80
// characters, none of white space, brackets, wildcards, the listed punctuation or control
// characters.
func validName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for _, r := range s {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// parseStates splits a Step Functions ARN with the SDK's ARN parser: its generic fields, and its
// resource's colon-separated parts (type first).
func parseStates(s string) (arn.ARN, []string, bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "states" {
		return arn.ARN{}, nil, false
	}
	return a, strings.Split(a.Resource, ":"), true
}

// Parse parses a raw execution ARN. Errors wrap ErrInvalidARN.
func Parse(s string) (ARN, error) {
	generic, res, ok := parseStates(s)
	if !ok || len(res) < 3 {
		return ARN{}, fmt.Errorf("parse %q: %w", s, ErrInvalidARN)
	}
	a := ARN{Partition: generic.Partition, Region: generic.Region, Account: generic.AccountID, StateMachine: res[1], Name: res[2]}
	switch {
	case res[0] == "execution" && len(res) == 3:
	case res[0] == "express" && len(res) == 4:
		a.Express, a.RunID = true, res[3]
		if !validName(a.RunID) {
			return ARN{}, fmt.Errorf("parse %q: run ID: %w", s, ErrInvalidARN)
		}
	default:
		return ARN{}, fmt.Errorf("parse %q: resource type %q: %w", s, res[0], ErrInvalidARN)
	}
	if !partitionPattern.MatchString(a.Partition) || !regionPattern.MatchString(a.Region) ||
		!accountPattern.MatchString(a.Account) || !validName(a.StateMachine) || !validName(a.Name) {
		return ARN{}, fmt.Errorf("parse %q: %w", s, ErrInvalidARN)
	}
	return a, nil
}

// ParsePathParameter parses an ARN taken from a URL path, raw ("arn:aws:…") or URL-encoded
// ("arn%3Aaws%3A…"): clients differ in whether they escape the colons.
func ParsePathParameter(s string) (ARN, error) {
	if strings.Contains(s, "%") {
		unescaped, err := url.PathUnescape(s)
		if err != nil {
			return ARN{}, fmt.Errorf("unescape %q: %w", s, ErrInvalidARN)
		}
		s = unescaped
	}
	return Parse(s)
}

// String renders the ARN.
func (a ARN) String() string {
	if a.Express {
		return "arn:" + a.Partition + ":states:" + a.Region + ":" + a.Account + ":express:" +
			a.StateMachine + ":" + a.Name + ":" + a.RunID
	}
	return "arn:" + a.Partition + ":states:" + a.Region + ":" + a.Account + ":execution:" +
		a.StateMachine + ":" + a.Name
}

// StateMachine is a parsed state machine ARN (arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME).
type StateMachine struct {
	Partition, Region, Account, Name string
}

// ParseStateMachine parses a state machine ARN.
func ParseStateMachine(s string) (StateMachine, error) {
	a, res, ok := parseStates(s)
	if !ok || len(res) != 2 || res[0] != "stateMachine" ||
		!partitionPattern.MatchString(a.Partition) || !regionPattern.MatchString(a.Region) ||
		!accountPattern.MatchString(a.AccountID) || !validName(res[1]) {
		return StateMachine{}, fmt.Errorf("parse state machine ARN %q: malformed", s)
	}
	return StateMachine{Partition: a.Partition, Region: a.Region, Account: a.AccountID, Name: res[1]}, nil
}

// String renders the state machine ARN.
func (m StateMachine) String() string {
	return "arn:" + m.Partition + ":states:" + m.Region + ":" + m.Account + ":stateMachine:" + m.Name
}

// ExecutionARN is the ARN Step Functions gives the standard execution with this name.
func (m StateMachine) ExecutionARN(name string) string {
	return ARN{Partition: m.Partition, Region: m.Region, Account: m.Account, StateMachine: m.Name, Name: name}.String()
}

// Kind says how an execution ARN relates to this stack.
type Kind int

// The kinds of execution ARN.
const (
	// Foreign: not an execution of one of this stack's machines; never sent to Step Functions.
	Foreign Kind = iota
	// Express: an express execution of one of this stack's machines (DescribeExecution cannot
	// describe it).
	Express
	// Standard: a standard execution of one of this stack's machines.
	Standard
)

func (k Kind) String() string {
	switch k {
	case Express:
		return "express"
	case Standard:
		return "standard"
	default:
		return "foreign"
	}
}

// EnvStateMachines is the variable the template sets on the functions that call Step Functions:
// the stack's state machine ARN pattern (Pattern).
const EnvStateMachines = "STATE_MACHINES"

// Pattern is the state machines of one stack: every machine whose ARN starts with one prefix,
// arn:PARTITION:states:REGION:ACCOUNT:stateMachine:<stack>_*. The template names each machine
// ${AWS::StackName}_<Short>, and '_' cannot occur in a stack name, so the prefix never matches
// another stack's machines. The same value scopes the functions' IAM statements, so what the
// functions serve and what they may call are one declaration.
type Pattern struct {
	Partition, Region, Account string
	// NamePrefix is what every machine name of the stack starts with: the stack's name and "_".
	NamePrefix string
}

// ParsePattern parses a state machine ARN pattern with one '*', at the end of the name.
func ParsePattern(s string) (Pattern, error) {
	prefix, ok := strings.CutSuffix(s, "*")
	a, res, parsed := parseStates(prefix + "x")
	if !ok || strings.Contains(prefix, "*") || !parsed || len(res) != 2 || res[0] != "stateMachine" ||
		!partitionPattern.MatchString(a.Partition) || !regionPattern.MatchString(a.Region) ||
		!accountPattern.MatchString(a.AccountID) || !validName(res[1]) || res[1] == "x" {
		return Pattern{}, fmt.Errorf("%s %q: want arn:PARTITION:states:REGION:ACCOUNT:stateMachine:<stack>_* (a name prefix, then one *)",
			EnvStateMachines, s)
	}
	return Pattern{Partition: a.Partition, Region: a.Region, Account: a.AccountID, NamePrefix: strings.TrimSuffix(res[1], "x")}, nil
}

// String renders the pattern as the template writes it.
func (p Pattern) String() string {
	return "arn:" + p.Partition + ":states:" + p.Region + ":" + p.Account + ":stateMachine:" + p.NamePrefix + "*"
}

// Contains reports whether m is one of the stack's state machines.
func (p Pattern) Contains(m StateMachine) bool {
	return m.Partition == p.Partition && m.Region == p.Region && m.Account == p.Account && strings.HasPrefix(m.Name, p.NamePrefix)
}

// Classify places an execution ARN: an execution of one of the stack's machines is Express or
// Standard by the ARN's own form (express:… or execution:…); anything else is Foreign.
func (p Pattern) Classify(a ARN) Kind {
	if !p.Contains(StateMachine{Partition: a.Partition, Region: a.Region, Account: a.Account, Name: a.StateMachine}) {
		return Foreign
	}
	if a.Express {
		return Express
	}
	return Standard
}
