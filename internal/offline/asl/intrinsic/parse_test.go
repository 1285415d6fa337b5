package intrinsic

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_errors(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string // substring of the message
	}{
		// Syntax.
		{"not a call", "$.a", "expected a States.* function"},
		{"empty", "", "expected a States.* function"},
		{"unknown function", "States.Nope()", "unknown intrinsic function States.Nope"},
		{"case matters", "States.array()", "unknown intrinsic function States.array"},
		{"missing parenthesis", "States.UUID", "expected ( after States.UUID"},
		{"unterminated arguments", "States.Array(1", "unterminated argument list"},
		{"missing comma", "States.Array(1 2)", "expected , or )"},
		{"trailing comma", "States.Array(1,)", `unexpected ")"`},
		{"leading comma", "States.Array(,1)", "unexpected"},
		{"trailing text", "States.UUID() x", "after the call"},
		{"two calls", "States.UUID()States.UUID()", "after the call"},
		{"double-quoted string", `States.Array("a")`, "unexpected"},
		{"unterminated string", "States.Array('abc)", "unterminated string literal"},
		{"bad number", "States.Array(01)", "invalid number"},
		{"bad exponent", "States.Array(1e)", "invalid number"},
		{"plus sign", "States.Array(+1)", "unexpected"},
		{"bare word", "States.Array(foo)", "unexpected"},
		{"keyword prefix", "States.Array(nullx)", "unexpected"},
		{"unbalanced bracket in path", "States.Array($.a[0)", "unterminated path"},
		{"stray ] in path", "States.Array($.a])", "unbalanced ]"},
		{"quote outside brackets", "States.Array($.a'b')", "quote outside brackets"},

		// Escapes: only \' \{ \} \\ exist (a lone brace is a plain character: TestEval).
		{"unknown escape", `States.Format('a\nb')`, `invalid escape \n`},
		{"open escape at end", `States.Format('a\`, "open escape backslash"},

		// Arity.
		{"Format without arguments", "States.Format()", "at least 1 argument"},
		{"StringToJson two arguments", "States.StringToJson('1', '2')", "takes 1 argument(s), got 2"},
		{"JsonToString none", "States.JsonToString()", "takes 1 argument(s), got 0"},
		{"ArrayPartition one", "States.ArrayPartition($.a)", "takes 2 argument(s), got 1"},
		{"ArrayContains three", "States.ArrayContains($.a, 1, 2)", "takes 2 argument(s), got 3"},
		{"ArrayRange two", "States.ArrayRange(1, 2)", "takes 3 argument(s), got 2"},
		{"ArrayGetItem one", "States.ArrayGetItem($.a)", "takes 2 argument(s)"},
		{"ArrayLength two", "States.ArrayLength($.a, $.b)", "takes 1 argument(s)"},
		{"ArrayUnique none", "States.ArrayUnique()", "takes 1 argument(s)"},
		{"Base64Encode none", "States.Base64Encode()", "takes 1 argument(s)"},
		{"Base64Decode two", "States.Base64Decode('a', 'b')", "takes 1 argument(s)"},
		{"Hash one", "States.Hash('a')", "takes 2 argument(s)"},
		{"JsonMerge two", "States.JsonMerge($.a, $.b)", "takes 3 argument(s)"},
		{"MathRandom one", "States.MathRandom(1)", "takes 2 to 3 arguments, got 1"},
		{"MathRandom four", "States.MathRandom(1, 2, 3, 4)", "takes 2 to 3 arguments, got 4"},
		{"MathAdd three", "States.MathAdd(1, 2, 3)", "takes 2 argument(s)"},
		{"StringSplit one", "States.StringSplit('a')", "takes 2 argument(s)"},
		{"UUID with argument", "States.UUID(1)", "takes 0 argument(s), got 1"},

		// Literal arguments of the wrong type or value.
		{"Format template number", "States.Format(1)", "argument 1 must be a string, got a number"},
		{"Format placeholder count", "States.Format('{} {}', 1)", "2 {} placeholder(s) but 1 argument(s)"},
		{"Format escaped braces are no placeholders", `States.Format('\{\}', 1)`, "0 {} placeholder(s) but 1 argument(s)"},
		{"doc nested example has 3 holes and 2 arguments", "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))", "3 {} placeholder(s) but 2 argument(s)"},
		{"JsonToString literal", "States.JsonToString('{}')", "argument 1 must be a path"},
		{"JsonToString nested call", "States.JsonToString(States.Array())", "argument 1 must be a path"},
		{"StringToJson number", "States.StringToJson(1)", "must be a string"},
		{"StringToJson invalid literal", "States.StringToJson('nope')", "not JSON text"},
		{"ArrayLength string literal", "States.ArrayLength('abc')", "must be an array, got a string"},
		{"ArrayPartition literal zero", "States.ArrayPartition($.a, 0)", "chunk size must be a positive integer"},
		{"ArrayGetItem string index", "States.ArrayGetItem($.a, 'x')", "argument 2 must be a number"},
		{"ArrayRange over 1000", "States.ArrayRange(1, 1001, 1)", "at most 1000"},
		{"ArrayRange step zero", "States.ArrayRange(1, 2, 0)", "step must not be 0"},
		{"ArrayRange null", "States.ArrayRange(null, 2, 1)", "must be a number, got null"},
		{"Base64Encode boolean", "States.Base64Encode(true)", "must be a string, got a boolean"},
		{"Base64Decode invalid literal", "States.Base64Decode('***')", "not Base64"},
		{"Hash unknown algorithm", "States.Hash('a', 'SHA-3')", "unsupported algorithm"},
		{"JsonMerge deep literal", "States.JsonMerge($.a, $.b, true)", "deep merging is not supported"},
		{"JsonMerge flag string", "States.JsonMerge($.a, $.b, 'false')", "argument 3 must be a boolean"},
		{"JsonMerge literal object", "States.JsonMerge('a', $.b, false)", "argument 1 must be an object"},
		{"MathAdd beyond int32", "States.MathAdd(2147483648, 0)", "outside the integer range"},
		{"MathAdd string", "States.MathAdd('1', 2)", "must be a number, got a string"},
		{"MathRandom empty range", "States.MathRandom(5, 5)", "must be greater than the start"},
		{"StringSplit number", "States.StringSplit(1, ',')", "must be a string"},

		// Nesting limit.
		{"nesting depth 11", strings.Repeat("States.Array(", 11) + strings.Repeat(")", 11), "nest more than 10 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.expr, call)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", tt.expr, err)
			}
			if se.Expr != tt.expr || se.Offset < 0 || se.Offset > len(tt.expr) {
				t.Errorf("SyntaxError{Expr: %q, Offset: %d} does not point into the expression", se.Expr, se.Offset)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %q, want it to contain %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestParse_paths(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []string // paths handed to the resolver, in order
	}{
		{"root", "States.Array($)", []string{"$"}},
		{"context", "States.Array($$.Execution.Name, $$)", []string{"$$.Execution.Name", "$$"}},
		{"bracket with space and comma", "States.Array($.abc.['def ghi, jkl'], $.x)", []string{"$.abc.['def ghi, jkl']", "$.x"}},
		{"filter with parentheses", "States.Array($.Recs[?(@.Key == 'Foo')].Value, 0)", []string{"$.Recs[?(@.Key == 'Foo')].Value"}},
		{"index and wildcard", "States.Array($.a[0], $.b[*].c)", []string{"$.a[0]", "$.b[*].c"}},
		{"variable", "States.Array($myVar.x)", []string{"$myVar.x"}},
		{"escaped quote in bracket", `States.Array($['it\'s'])`, []string{`$['it\'s']`}},
		{"spaces around", "States.Array(  $.a  ,  $.b  )", []string{"$.a", "$.b"}},
		{"nested", "States.Format('{}', States.JsonToString($.deep.x))", []string{"$.deep.x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			var got []string
			_, err = call.Eval(func(path string) (any, error) {
				got = append(got, path)
				return "v", nil
			})
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("resolved %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCall_String(t *testing.T) {
	const expr = "States.Format('{}', $.a)"
	call, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	if call.String() != expr {
		t.Errorf("String() = %q, want %q", call.String(), expr)
	}
}

// seedExpressions seed the fuzzer and are known to parse.
var seedExpressions = []string{
	"States.Format('Hello, my name is {}.', $.name)",
	`States.Format('\{\} \' \\ {}', $$.Execution.Name)`,
	"States.Array('Foo', 2020, $.someJson, null, true, false, -1.5e3)",
	"States.ArrayGetItem($.Recs[?(@.Key == 'Foo')].Value, 0)",
	"States.StringToJson(States.JsonToString($.a))",
	"States.JsonMerge($.a, $.b, false)",
	"States.MathRandom(1, 999, 42)",
	"States.ArrayRange(1, 9, 2)",
	"States.Hash($.Data, 'SHA-256')",
	"States.UUID()",
}

func FuzzParse(f *testing.F) {
	for _, s := range seedExpressions {
		f.Add(s)
	}
	for _, s := range []string{"", "States.", "States.Format(", "States.Format('\\", "States.Array($[", "States.Array(1e999)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		call, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", expr, err)
			}
			return
		}
		if call.String() != expr {
			t.Fatalf("String() = %q, want %q", call.String(), expr)
		}
		// Evaluation of anything that parses must not panic either; every
		// path resolves to a small array.
		_, err = call.Eval(func(string) (any, error) { return []any{"a", nil}, nil })
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("Eval(%q) error %T, want *Error", expr, err)
			}
		}
	})
}

func BenchmarkParseEvalFormat(b *testing.B) {
	input := map[string]any{"name": "Arnav", "Execution": "run-9"}
	resolve := func(path string) (any, error) { return input[strings.TrimPrefix(path, "$.")], nil }
	for b.Loop() {
		call, err := Parse("States.Format('Hello, {}: execution {} started.', $.name, $.Execution)")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := call.Eval(resolve); err != nil {
			b.Fatal(err)
		}
	}
}
