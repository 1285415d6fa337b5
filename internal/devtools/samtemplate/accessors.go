package samtemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Function is an AWS::Serverless::Function as the offline stack and the tests need it.
type Function struct {
	LogicalID     string
	CodeURI       string // as written (relative to Template.Dir)
	Handler       string
	Runtime       string
	Architectures []string
	BuildMethod   string // Metadata.BuildMethod
	Timeout       int    // seconds; SAM's default 3 when unset
	MemorySize    int    // MB; SAM's default 128 when unset
	Environment   map[string]string
	Policies      Policies
}

// Policies is a SAM Policies property: inline statements, plus whatever else was given
// (managed policy names or ARNs, SAM policy templates) kept as is.
type Policies struct {
	Statements []Statement
	Other      []any
}

// Statement is one IAM policy statement with Action and Resource normalised to lists.
type Statement struct {
	Sid        string
	Effect     string
	Actions    []string
	NotActions []string
	Resources  []string
}

// Logging is a state machine's logging configuration.
type Logging struct {
	Level                string
	IncludeExecutionData bool
	LogGroupARNs         []string
}

// StateMachine is an AWS::Serverless::StateMachine.
type StateMachine struct {
	LogicalID string
	// Name is the Name property, resolved ("stepgate_Express"); empty when unset (CloudFormation
	// then generates one from the logical ID).
	Name string
	Type string // STANDARD (SAM's default) or EXPRESS
	// DefinitionPath is the absolute path of DefinitionUri; empty for an inline Definition.
	DefinitionPath string
	Substitutions  map[string]string
	Policies       Policies
	Logging        *Logging // nil when not configured
	// TimeoutSeconds is read from the definition; 0 when it sets none.
	TimeoutSeconds int

	definition []byte // inline Definition, marshalled
}

// Route is one API operation and the function behind it.
type Route struct {
	APILogicalID      string
	Method            string // upper case: GET, POST, DELETE, …
	Path              string // as declared: /executions/{executionArn}
	FunctionLogicalID string // empty when the integration is not one of the template's functions
	IntegrationType   string // aws_proxy for a Lambda proxy integration
	IntegrationURI    string // resolved
	// Security lists the security scheme names the operation requires once conditions are
	// evaluated (empty: open). Routes from function Events report none.
	Security []string
}

// GatewayResponse is one entry of an Api's GatewayResponses.
type GatewayResponse struct {
	StatusCode string // empty: API Gateway's default for the type
	// Headers maps header names to mapping expressions ('static' or context.requestId).
	Headers           map[string]string
	ResponseTemplates map[string]string
}

// Instance is an AWS::EC2::Instance.
type Instance struct {
	LogicalID    string
	InstanceType string
	ImageID      string
	Tags         map[string]string
}

