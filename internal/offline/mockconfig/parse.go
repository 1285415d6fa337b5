package mockconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Error is a mock configuration that cannot be used, with every problem found in it.
type Error struct {
	File     string // the file's path; empty for Parse
	Problems []Problem
}

// Problem is one bad entry: where it is, as a path of keys from the top
// (StateMachines.LambdaSQSIntegration.TestCases.HappyPath.LambdaState), and what is wrong.
type Problem struct {
	Path    string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mock configuration")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if len(e.Problems) == 1 {
		return b.String() + ": " + e.Problems[0].String()
	}
	fmt.Fprintf(&b, ": %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Parse reads and validates a mock configuration. Every problem is reported, each with the path
// of its entry; the error is an *Error.
func Parse(data []byte) (*Config, error) {
	p := &parser{}
	c := p.config(data)
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return c, nil
}

type parser struct {
	problems []Problem
}

func (p *parser) fail(path, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// member is one key of a JSON object with its value, in file order.
type member struct {
	key   string
	value json.RawMessage
}

// object reads the members of the JSON object raw, reporting a value that is not an object and
// any key given twice (encoding/json would keep the last silently). ok is false when raw is not
// an object.
func (p *parser) object(path string, raw json.RawMessage, what string) (members []member, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		p.fail(path, "want %s (a JSON object), got %s", what, kind(raw))
		return nil, false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			p.fail(path, "%v", err)
			return members, true
		}
		key := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			p.fail(join(path, key), "%v", err)
			return members, true
		}
		if seen[key] {
			p.fail(join(path, key), "given twice; JSON keeps only one of the two")
			continue
		}
		seen[key] = true
		members = append(members, member{key, value})
	}
	return members, true
}

// fields reads an object whose keys are fixed names: required must all be there, and nothing but
// required and optional may be.
func (p *parser) fields(path string, raw json.RawMessage, what string, required, optional []string) (map[string]json.RawMessage, bool) {
	members, ok := p.object(path, raw, what)
	if !ok {
		return nil, false
	}
	allowed := append(slices.Clone(required), optional...)
	out := map[string]json.RawMessage{}
	for _, m := range members {
		if !slices.Contains(allowed, m.key) {
			p.fail(join(path, m.key), "not a field of %s (it has %s)", what, list(allowed))
			continue
		}
		out[m.key] = m.value
	}
	for _, name := range required {
		if _, ok := out[name]; !ok {
			p.fail(join(path, name), "missing: %s must have it", what)
		}
	}
	return out, true
}

func (p *parser) config(data []byte) *Config {
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		p.fail("", "not JSON: %s", syntaxError(data, err))
		return nil
	}
	top, ok := p.fields("", data, "a mock configuration", []string{"StateMachines", "MockedResponses"}, nil)
	if !ok {
		return nil
	}
	var responses map[string]*mockedResponse
	if raw, ok := top["MockedResponses"]; ok {
		responses = p.mockedResponses(raw)
	}
	c := &Config{machines: map[string]map[string]*TestCase{}}
	if raw, ok := top["StateMachines"]; ok {
		p.stateMachines(c, raw, responses)
	}
	return c
}

func (p *parser) stateMachines(c *Config, raw json.RawMessage, responses map[string]*mockedResponse) {
	machines, _ := p.object("StateMachines", raw, "StateMachines")
	for _, sm := range machines {
		path := join("StateMachines", sm.key)
		fields, ok := p.fields(path, sm.value, "a state machine's entry", []string{"TestCases"}, nil)
		if !ok {
			continue
		}
		cases := map[string]*TestCase{}
		c.machines[sm.key] = cases
		raw, ok := fields["TestCases"]
		if !ok {
			continue
		}
		path = join(path, "TestCases")
		members, _ := p.object(path, raw, "TestCases")
		for _, tcm := range members {
			tc := &TestCase{StateMachine: sm.key, Name: tcm.key, states: map[string]*mockedResponse{}}
			cases[tcm.key] = tc
			tcPath := join(path, tcm.key)
			states, _ := p.object(tcPath, tcm.value, "a test case (state name → mocked response name)")
			for _, st := range states {
				var name string
				if json.Unmarshal(st.value, &name) != nil {
					p.fail(join(tcPath, st.key), "want the name of a mocked response (a string), got %s", kind(st.value))
					continue
				}
				m, ok := responses[name]
				switch {
				case !ok:
					p.fail(join(tcPath, st.key), "mocked response %q is not in MockedResponses", name)
				case m != nil: // else its own problems are reported
					tc.states[st.key] = m
				}
			}
		}
	}
}

