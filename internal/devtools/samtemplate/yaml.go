package samtemplate

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// fromNode turns a YAML node into plain values, rewriting CloudFormation short tags into the long
// form (!Ref X → {"Ref": X}, !GetAtt A.B → {"Fn::GetAtt": "A.B"}, !Sub … → {"Fn::Sub": …},
// !Condition X → {"Condition": X}, any other !Name → {"Fn::Name": …}), so the evaluator sees one
// shape whichever syntax the template uses. JSON templates are YAML too and pass unchanged.
func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	}

	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			x, err := fromNode(val)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
		}
		v = l
	case yaml.ScalarNode:
		if isCustomTag(n.Tag) {
			// A tagged scalar (!Ref X) is always a string to CloudFormation.
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}

	if !isCustomTag(n.Tag) {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	default:
		return map[string]any{"Fn::" + name: v}, nil
	}
}

// isCustomTag reports a local tag such as !Ref; YAML's own tags (!!str, !!int) start with "!!".
func isCustomTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}
