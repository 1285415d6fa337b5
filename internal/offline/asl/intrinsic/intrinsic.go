// Package intrinsic parses and evaluates the Amazon States Language intrinsic
// functions (States.Format, States.Array, States.MathAdd, …) that JSONPath
// states may use in the values of "<key>.$" payload-template fields.
//
// Parsing happens once, when a state machine definition is loaded, so that
// syntax errors, unknown functions, wrong argument counts and literal
// arguments of the wrong type are reported as definition errors. Evaluation
// happens on every state entry: paths are resolved by the caller (the engine
// owns the JSONPath dialect and the context object) and every failure of a
// function's own rules is reported as States.IntrinsicFailure.
//
// Values follow the engine's representation: the generic values of
// encoding/json decoded with UseNumber (map[string]any, []any, string,
// json.Number, bool, nil). Numbers produced here are json.Number as well.
package intrinsic

import (
	"fmt"
	"strings"
)

// FailureName is the ASL error name of every runtime intrinsic failure.
const FailureName = "States.IntrinsicFailure"

// maxNesting bounds how deeply calls may nest. AWS documents "up to 10
// intrinsic functions within a field"; we read that as a nesting depth so that
// the documented nine-function example (depth 5) and every shallower
// composition pass, while pathological input cannot exhaust the stack.
const maxNesting = 10

// Error is a runtime failure of an intrinsic function. The engine turns it
// into a state failure with Error = Name and Cause = Message.
type Error struct {
	Name    string // always FailureName
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Name + ": " + e.Message }

// failf builds the *Error every function returns for a broken rule.
func failf(format string, args ...any) *Error {
	return &Error{Name: FailureName, Message: fmt.Sprintf(format, args...)}
}

// SyntaxError reports an expression that cannot be a valid intrinsic call:
// bad syntax, an unknown function, a wrong argument count, or a literal
// argument whose type the function can never accept.
type SyntaxError struct {
	Expr   string // the expression as written
	Offset int    // byte offset of the problem in Expr
	Msg    string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid intrinsic function %q at offset %d: %s", e.Expr, e.Offset, e.Msg)
}

// IsCall reports whether s has the shape of an intrinsic function call,
// "States.<Name>(…)". It does not validate the call; Parse does.
func IsCall(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "States.") && strings.HasSuffix(s, ")") && strings.Contains(s, "(")
}

// Resolver returns the value a path argument ("$…", "$$…") denotes.
type Resolver func(path string) (any, error)

// Call is a parsed intrinsic function call, safe for concurrent use.
type Call struct {
	expr string
	root *callNode
}

// Parse parses expr, an intrinsic function call as written in a payload
// template. The error, when not nil, is a *SyntaxError.
func Parse(expr string) (*Call, error) {
	p := parser{src: expr}
	root, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	return &Call{expr: expr, root: root}, nil
}

// String returns the expression the call was parsed from.
func (c *Call) String() string { return c.expr }

// Eval evaluates the call. Path arguments are resolved through resolve.
// A failure of an intrinsic function's own rules is a *Error named
// States.IntrinsicFailure; an error returned by resolve is passed through,
// wrapped with the path, so the engine keeps its own classification of
// missing or invalid paths (errors.As still finds the resolver's error).
func (c *Call) Eval(resolve Resolver) (any, error) {
	return c.root.eval(resolve)
}
