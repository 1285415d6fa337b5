package offline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
)

// FirstInstanceID is the local ID of the template's first EC2 instance (docs/architecture.md), so
// the README's commands and the event fixtures can name it.
const FirstInstanceID = "i-0123456789abcdef0"

// names gives every resource of the template the value AWS would give its Ref and Fn::GetAtt, in
// the local account and region: a function's name is its logical ID, a state machine's name is its
// Name property when the template sets one (as CloudFormation names it: stepgate_Express), else its
// logical ID, and so on. The values depend only on the template, so each start gives the same.
type names struct {
	region, account string
	types           map[string]string // logical ID → resource type
	instances       map[string]string // logical ID → local instance ID
	machines        map[string]string // logical ID → state machine name, when the template names it
}

func newNames(region, account string, types map[string]string, instanceIDs []string, machines map[string]string) *names {
	n := &names{region: region, account: account, types: types, instances: map[string]string{}, machines: machines}
	for i, id := range instanceIDs {
		if i == 0 {
			n.instances[id] = FirstInstanceID
			continue
		}
		sum := sha256.Sum256([]byte(id))
		n.instances[id] = "i-" + hex.EncodeToString(sum[:])[:17]
	}
	return n
}

func (n *names) functionARN(id string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", n.region, n.account, id)
}

// machineName is the name of the template's state machine id.
func (n *names) machineName(id string) string {
	if name := n.machines[id]; name != "" {
		return name
	}
	return id
}

func (n *names) stateMachineARN(id string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", n.region, n.account, n.machineName(id))
}

// resolve implements samtemplate.Resolver.
func (n *names) resolve(id, attr string) (string, bool) {
	switch n.types[id] {
	case "AWS::Serverless::Function", "AWS::Lambda::Function":
		switch attr {
		case "":
			return id, true
		case "Arn":
			return n.functionARN(id), true
		}
	case "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine":
		switch attr {
		case "", "Arn":
			return n.stateMachineARN(id), true
		case "Name":
			return n.machineName(id), true
		}
	case "AWS::EC2::Instance":
		if attr == "" {
			return n.instances[id], true
		}
	case "AWS::Logs::LogGroup":
		name := "/aws/local/" + id
		switch attr {
		case "":
			return name, true
		case "Arn":
			return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", n.region, n.account, name), true
		}
	case "":
		return "", false
	}
	switch attr {
	case "":
		return id, true
	case "Arn":
		return fmt.Sprintf("arn:aws:local:%s:%s:%s", n.region, n.account, id), true
	}
	return id + "." + attr, true
}

// LoadTemplate loads template.yaml with every resource resolved to its local name. It reads the
// template twice: once to learn the resource types and the state machines' names, once to resolve
// with them.
func LoadTemplate(path string, parameters map[string]string) (*samtemplate.Template, *names, error) {
	opts := samtemplate.Options{Parameters: parameters, Region: Region, AccountID: AccountID}
	first, err := samtemplate.Load(path, opts)
	if err != nil {
		return nil, nil, err
	}
	types := map[string]string{}
	for id, r := range first.Resources {
		types[id] = r.Type
	}
	var instanceIDs []string
	for _, in := range first.Instances() {
		instanceIDs = append(instanceIDs, in.LogicalID)
	}
	sms, err := first.StateMachines()
	if err != nil {
		return nil, nil, err
	}
	machines := map[string]string{}
	for _, sm := range sms {
		if strings.Contains(sm.Name, "${") {
			return nil, nil, fmt.Errorf("state machine %s: Name %q names a resource; the offline stack resolves only parameters and pseudo parameters there", sm.LogicalID, sm.Name)
		}
		machines[sm.LogicalID] = sm.Name
	}
	n := newNames(Region, AccountID, types, instanceIDs, machines)
	opts.Resolve = n.resolve
	tmpl, err := samtemplate.Load(path, opts)
	if err != nil {
		return nil, nil, err
	}
	return tmpl, n, nil
}
