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

// StateMachineARN is the ARN of the state machine the execution belongs to.
func (a ARN) StateMachineARN() string {
	return "arn:" + a.Partition + ":states:" + a.Region + ":" + a.Account + ":stateMachine:" + a.StateMachine
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

// owns reports whether a is an execution of m.
func (m StateMachine) owns(a ARN) bool {
	return a.Partition == m.Partition && a.Region == m.Region && a.Account == m.Account && a.StateMachine == m.Name
}

// Kind says how an execution ARN relates to this stack.
type Kind int

// The kinds of execution ARN.
const (
	// Foreign: not an execution of either of this stack's machines; never sent to Step Functions.
	Foreign Kind = iota
	// Express: an execution of this stack's EXPRESS machine (DescribeExecution cannot describe it).
	Express
	// Standard: an execution of this stack's STANDARD machine.
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

// Scope holds this stack's two state machines.
type Scope struct {
	Express, Standard StateMachine
}

// NewScope parses the two state machine ARNs the template passes in the environment.
func NewScope(expressARN, standardARN string) (Scope, error) {
	e, err := ParseStateMachine(expressARN)
	if err != nil {
		return Scope{}, fmt.Errorf("express state machine: %w", err)
	}
	s, err := ParseStateMachine(standardARN)
	if err != nil {
		return Scope{}, fmt.Errorf("standard state machine: %w", err)
	}
	return Scope{Express: e, Standard: s}, nil
}

// Classify places an execution ARN. An express-form ARN of the standard machine (or the reverse)
// cannot exist, so it is Foreign.
func (s Scope) Classify(a ARN) Kind {
	switch {
	case a.Express && s.Express.owns(a):
		return Express
	case !a.Express && s.Standard.owns(a):
		return Standard
	default:
		return Foreign
	}
}

// ParseStateMachines parses a comma-separated list of state machine ARNs, as the template fills
// an environment variable with !Join. Blank items are skipped; an empty list is an error.
func ParseStateMachines(list string) ([]StateMachine, error) {
	var out []StateMachine
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		m, err := ParseStateMachine(item)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("parse state machine ARNs %q: no ARN", list)
	}
	return out, nil
}

// Set is the state machines a function serves: any number of each type. Scope is its two-machine
// special case.
type Set struct {
	express, standard []StateMachine
}

// NewSet parses the comma-separated ARN lists of the EXPRESS and STANDARD machines. The
// standard list must name at least one machine; the express list may be empty.
func NewSet(expressARNs, standardARNs string) (Set, error) {
	standard, err := ParseStateMachines(standardARNs)
	if err != nil {
		return Set{}, fmt.Errorf("standard state machines: %w", err)
	}
	var express []StateMachine
	if strings.TrimSpace(strings.ReplaceAll(expressARNs, ",", "")) != "" {
		if express, err = ParseStateMachines(expressARNs); err != nil {
			return Set{}, fmt.Errorf("express state machines: %w", err)
		}
	}
	return Set{express: express, standard: standard}, nil
}

// Standard returns the STANDARD machines in the order the list gave them.
func (s Set) Standard() []StateMachine { return s.standard }

// Classify places an execution ARN: the ARN's resource type (execution or express) says which
// list can own it, so an express-form ARN of a standard machine is Foreign, as in Scope.
func (s Set) Classify(a ARN) Kind {
	machines, kind := s.standard, Standard
	if a.Express {
		machines, kind = s.express, Express
	}
	for _, m := range machines {
		if m.owns(a) {
			return kind
		}
	}
	return Foreign
}
