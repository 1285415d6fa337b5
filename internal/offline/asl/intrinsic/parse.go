package intrinsic

import (
	"encoding/json"
	"fmt"
	"strings"
)

// node is one argument of a call: a literal, a path or a nested call.
type node interface {
	eval(resolve Resolver) (any, error)
}

// literal is a constant argument: a string, json.Number, bool or nil.
type literal struct {
	value any
	// holes are the byte offsets in value (a string) of the "{}" sequences
	// written unescaped; only these are States.Format placeholders, so that
	// "\{\}" stays literal text.
	holes []int
}

func (l *literal) eval(Resolver) (any, error) { return l.value, nil }

// pathArg is a "$…" or "$$…" argument, resolved at evaluation time.
type pathArg struct{ path string }

func (p *pathArg) eval(resolve Resolver) (any, error) {
	if resolve == nil {
		return nil, fmt.Errorf("resolve path %s: no resolver", p.path)
	}
	v, err := resolve(p.path)
	if err != nil {
		return nil, fmt.Errorf("resolve path %s: %w", p.path, err)
	}
	return v, nil
}

// callNode is a (possibly nested) call of a States.* function.
type callNode struct {
	fn   *function
	args []node
}

func (c *callNode) eval(resolve Resolver) (any, error) {
	vals := make([]any, len(c.args))
	for i, a := range c.args {
		v, err := a.eval(resolve)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return c.fn.eval(c, vals)
}

// parser is a recursive-descent parser over the expression text. The grammar:
//
//	call    = "States." name ws "(" ws [ arg ws { "," ws arg ws } ] ")"
//	arg     = string | number | "true" | "false" | "null" | path | call
//	string  = "'" { char | "\'" | "\{" | "\}" | "\\" } "'"
//	path    = "$" { path characters, brackets and quotes balanced }
type parser struct {
	src   string
	pos   int
	depth int
}

func (p *parser) errorf(at int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Expr: p.src, Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) parseExpr() (*callNode, error) {
	p.skipSpace()
	c, err := p.parseCall()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf(p.pos, "unexpected %q after the call", p.src[p.pos:])
	}
	return c, nil
}

func (p *parser) parseCall() (*callNode, error) {
	start := p.pos
	if !strings.HasPrefix(p.src[p.pos:], "States.") {
		return nil, p.errorf(p.pos, "expected a States.* function")
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		return nil, p.errorf(start, "intrinsic functions nest more than %d deep", maxNesting)
	}
	p.pos += len("States.")
	nameStart := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	name := "States." + p.src[nameStart:p.pos]
	fn, ok := functions[name]
	if !ok {
		return nil, p.errorf(start, "unknown intrinsic function %s", name)
	}
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, p.errorf(p.pos, "expected ( after %s", name)
	}
	p.pos++
	var args []node
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			p.skipSpace()
			arg, err := p.parseArg()
			if err != nil {
				return nil, err
			}
			args = append(args, arg)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, p.errorf(p.pos, "unterminated argument list of %s", name)
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			if p.src[p.pos] != ',' {
				return nil, p.errorf(p.pos, "expected , or ) in the arguments of %s", name)
			}
			p.pos++
		}
	}
	c := &callNode{fn: fn, args: args}
	if err := fn.check(c); err != nil {
		return nil, p.errorf(start, "%s", err.Message)
	}
	return c, nil
}

func (p *parser) parseArg() (node, error) {
	if p.pos >= len(p.src) {
		return nil, p.errorf(p.pos, "expected an argument")
	}
	rest := p.src[p.pos:]
	switch c := rest[0]; {
	case c == '\'':
		return p.parseString()
	case c == '$':
		return p.parsePath()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.parseNumber()
	case strings.HasPrefix(rest, "States."):
		return p.parseCall()
	}
	for _, kw := range []struct {
		word  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(rest, kw.word) && (len(rest) == len(kw.word) || !isIdentByte(rest[len(kw.word)])) {
			p.pos += len(kw.word)
			return &literal{value: kw.value}, nil
		}
	}
	return nil, p.errorf(p.pos, "unexpected %q: an argument is a 'string', a number, true, false, null, a $ path or a States.* call", clip(rest))
}

// parseString reads a single-quoted literal. AWS's page reserves ' { } and
// \ in literals, to be escaped with a backslash (any other backslash
// sequence is an error); an unescaped "{}" pair is a Format placeholder. A
// lone unescaped brace is a plain character: AWS's recorded runs accept
// one (States.StringToJson('{"k": "v"}') as a States.JsonMerge argument,
// LocalStack's AWS-validated test_json_merge_escaped_argument).
func (p *parser) parseString() (node, error) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	var holes []int
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorf(start, "unterminated string literal")
		}
		c := p.src[p.pos]
		switch c {
		case '\'':
			p.pos++
			return &literal{value: b.String(), holes: holes}, nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return nil, p.errorf(p.pos, "open escape backslash at the end of the expression")
			}
			switch e := p.src[p.pos+1]; e {
			case '\'', '{', '}', '\\':
				b.WriteByte(e)
				p.pos += 2
			default:
				return nil, p.errorf(p.pos, "invalid escape \\%c: only \\', \\{, \\} and \\\\ are allowed", e)
			}
		case '{':
			if p.pos+1 < len(p.src) && p.src[p.pos+1] == '}' {
				holes = append(holes, b.Len())
				b.WriteString("{}")
				p.pos += 2
				continue
			}
			b.WriteByte(c)
			p.pos++
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// parsePath reads a path up to the "," or ")" that ends the argument. Commas,
// parentheses and spaces inside brackets (filters, quoted member names such
// as $.abc['def ghi']) belong to the path.
func (p *parser) parsePath() (node, error) {
	start := p.pos
	brackets, parens := 0, 0
	var quote byte
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if quote != 0 {
			if c == '\\' {
				p.pos += 2
				continue
			}
			if c == quote {
				quote = 0
			}
			p.pos++
			continue
		}
		if brackets == 0 && (c == ',' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			break
		}
		switch c {
		case '\'', '"':
			if brackets == 0 {
				return nil, p.errorf(p.pos, "quote outside brackets in path %q", p.src[start:p.pos])
			}
			quote = c
		case '[':
			brackets++
		case ']':
			if brackets == 0 {
				return nil, p.errorf(p.pos, "unbalanced ] in path")
			}
			brackets--
		case '(':
			parens++
		case ')':
			parens--
		}
		p.pos++
	}
	if quote != 0 || brackets != 0 || parens != 0 || p.pos > len(p.src) {
		p.pos = min(p.pos, len(p.src))
		return nil, p.errorf(start, "unterminated path %q", p.src[start:p.pos])
	}
	return &pathArg{path: p.src[start:p.pos]}, nil
}

// parseNumber reads a JSON number literal and keeps its text as json.Number.
func (p *parser) parseNumber() (node, error) {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.pos++
			continue
		}
		break
	}
	text := p.src[start:p.pos]
	if !isJSONNumber(text) {
		return nil, p.errorf(start, "invalid number %q", text)
	}
	return &literal{value: json.Number(text)}, nil
}

// isJSONNumber reports whether s follows the JSON number grammar exactly.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

func isIdentByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 20
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
