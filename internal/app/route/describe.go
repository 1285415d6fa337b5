package route

import "encoding/json"

// Description is one route as the routes document declares it, for tools that show the stack
// (the dashboard builds a form per start route from it). It is a copy: changing it changes no
// route. Its JSON encoding is what such a tool serves to a page.
type Description struct {
	Method string `json:"method"`
	// Path is the template, with {parameters}: "/orders/{order_id}".
	Path string `json:"path"`
	Mode Mode   `json:"mode"`
	// StateMachineARN is the machine the route starts, or for a callback route the machine whose
	// waiting tasks it resumes (the token alone decides which task Step Functions resumes).
	StateMachineARN string `json:"stateMachineArn"`
	// Outcome is what a callback route reports: success, failure or heartbeat; absent otherwise.
	Outcome Outcome `json:"outcome,omitempty"`
	// Token says where a callback route's requests carry the task token; absent otherwise.
	Token *TokenSource `json:"token,omitempty"`
	// Input is where the execution input comes from, or a callback's output (success) or error
	// and cause (failure).
	Input Inputs `json:"input"`
	// Required lists the fields the execution input must have (a fixed value counts).
	Required []string `json:"required"`
	// Fields are the rules a caller's values follow on this route, by name.
	Fields []Field `json:"fields"`
}

// Inputs says where a route's execution input comes from; a later source wins, fixed last.
type Inputs struct {
	// Body: the request's JSON object is the input's base.
	Body bool `json:"body"`
	// Path and Query name the path and query parameters copied into the input.
	Path  []string `json:"path"`
	Query []string `json:"query"`
	// Fixed values are set whatever the caller sends, each as JSON text.
	Fixed map[string]json.RawMessage `json:"fixed"`
}

// TokenSource is where a callback route's requests carry the task token.
type TokenSource struct {
	// From is "path", "query" or "body".
	From string `json:"from"`
	// Name is the path parameter, query parameter or body field that holds it.
	Name string `json:"name"`
}

// Field is the rule one input field follows, when the caller supplies it.
type Field struct {
	Name string `json:"name"`
	// Pattern is the anchored regular expression a value must match (Go RE2 syntax); "" for any string.
	Pattern string `json:"pattern,omitempty"`
	// Hint words what a value must be, for people ("an EC2 instance ID such as i-…").
	Hint string `json:"hint,omitempty"`
	// Allowed lists the only values accepted, read from the allowlist's variable; empty when the
	// field has no allowlist.
	Allowed []string `json:"allowed,omitempty"`
}

// Describe returns every route, sorted by key.
func (c *Config) Describe() []Description {
	out := make([]Description, 0, len(c.routes))
	for _, key := range c.Keys() {
		out = append(out, c.routes[key].describe())
	}
	return out
}

func (r *Route) describe() Description {
	d := Description{
		Method: r.Method, Path: r.Path, Mode: r.Mode, StateMachineARN: r.StateMachine.String(),
		Input: Inputs{Body: r.body, Path: append([]string{}, r.path...), Query: append([]string{}, r.query...),
			Fixed: make(map[string]json.RawMessage, len(r.fixed))},
		Required: append([]string{}, r.required...),
		Fields:   make([]Field, 0, len(r.fieldOrder)),
	}
	if r.Mode == Callback {
		d.Outcome, d.Token = r.Outcome, &TokenSource{From: r.token.from, Name: r.token.name}
	}
	for name, v := range r.fixed {
		d.Input.Fixed[name], _ = encode(v) // decoded from JSON at start-up: encodes again
	}
	for _, name := range r.fieldOrder {
		f := r.fields[name]
		field := Field{Name: name, Hint: f.hint}
		if f.pattern != nil {
			field.Pattern = f.pattern.String()
		}
		if f.allow != nil {
			field.Allowed = f.allow.IDs()
		}
		d.Fields = append(d.Fields, field)
	}
	return d
}
