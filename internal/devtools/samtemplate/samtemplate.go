// Package samtemplate is the one loader of stepgate's template.yaml.
//
// It reads a SAM/CloudFormation template (YAML or JSON) with the CloudFormation short tags, applies
// the Globals section the way SAM does, evaluates parameters and conditions, and resolves intrinsic
// functions. What a deployed stack would learn only from AWS (a function's ARN, an instance's ID) is
// asked of a Resolver, so the offline stack and the tests see the same template the deployment does.
//
// Resolution rules, in short:
//   - Ref to a parameter gives its value (the override in Options.Parameters, else the Default);
//     Ref to a pseudo parameter gives Options (AWS::Region, AWS::AccountId, AWS::Partition,
//     AWS::StackName, AWS::URLSuffix, AWS::StackId) and AWS::NoValue removes the property.
//   - Ref and Fn::GetAtt on a resource call Options.Resolve(logicalID, attribute), attribute "" for
//     Ref. Without a Resolver, or when it answers false, the value is the placeholder "${ID}" for a
//     Ref and "${ID.Attribute}" for a GetAtt: CloudFormation's own Sub syntax, so a reader (and
//     Routes) can still tell what was meant. A Ref or GetAtt naming nothing in the template is an
//     error.
//   - Resources, outputs and Fn::If branches whose condition is false are left out, as in a stack.
//
// An AWS::SSM::Parameter::Value<…> parameter keeps its value (the SSM parameter name) unless
// overridden: the loader never calls AWS.
package samtemplate

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/stepgate/stepgate/internal/offline/account"
)

// Resolver answers what only a deployed stack knows: the value of Ref (attribute "") or of
// Fn::GetAtt (attribute such as "Arn") on one of the template's resources. It returns false when it
// does not know, and the loader then uses a placeholder (see the package comment).
type Resolver func(logicalID, attribute string) (string, bool)

// Options set what a deployment would: parameter overrides, the pseudo parameters and a Resolver.
// Empty fields take the offline stack's values (package account), aws, stepgate.
type Options struct {
	Parameters map[string]string
	Region     string
	AccountID  string
	Partition  string
	StackName  string
	Resolve    Resolver
}

// Template is a loaded template with Globals applied and intrinsics resolved.
type Template struct {
	// Dir is the absolute directory of the template file; CodeUri and DefinitionUri are relative to it.
	Dir string
	// Parameters holds each parameter's effective value (override or Default), lists comma-joined.
	Parameters map[string]string
	// Conditions holds every condition's value for these parameters.
	Conditions map[string]bool
	// Resources holds the resources whose Condition is true (or that have none).
	Resources map[string]Resource
	// Outputs maps each output whose Condition holds to its resolved Value.
	Outputs map[string]any

	// raw keeps each resource's properties with Globals applied but intrinsics unresolved, so an
	// accessor can tell which resource a resolved string came from.
	raw map[string]map[string]any
	ev  *evaluator
}

// Resource is one resource of the template.
type Resource struct {
	Type      string
	Condition string
	// Properties has Globals applied and intrinsics resolved: values are map[string]any, []any,
	// string, int, float64, bool or nil.
	Properties map[string]any
	Metadata   map[string]any
}

// Load reads the template at path and evaluates it with opts.
func Load(path string, opts Options) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("template path %s: %w", path, err)
	}
	t, err := parse(data, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	t.Dir = filepath.Dir(abs)
	return t, nil
}

// parse does Load's work on the template's bytes.
func parse(data []byte, opts Options) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	tree, err := fromNode(&doc)
	if err != nil {
		return nil, err
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, errors.New("template is not a mapping")
	}
	opts = withDefaults(opts)

	resources, err := mapField(root, "Resources")
	if err != nil {
		return nil, err
	}
	if len(resources) == 0 {
		return nil, errors.New("template has no Resources")
	}
	globals, err := mapField(root, "Globals")
	if err != nil {
		return nil, err
	}
	mappings, err := mapField(root, "Mappings")
	if err != nil {
		return nil, err
	}
	paramDecls, err := mapField(root, "Parameters")
	if err != nil {
		return nil, err
	}
	params, err := parameterValues(paramDecls, opts.Parameters)
	if err != nil {
		return nil, err
	}
	condDecls, err := mapField(root, "Conditions")
	if err != nil {
		return nil, err
	}

	ev := &evaluator{
		opts:       opts,
		params:     params,
		mappings:   mappings,
		conditions: condDecls,
		condValues: map[string]bool{},
		resources:  map[string]bool{},
	}
	for id := range resources {
		ev.resources[id] = true
	}

	t := &Template{
		Parameters: map[string]string{},
		Conditions: map[string]bool{},
		Resources:  map[string]Resource{},
		Outputs:    map[string]any{},
		raw:        map[string]map[string]any{},
		ev:         ev,
	}
	for name, p := range params {
		t.Parameters[name] = p.raw
	}
	for _, name := range slices.Sorted(maps.Keys(condDecls)) {
		v, err := ev.condition(name)
		if err != nil {
			return nil, err
		}
		t.Conditions[name] = v
	}

	for _, id := range slices.Sorted(maps.Keys(resources)) {
		decl, ok := resources[id].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s is not a mapping", id)
		}
		r := Resource{}
		if r.Type, ok = decl["Type"].(string); !ok || r.Type == "" {
			return nil, fmt.Errorf("resource %s has no Type", id)
		}
		if c, present := decl["Condition"]; present {
			if r.Condition, ok = c.(string); !ok {
				return nil, fmt.Errorf("resource %s: Condition is not a name", id)
			}
			on, err := ev.condition(r.Condition)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			if !on {
				continue
			}
		}
		props := map[string]any{}
		if p, present := decl["Properties"]; present && p != nil {
			if props, ok = p.(map[string]any); !ok {
				return nil, fmt.Errorf("resource %s: Properties is not a mapping", id)
			}
		}
		if section, ok := globalsSection[r.Type]; ok {
			if g, ok := globals[section].(map[string]any); ok {
				props = mergeGlobals(g, props).(map[string]any)
			}
		}
		t.raw[id] = props
		resolved, err := ev.eval(props)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", id, err)
		}
		r.Properties, _ = resolved.(map[string]any)
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		if m, present := decl["Metadata"]; present {
			md, err := ev.eval(m)
			if err != nil {
				return nil, fmt.Errorf("resource %s Metadata: %w", id, err)
			}
			r.Metadata, _ = md.(map[string]any)
		}
		t.Resources[id] = r
	}

	outputs, err := mapField(root, "Outputs")
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		o, ok := outputs[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("output %s is not a mapping", name)
		}
		if c, ok := o["Condition"].(string); ok {
			on, err := ev.condition(c)
			if err != nil {
				return nil, fmt.Errorf("output %s: %w", name, err)
			}
			if !on {
				continue
			}
		}
		v, err := ev.eval(o["Value"])
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		t.Outputs[name] = v
	}
	return t, nil
}