// Functions returns the AWS::Serverless::Function resources sorted by logical ID.
func (t *Template) Functions() ([]Function, error) {
	var out []Function
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		p := r.Properties
		f := Function{
			LogicalID:     id,
			CodeURI:       str(p["CodeUri"]),
			Handler:       str(p["Handler"]),
			Runtime:       str(p["Runtime"]),
			Architectures: strList(p["Architectures"]),
			BuildMethod:   str(r.Metadata["BuildMethod"]),
			Timeout:       3,
			MemorySize:    128,
			Environment:   map[string]string{},
		}
		var err error
		if v, ok := p["Timeout"]; ok {
			if f.Timeout, err = toInt(v); err != nil {
				return nil, fmt.Errorf("function %s Timeout: %w", id, err)
			}
		}
		if v, ok := p["MemorySize"]; ok {
			if f.MemorySize, err = toInt(v); err != nil {
				return nil, fmt.Errorf("function %s MemorySize: %w", id, err)
			}
		}
		if env, ok := p["Environment"].(map[string]any); ok {
			if vars, ok := env["Variables"].(map[string]any); ok {
				for k, v := range vars {
					if f.Environment[k], err = asString(v); err != nil {
						return nil, fmt.Errorf("function %s variable %s: %w", id, k, err)
					}
				}
			}
		}
		if f.Policies, err = policies(p["Policies"]); err != nil {
			return nil, fmt.Errorf("function %s: %w", id, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// StateMachines returns the AWS::Serverless::StateMachine resources sorted by logical ID. It
// reads each definition file for TimeoutSeconds.
func (t *Template) StateMachines() ([]StateMachine, error) {
	var out []StateMachine
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		if r.Type != "AWS::Serverless::StateMachine" {
			continue
		}
		p := r.Properties
		sm := StateMachine{LogicalID: id, Name: str(p["Name"]), Type: str(p["Type"]), Substitutions: map[string]string{}}
		if sm.Type == "" {
			sm.Type = "STANDARD"
		}
		switch uri := p["DefinitionUri"].(type) {
		case string:
			sm.DefinitionPath = filepath.Join(t.Dir, uri)
		case nil:
			def, ok := p["Definition"]
			if !ok {
				return nil, fmt.Errorf("state machine %s has neither DefinitionUri nor Definition", id)
			}
			b, err := json.Marshal(def)
			if err != nil {
				return nil, fmt.Errorf("state machine %s Definition: %w", id, err)
			}
			sm.definition = b
		default:
			return nil, fmt.Errorf("state machine %s: DefinitionUri must be a local path", id)
		}
		if subs, ok := p["DefinitionSubstitutions"].(map[string]any); ok {
			for k, v := range subs {
				s, err := asString(v)
				if err != nil {
					return nil, fmt.Errorf("state machine %s substitution %s: %w", id, k, err)
				}
				sm.Substitutions[k] = s
			}
		}
		var err error
		if sm.Policies, err = policies(p["Policies"]); err != nil {
			return nil, fmt.Errorf("state machine %s: %w", id, err)
		}
		if l, ok := p["Logging"].(map[string]any); ok {
			sm.Logging = &Logging{Level: str(l["Level"]), IncludeExecutionData: l["IncludeExecutionData"] == true}
			for _, d := range list(l["Destinations"]) {
				if g, ok := mapAt(d, "CloudWatchLogsLogGroup"); ok {
					sm.Logging.LogGroupARNs = append(sm.Logging.LogGroupARNs, str(g["LogGroupArn"]))
				}
			}
		}
		def, err := sm.RawDefinition()
		if err != nil {
			return nil, err
		}
		var head struct {
			TimeoutSeconds int
		}
		if err := json.Unmarshal(def, &head); err != nil {
			return nil, fmt.Errorf("state machine %s definition: %w", id, err)
		}
		sm.TimeoutSeconds = head.TimeoutSeconds
		out = append(out, sm)
	}
	return out, nil
}

// RawDefinition returns the definition as written, ${…} placeholders included.
func (sm StateMachine) RawDefinition() ([]byte, error) {
	if sm.DefinitionPath == "" {
		return sm.definition, nil
	}
	b, err := os.ReadFile(sm.DefinitionPath)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: %w", sm.LogicalID, err)
	}
	return b, nil
}

// Definition returns the definition with DefinitionSubstitutions applied, as SAM deploys it. A
// ${Name} with no substitution is an error, since Step Functions would reject the definition.
func (sm StateMachine) Definition() ([]byte, error) {
	raw, err := sm.RawDefinition()
	if err != nil {
		return nil, err
	}
	var missing []string
	out := subVar.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := sm.Substitutions[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		// The value lands inside a JSON string: escape it as one.
		q := strconv.Quote(v)
		return []byte(q[1 : len(q)-1])
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("state machine %s: no DefinitionSubstitutions for %s", sm.LogicalID, strings.Join(missing, ", "))
	}
	if !json.Valid(out) {
		return nil, fmt.Errorf("state machine %s: definition is not valid JSON", sm.LogicalID)
	}
	return bytes.TrimSpace(out), nil
}

// Placeholders lists the ${…} names a definition uses, sorted and without duplicates.
func (sm StateMachine) Placeholders() ([]string, error) {
	raw, err := sm.RawDefinition()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range subVar.FindAllSubmatch(raw, -1) {
		names = append(names, string(m[1]))
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// Routes returns every API route sorted by path and method: the operations of each
// AWS::Serverless::Api's OpenAPI DefinitionBody and the Api events of functions. The function
// behind an operation is read from the integration uri as written (${Fn.Arn} in an Fn::Sub, or a
// GetAtt/Ref), and otherwise by matching the resolved uri against each function's resolved ARN.
func (t *Template) Routes() ([]Route, error) {
	var out []Route
	functions := t.logicalIDsOfType("AWS::Serverless::Function", "AWS::Lambda::Function")
	for _, apiID := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[apiID]
		if r.Type != "AWS::Serverless::Api" {
			continue
		}
		body, ok := r.Properties["DefinitionBody"].(map[string]any)
		if !ok {
			continue
		}
		paths, _ := body["paths"].(map[string]any)
		for _, path := range slices.Sorted(maps.Keys(paths)) {
			ops, ok := paths[path].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("api %s path %s is not a mapping", apiID, path)
			}
			for _, method := range slices.Sorted(maps.Keys(ops)) {
				op, ok := ops[method].(map[string]any)
				if !ok || !isHTTPMethod(method) {
					continue // path-level "parameters", "summary", …
				}
				route := Route{APILogicalID: apiID, Method: strings.ToUpper(method), Path: path}
				if method == "x-amazon-apigateway-any-method" {
					route.Method = "ANY"
				}
				if integ, ok := op["x-amazon-apigateway-integration"].(map[string]any); ok {
					route.IntegrationType = str(integ["type"])
					route.IntegrationURI = str(integ["uri"])
				}
				rawURI := dig(t.raw[apiID], "DefinitionBody", "paths", path, method, "x-amazon-apigateway-integration", "uri")
				route.FunctionLogicalID = t.functionFor(rawURI, route.IntegrationURI, functions)
				route.Security = securityNames(op["security"])
				if _, present := op["security"]; !present {
					route.Security = securityNames(body["security"])
				}
				out = append(out, route)
			}
		}
	}
	for _, fnID := range functions {
		events, _ := t.Resources[fnID].Properties["Events"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(events)) {
			ev, ok := events[name].(map[string]any)
			if !ok || str(ev["Type"]) != "Api" {
				continue
			}
			p, _ := ev["Properties"].(map[string]any)
			out = append(out, Route{
				APILogicalID:      strings.Trim(str(p["RestApiId"]), "${}"),
				Method:            strings.ToUpper(str(p["Method"])),
				Path:              str(p["Path"]),
				FunctionLogicalID: fnID,
				IntegrationType:   "aws_proxy",
			})
		}
	}
	slices.SortFunc(out, func(a, b Route) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	return out, nil
}

// Overlaps reports whether one request path can match both resource path templates: literal
// segments equal, a {param} matching any one segment, a final {param+} one or more. A route of the
// start function's ROUTES that overlaps an explicit API resource is shadowed: API Gateway matches
// that resource before the greedy /{proxy+} and sends its requests elsewhere.
func Overlaps(a, b string) bool {
	return overlap(strings.Split(strings.Trim(a, "/"), "/"), strings.Split(strings.Trim(b, "/"), "/"))
}

func overlap(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	isParam := func(s string) bool { return strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") }
	if isParam(a[0]) && strings.HasSuffix(a[0], "+}") || isParam(b[0]) && strings.HasSuffix(b[0], "+}") {
		return true // a greedy segment takes whatever the other one still has, one segment or more
	}
	if !isParam(a[0]) && !isParam(b[0]) && a[0] != b[0] {
		return false
	}
	return overlap(a[1:], b[1:])
}

// functionFor finds the function an integration uri names.
func (t *Template) functionFor(rawURI any, resolved string, functions []string) string {
	for _, id := range references(rawURI) {
		if slices.Contains(functions, id) {
			return id
		}
	}
	if t.ev.opts.Resolve == nil || resolved == "" {
		return ""
	}
	for _, id := range functions {
		if arn, ok := t.ev.opts.Resolve(id, "Arn"); ok && arn != "" && strings.Contains(resolved, arn+"/") {
			return id
		}
	}
	return ""
}

// GatewayResponses returns the GatewayResponses of the template's AWS::Serverless::Api
// resources (merged by response type), plus x-amazon-apigateway-gateway-responses found in their
// DefinitionBody.
func (t *Template) GatewayResponses() (map[string]GatewayResponse, error) {
	out := map[string]GatewayResponse{}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		if r.Type != "AWS::Serverless::Api" {
			continue
		}
		if body, ok := r.Properties["DefinitionBody"].(map[string]any); ok {
			ext, _ := body["x-amazon-apigateway-gateway-responses"].(map[string]any)
			for typ, v := range ext {
				m, _ := v.(map[string]any)
				gr := GatewayResponse{StatusCode: scalarString(m["statusCode"]), Headers: map[string]string{}, ResponseTemplates: stringMap(m["responseTemplates"])}
				for k, v := range stringMap(m["responseParameters"]) {
					if h, ok := strings.CutPrefix(k, "gatewayresponse.header."); ok {
						gr.Headers[h] = v
					}
				}
				out[typ] = gr
			}
		}
		responses, _ := r.Properties["GatewayResponses"].(map[string]any)
		for typ, v := range responses {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("api %s gateway response %s is not a mapping", id, typ)
			}
			gr := GatewayResponse{StatusCode: scalarString(m["StatusCode"]), Headers: map[string]string{}, ResponseTemplates: stringMap(m["ResponseTemplates"])}
			if params, ok := m["ResponseParameters"].(map[string]any); ok {
				gr.Headers = stringMap(params["Headers"])
			}
			out[typ] = gr
		}
	}
	return out, nil
}

// Instances returns the AWS::EC2::Instance resources sorted by logical ID.
func (t *Template) Instances() []Instance {
	var out []Instance
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		if r.Type != "AWS::EC2::Instance" {
			continue
		}
		in := Instance{
			LogicalID:    id,
			InstanceType: str(r.Properties["InstanceType"]),
			ImageID:      str(r.Properties["ImageId"]),
			Tags:         map[string]string{},
		}
		for _, tag := range list(r.Properties["Tags"]) {
			if m, ok := tag.(map[string]any); ok {
				in.Tags[str(m["Key"])] = str(m["Value"])
			}
		}
		out = append(out, in)
	}
	return out
}