func (p *parser) mockedResponses(raw json.RawMessage) map[string]*mockedResponse {
	// An entry with problems maps to nil, so that test cases naming it are not reported again.
	out := map[string]*mockedResponse{}
	members, _ := p.object("MockedResponses", raw, "MockedResponses")
	for _, mr := range members {
		out[mr.key] = nil
		path := join("MockedResponses", mr.key)
		before := len(p.problems)
		entries, ok := p.object(path, mr.value, "a mocked response (invocation → Return or Throw)")
		if !ok {
			continue
		}
		if len(entries) == 0 {
			p.fail(path, `no responses: give one per invocation, from "0"`)
			continue
		}
		m := &mockedResponse{name: mr.key}
		for _, e := range entries {
			m.steps = append(m.steps, p.step(join(path, e.key), e.key, e.value))
		}
		if len(p.problems) == before && p.contiguous(path, m.steps) {
			out[mr.key] = m
		}
	}
	return out
}

// invocations is an invocation number or an inclusive range of them.
var invocations = regexp.MustCompile(`^([0-9]+)(?:-([0-9]+))?$`)

// step reads one response of a mocked response; problems are reported, not returned.
func (p *parser) step(path, key string, raw json.RawMessage) step {
	s := step{key: key}
	if m := invocations.FindStringSubmatch(key); m == nil {
		p.fail(path, `want an invocation number ("0") or an inclusive range of them ("1-2") as the key`)
	} else {
		var err1, err2 error
		s.first, err1 = strconv.Atoi(m[1])
		s.last = s.first
		if m[2] != "" {
			s.last, err2 = strconv.Atoi(m[2])
		}
		switch {
		case err1 != nil || err2 != nil:
			p.fail(path, "invocation number out of range")
		case s.last < s.first:
			p.fail(path, "the range ends before it starts")
		}
	}
	before := len(p.problems)
	fields, ok := p.fields(path, raw, "a response", nil, []string{"Return", "Throw"})
	if !ok {
		return s
	}
	ret, hasReturn := fields["Return"]
	throw, hasThrow := fields["Throw"]
	switch {
	case hasReturn && hasThrow:
		p.fail(path, "both Return and Throw: a response does one or the other")
	case hasReturn:
		var b bytes.Buffer
		if err := json.Compact(&b, ret); err != nil {
			p.fail(join(path, "Return"), "%v", err)
		}
		s.response.Return = b.Bytes()
	case hasThrow:
		s.response.Throw = p.throw(join(path, "Throw"), throw)
	case len(p.problems) == before:
		p.fail(path, "want Return or Throw")
	}
	return s
}

// throw reads a Throw: Error and Cause, both strings, the Error not empty.
func (p *parser) throw(path string, raw json.RawMessage) *Throw {
	before := len(p.problems)
	fields, ok := p.fields(path, raw, "Throw", []string{"Error", "Cause"}, nil)
	if !ok {
		return nil
	}
	t := &Throw{}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"Error", &t.Error}, {"Cause", &t.Cause}} {
		if raw, ok := fields[f.name]; ok && json.Unmarshal(raw, f.dst) != nil {
			p.fail(join(path, f.name), "want a string, got %s", kind(raw))
		}
	}
	if len(p.problems) == before && t.Error == "" {
		p.fail(join(path, "Error"), "empty: the error name is what Retry and Catch match")
	}
	return t
}

// contiguous checks that the responses number the invocations from 0 without a gap or an overlap,
// as Step Functions Local wants ("mocks for retries with consecutive attempt numbers").
func (p *parser) contiguous(path string, steps []step) bool {
	slices.SortFunc(steps, func(a, b step) int { return a.first - b.first })
	next := 0
	for i, s := range steps {
		switch {
		case s.first > next && i == 0:
			p.fail(path, "the first response is for invocation %d: number them from \"0\"", s.first)
			return false
		case s.first > next:
			p.fail(path, "no response for invocation %d (after %q, before %q): number them without gaps", next, steps[i-1].key, s.key)
			return false
		case s.first < next:
			p.fail(path, "%q and %q both answer invocation %d", steps[i-1].key, s.key, s.first)
			return false
		}
		next = s.last + 1
	}
	return true
}

// join appends a key to a path: .Key for a plain name, ["…"] for anything else.
func join(path, key string) string {
	if key != "" && strings.Trim(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == "" {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// kind names a JSON value's type for a message.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// syntaxError says where a JSON syntax error is, as line:column.
func syntaxError(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err.Error()
	}
	// Offset counts the bytes read, the bad one included.
	pos := min(max(int(se.Offset)-1, 0), len(data))
	before := data[:pos]
	line := bytes.Count(before, []byte("\n")) + 1
	col := pos - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}