func withDefaults(o Options) Options {
	if o.Region == "" {
		o.Region = account.Region
	}
	if o.AccountID == "" {
		o.AccountID = account.ID
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.StackName == "" {
		o.StackName = "stepgate"
	}
	return o
}

// paramValue is a parameter's effective value: raw as given, list when the type is a list type.
type paramValue struct {
	raw    string
	list   []string
	isList bool
}

// parameterValues applies overrides to the declared defaults and checks AllowedValues and
// AllowedPattern, as CloudFormation does before it creates anything.
func parameterValues(decls map[string]any, overrides map[string]string) (map[string]paramValue, error) {
	for name := range overrides {
		if _, ok := decls[name]; !ok {
			return nil, fmt.Errorf("parameter override %s: no such parameter", name)
		}
	}
	out := map[string]paramValue{}
	for _, name := range slices.Sorted(maps.Keys(decls)) {
		d, ok := decls[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("parameter %s is not a mapping", name)
		}
		typ, _ := d["Type"].(string)
		value, given := overrides[name]
		if !given {
			def, hasDefault := d["Default"]
			if !hasDefault {
				return nil, fmt.Errorf("parameter %s has no Default and no value was given", name)
			}
			value = scalarString(def)
		}
		if allowed, ok := d["AllowedValues"].([]any); ok {
			if !slices.ContainsFunc(allowed, func(a any) bool { return scalarString(a) == value }) {
				return nil, fmt.Errorf("parameter %s: %q is not one of its AllowedValues", name, value)
			}
		}
		if pattern, ok := d["AllowedPattern"].(string); ok {
			re, err := regexp.Compile("^(?:" + pattern + ")$")
			if err != nil {
				return nil, fmt.Errorf("parameter %s: AllowedPattern: %w", name, err)
			}
			if !re.MatchString(value) {
				return nil, fmt.Errorf("parameter %s: %q does not match its AllowedPattern", name, value)
			}
		}
		p := paramValue{raw: value}
		if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
			p.isList = true
			for _, item := range strings.Split(value, ",") {
				p.list = append(p.list, strings.TrimSpace(item))
			}
		}
		out[name] = p
	}
	return out, nil
}

// globalsSection names the Globals section that applies to each SAM resource type.
var globalsSection = map[string]string{
	"AWS::Serverless::Function":     "Function",
	"AWS::Serverless::Api":          "Api",
	"AWS::Serverless::HttpApi":      "HttpApi",
	"AWS::Serverless::SimpleTable":  "SimpleTable",
	"AWS::Serverless::StateMachine": "StateMachine",
}

// mergeGlobals merges a Globals section into a resource's properties as SAM's translator does:
// maps merge key by key with the resource winning, lists are additive (the Globals items first),
// anything else (scalars, intrinsic functions, mismatched kinds) is taken from the resource.
func mergeGlobals(global, local any) any {
	gm, gIsMap := global.(map[string]any)
	lm, lIsMap := local.(map[string]any)
	if gIsMap && lIsMap && !isIntrinsic(gm) && !isIntrinsic(lm) {
		out := make(map[string]any, len(gm)+len(lm))
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			if gv, ok := gm[k]; ok {
				out[k] = mergeGlobals(gv, v)
			} else {
				out[k] = v
			}
		}
		return out
	}
	gl, gIsList := global.([]any)
	ll, lIsList := local.([]any)
	if gIsList && lIsList {
		return append(slices.Clone(gl), ll...)
	}
	return local
}

// mapField returns root[name] as a mapping; a missing section is an empty mapping.
func mapField(root map[string]any, name string) (map[string]any, error) {
	v, ok := root[name]
	if !ok || v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a mapping", name)
	}
	return m, nil
}