func (t *Template) logicalIDsOfType(types ...string) []string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		if slices.Contains(types, t.Resources[id].Type) {
			out = append(out, id)
		}
	}
	return out
}

// policies normalises a SAM Policies property (a string, a document, or a list of both).
func policies(v any) (Policies, error) {
	var out Policies
	items, ok := v.([]any)
	if !ok && v != nil {
		items = []any{v}
	}
	for _, item := range items {
		doc, ok := item.(map[string]any)
		if !ok {
			out.Other = append(out.Other, item)
			continue
		}
		stmts, ok := doc["Statement"]
		if !ok {
			out.Other = append(out.Other, item) // a SAM policy template
			continue
		}
		for _, s := range list(stmts) {
			m, ok := s.(map[string]any)
			if !ok {
				return out, fmt.Errorf("policy statement is not a mapping")
			}
			out.Statements = append(out.Statements, Statement{
				Sid:        str(m["Sid"]),
				Effect:     str(m["Effect"]),
				Actions:    strList(m["Action"]),
				NotActions: strList(m["NotAction"]),
				Resources:  strList(m["Resource"]),
			})
		}
	}
	return out, nil
}

// references lists the logical IDs an unresolved value refers to through Ref, Fn::GetAtt or the
// ${…} variables of Fn::Sub, in order of appearance.
func references(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := x["Ref"].(string); ok && len(x) == 1 {
				base, _, _ := strings.Cut(name, ".")
				out = append(out, base)
				return
			}
			if arg, ok := x["Fn::GetAtt"]; ok && len(x) == 1 {
				if id, _, err := getAttArgs(arg); err == nil {
					out = append(out, id)
				}
				return
			}
			if arg, ok := x["Fn::Sub"]; ok && len(x) == 1 {
				format := arg
				if l, ok := arg.([]any); ok && len(l) > 0 {
					format = l[0]
					walk(l[1:])
				}
				if s, ok := format.(string); ok {
					for _, m := range subVar.FindAllStringSubmatch(s, -1) {
						base, _, _ := strings.Cut(strings.TrimSpace(m[1]), ".")
						out = append(out, base)
					}
				}
				return
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func isHTTPMethod(m string) bool {
	switch m {
	case "get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method":
		return true
	}
	return false
}

// securityNames flattens an OpenAPI security requirement list to its scheme names.
func securityNames(v any) []string {
	var out []string
	for _, req := range list(v) {
		if m, ok := req.(map[string]any); ok {
			out = append(out, slices.Sorted(maps.Keys(m))...)
		}
	}
	return out
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func mapAt(v any, key string) (map[string]any, bool) {
	m, ok := dig(v, key).(map[string]any)
	return m, ok
}

func str(v any) string {
	s, _ := asString(v)
	return s
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func strList(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, str(x))
	}
	return out
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			out[k] = str(x)
		}
	}
	return out
}

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case string:
		return strconv.Atoi(x)
	}
	return 0, fmt.Errorf("%v is not an integer", v)
}
