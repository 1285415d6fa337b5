package intrinsic

// Sources and inferred behaviour
//
// Every happy-path case marked "doc" below is an example from the AWS page
// "Intrinsic functions for JSONPath states in Step Functions"
// (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html),
// with its documented output; cases marked "spec" come from the Amazon States
// Language specification, Appendix B (https://states-language.net/#appendix-b).
// Where the documentation is silent or self-evidently wrong we had to infer:
//
// | topic                         | what we do                                   | why                                                        |
// |-------------------------------|----------------------------------------------|------------------------------------------------------------|
// | Base64Decode doc example      | "RGF0YSB0byBlbmNvZGU=" → "Data to encode"     | the page prints "Decoded data", which is not what that     |
// |                               |                                              | Base64 decodes to (it is the Base64Encode example's output)|
// | Hash doc example              | SHA-1("input data") = aaff…74485e8cae074b7   | the page prints 39 hex digits ("…d7485e…"); SHA-1 has 40;  |
// |                               | (40 hex digits)                              | the real digest differs by the missing "4"                 |
// | JsonToString spacing          | compact: {"foo":"bar"}                       | the AWS page shows {\"foo\": \"bar\"}; the ASL spec shows   |
// |                               |                                              | compact text ({"name":"Foo","year":2020})                  |
// | JsonToString key order        | the object's own order (input, definition)   | AWS keeps input order (issue 11)                           |
// | Format with array/object      | Java toString form: [a, b], {k=v, k2=v2}     | AWS's recorded answers (the spec forbids them, AWS prints) |
// | Format number/bool/null       | JSON text (1.1, true, null)                  | spec: "the natural string representation"                  |
// | Format template from a path   | every "{}" is a placeholder, no escapes      | escapes are defined for literals only                      |
// | unescaped { or } in a literal | a plain character unless it forms "{}"       | doc: reserved characters "must be escaped"; AWS's recorded |
// |                               |                                              | run accepts '{"k": "v"}' (LocalStack's AWS-validated       |
// |                               |                                              | test_json_merge_escaped_argument)                          |
// | bad escape (\n, trailing \)   | syntax error at Parse                        | doc: "open escape backslash … runtime error"; we find it   |
// |                               |                                              | at definition time, which is earlier, never later          |
// | null, true, false literals    | accepted                                     | spec States.Array example uses null; JsonMerge uses false  |
// | nesting limit                 | depth ≤ 10                                   | doc: "nest up to 10 intrinsic functions within a field"    |
// | rounding of non-integers      | half up (Java Math.round): 1.5→2, -1.5→-1    | doc says "round off to the nearest integer", no tie rule   |
// | integer arguments range       | int32 for every integer argument             | doc states it for MathAdd only; AWS is Java (int)          |
// | MathAdd result                | exact sum, may exceed int32                  | doc limits the arguments only                              |
// | ArrayGetItem index            | rounded like other integers; out of range →  | doc is silent                                              |
// |                               | States.IntrinsicFailure                      |                                                            |
// | ArrayRange empty direction    | ArrayRange(9, 1, 1) → []                     | doc is silent                                              |
// | StringSplit                   | splits on each delimiter character, drops    | doc example ".+,=" → 5 words; empty pieces dropped as AWS  |
// |                               | empty pieces; "" delimiter → whole string    | was recorded doing (LocalStack's AWS-validated snapshots)  |
// | ArrayContains/Unique equality | JSON equality (1 == 1.0, key order ignored)  | doc is silent                                              |
// | "characters" in 10,000 limits | UTF-16 code units                            | AWS is Java                                                |
// | Base64Decode output           | invalid UTF-8 replaced by U+FFFD; CR/LF       | "MIME Base64"; Java String decoding                        |
// |                               | ignored                                      |                                                            |
// | Hash algorithm names          | exact, case-sensitive                        | doc lists the five names                                   |
// | JsonMerge deep=true           | rejected (at Parse if literal)               | doc: "you must specify the boolean value as false"         |
// | MathRandom seed               | PCG seeded with the int32 seed               | doc: same seed → identical numbers; values differ from AWS |

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// docInput carries every value the documentation examples read.
const docInput = `{
  "Id": 123456,
  "inputArray": [1,2,3,4,5,6,7,8,9],
  "dupArray": [1,2,3,3,3,3,3,3,4],
  "lookingFor": 5,
  "index": 5,
  "input": "Data to encode",
  "base64": "RGF0YSB0byBlbmNvZGU=",
  "Data": "input data",
  "Algorithm": "SHA-1",
  "json1": { "a": {"a1": 1, "a2": 2}, "b": 2 },
  "json2": { "a": {"a3": 1, "a4": 2}, "c": 3 },
  "start": 1,
  "end": 999,
  "value1": 111,
  "step": -1,
  "inputString": "1,2,3,4,5",
  "splitter": ",",
  "multiString": "This.is+a,test=string",
  "multiSplitter": ".+,=",
  "name": "Arnav",
  "template": "Hello, my name is {}.",
  "escapedJsonString": "{\"foo\": \"bar\"}",
  "unescapedJson": { "foo": "bar" },
  "someJson": { "random": "abcdefg" },
  "someJson2": { "name": "Foo", "year": 2020 },
  "someString": "{\"number\": 20}",
  "ImageRecipe": { "Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe.v2/1.0.3" },
  "half": 1.5,
  "smallFloat": 0.4,
  "startFloat": 1.6,
  "negHalf": -1.5,
  "float": 2.4,
  "big": 2147483648,
  "emptyArray": [],
  "obj": { "k": "v" },
  "arr": [1, 2],
  "str": "text",
  "tru": true,
  "nul": null,
  "mixed": [1, 1.0, {"a": 1, "b": 2}, {"b": 2, "a": 1}, "1", [1], [1.0], null, null],
  "long": "` + "${LONG}" + `",
  "longer": "` + "${LONGER}" + `",
  "bad64": "not base64!",
  "tmplTwo": "{} and {}",
  "html": "<a&b>",
  "ctx": 0
}`

// decode parses JSON the way the engine does (UseNumber).
func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// resolverFor resolves the simple paths the tests use: "$", "$.a.b",
// "$.a[0]"-free member chains, and "$$.<field>" against a fixed context.
func resolverFor(t testing.TB, input any) Resolver {
	context := map[string]any{
		"Execution":    map[string]any{"Name": "run-9"},
		"StateMachine": map[string]any{"Name": "Express"},
	}
	return func(path string) (any, error) {
		var cur any
		var rest string
		switch {
		case strings.HasPrefix(path, "$$"):
			cur, rest = context, path[2:]
		case strings.HasPrefix(path, "$"):
			cur, rest = input, path[1:]
		default:
			return nil, errors.New("not a path")
		}
		if rest == "" {
			return cur, nil
		}
		for _, part := range strings.Split(strings.TrimPrefix(rest, "."), ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, errPathNotFound
			}
			if cur, ok = m[part]; !ok {
				return nil, errPathNotFound
			}
		}
		return cur, nil
	}
}

var errPathNotFound = errors.New("path not found")

func testInput(t testing.TB) any {
	s := strings.ReplaceAll(docInput, "${LONG}", strings.Repeat("a", dataLimit))
	s = strings.ReplaceAll(s, "${LONGER}", strings.Repeat("a", dataLimit+1))
	return decode(t, s)
}

func eval(t testing.TB, expr string) (any, error) {
	t.Helper()
	call, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	return call.Eval(resolverFor(t, testInput(t)))
}

func TestEval_documentedAndHappyPaths(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string // JSON
	}{
		// Intrinsics for arrays (doc).
		{"doc Array", "States.Array($.Id)", `[123456]`},
		{"spec Array with literals", "States.Array('Foo', 2020, $.someJson, null)", `["Foo",2020,{"random":"abcdefg"},null]`},
		{"Array empty", "States.Array()", `[]`},
		{"Array booleans and floats", "States.Array(true, false, -1.5e3, 0)", `[true,false,-1.5e3,0]`},
		{"doc ArrayPartition", "States.ArrayPartition($.inputArray,4)", `[[1,2,3,4],[5,6,7,8],[9]]`},
		{"ArrayPartition empty", "States.ArrayPartition($.emptyArray, 2)", `[]`},
		{"ArrayPartition rounds chunk", "States.ArrayPartition($.inputArray, 4.4)", `[[1,2,3,4],[5,6,7,8],[9]]`},
		{"doc ArrayContains", "States.ArrayContains($.inputArray, $.lookingFor)", `true`},
		{"ArrayContains absent", "States.ArrayContains($.inputArray, 10)", `false`},
		{"ArrayContains JSON equality", "States.ArrayContains($.mixed, $.obj)", `false`},
		{"ArrayContains object any key order", "States.ArrayContains(States.Array($.json1, $.obj), $.obj)", `true`},
		{"ArrayContains null", "States.ArrayContains($.mixed, null)", `true`},
		{"doc ArrayRange", "States.ArrayRange(1, 9, 2)", `[1,3,5,7,9]`},
		{"ArrayRange descending", "States.ArrayRange(5, 1, -2)", `[5,3,1]`},
		{"ArrayRange wrong direction is empty", "States.ArrayRange(9, 1, 1)", `[]`},
		{"ArrayRange 1000 items", "States.ArrayLength(States.ArrayRange(1, 1000, 1))", `1000`},
		{"ArrayRange rounds", "States.ArrayRange(0.5, 2.4, 1)", `[1,2]`},
		{"ArrayRange rounds a path value", "States.ArrayRange($.startFloat, 9, 2)", `[2,4,6,8]`},
		{"ArrayPartition rounds chunk up", "States.ArrayPartition(States.Array(1, 2, 3), 1.6)", `[[1,2],[3]]`},
		{"doc ArrayGetItem", "States.ArrayGetItem($.inputArray, $.index)", `6`},
		{"ArrayGetItem first", "States.ArrayGetItem($.inputArray, 0)", `1`},
		{"doc ArrayLength", "States.ArrayLength($.inputArray)", `9`},
		{"ArrayLength empty", "States.ArrayLength($.emptyArray)", `0`},
		{"doc ArrayUnique", "States.ArrayUnique($.dupArray)", `[1,2,3,4]`},
		{"ArrayUnique JSON equality keeps first", "States.ArrayUnique($.mixed)", `[1,{"a":1,"b":2},"1",[1],null]`},

		// Data encoding and decoding (doc).
		{"doc Base64Encode", "States.Base64Encode($.input)", `"RGF0YSB0byBlbmNvZGU="`},
		{"doc Base64Decode (doc prints a wrong output)", "States.Base64Decode($.base64)", `"Data to encode"`},
		{"Base64Encode UTF-8", "States.Base64Encode('é')", `"w6k="`},
		{"Base64Encode at the limit", "States.ArrayLength(States.StringSplit(States.Base64Encode($.long), '='))", `1`},
		{"Base64 round trip", "States.Base64Decode(States.Base64Encode($.name))", `"Arnav"`},
		{"Base64Decode MIME line breaks", "States.Base64Decode(States.Format('{}\n{}', 'RGF0YSB0', 'byBlbmNvZGU='))", `"Data to encode"`},

		// Hash (doc; the page drops one digit of the SHA-1).
		{"doc Hash SHA-1", "States.Hash($.Data, $.Algorithm)", `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{"Hash MD5", "States.Hash('input data', 'MD5')", `"812f45842bc6d66ee14572ce20db8e86"`},
		{"Hash SHA-256", "States.Hash('input data', 'SHA-256')", `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{"Hash SHA-384", "States.Hash('', 'SHA-384')", `"38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"`},
		{"Hash SHA-512", "States.Hash('', 'SHA-512')", `"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"`},
		{"Hash at the limit", "States.Hash($.long, 'MD5')", `"` + md5Of10000a + `"`},

		// JSON manipulation (doc).
		{"doc JsonMerge shallow", "States.JsonMerge($.json1, $.json2, false)", `{"a":{"a3":1,"a4":2},"b":2,"c":3}`},
		// AWS's recorded run (LocalStack's AWS-validated test_json_merge_escaped_argument): a
		// nested call with unescaped braces in its literal is an argument like any other.
		{"JsonMerge of a nested StringToJson", `States.JsonMerge(States.StringToJson('{"constant_in_literal": "false"}'), $.json2, false)`, `{"constant_in_literal":"false","a":{"a3":1,"a4":2},"c":3}`},
		{"doc StringToJson", "States.StringToJson($.escapedJsonString)", `{"foo":"bar"}`},
		{"spec StringToJson", "States.StringToJson($.someString)", `{"number":20}`},
		{"StringToJson scalar and spaces", "States.StringToJson('  [1, 2.50] ')", `[1,2.50]`},
		{"StringToJson from escaped literal", `States.StringToJson('\{"a":1\}')`, `{"a":1}`},
		{"doc JsonToString", "States.JsonToString($.unescapedJson)", `"{\"foo\":\"bar\"}"`},
		{"spec JsonToString", "States.JsonToString($.someJson2)", `"{\"name\":\"Foo\",\"year\":2020}"`},
		{"JsonToString keeps <>&", "States.JsonToString($.html)", `"\"<a&b>\""`},
		{"Format array and object in AWS's form", "States.Format('{} {}', States.Array(1, 'a', null), $.json1)", `"[1, a, null] {a={a1=1, a2=2}, b=2}"`},
		{"StringToJson empty is null", "States.StringToJson(States.Format(''))", `null`},
		{"StringToJson blank is null", "States.StringToJson('  ')", `null`},
		{"JSON round trip", "States.StringToJson(States.Format('{}', States.JsonToString($.json1)))", `{"a":{"a1":1,"a2":2},"b":2}`},

		// Math (doc).
		{"doc MathAdd", "States.MathAdd($.value1, $.step)", `110`},
		{"MathAdd rounds half up", "States.MathAdd($.half, 0)", `2`},
		{"MathAdd rounds negative half up", "States.MathAdd($.negHalf, 0)", `-1`},
		{"MathAdd rounds down", "States.MathAdd($.float, 0)", `2`},
		{"MathAdd int32 bounds", "States.MathAdd(2147483647, -2147483648)", `-1`},
		{"MathAdd sum beyond int32", "States.MathAdd(2147483647, 1)", `2147483648`},
		{"MathRandom seeded is stable", "States.ArrayUnique(States.Array(States.MathRandom(1, 999, 42), States.MathRandom(1, 999, 42)))", `[` + seeded42 + `]`},
		{"MathRandom single value range", "States.MathRandom(7, 8)", `7`},

		// Strings (doc).
		{"doc StringSplit single", "States.StringSplit($.inputString, $.splitter)", `["1","2","3","4","5"]`},
		{"doc StringSplit multiple", "States.StringSplit($.multiString, $.multiSplitter)", `["This","is","a","test","string"]`},
		{"StringSplit drops empty pieces", "States.StringSplit(',,1,,2,', ',')", `["1","2"]`},
		{"StringSplit only delimiters", "States.StringSplit(',,,', ',')", `[]`},
		{"StringSplit empty delimiter", "States.StringSplit('a,b', '')", `["a,b"]`},
		{"StringSplit multibyte delimiter", "States.StringSplit('aéb', 'é')", `["a","b"]`},

		// Format (doc and spec).
		{"doc Format literal", "States.Format('Hello, my name is {}.', $.name)", `"Hello, my name is Arnav."`},
		{"doc Format template path", "States.Format($.template, $.name)", `"Hello, my name is Arnav."`},
		{"spec Format number", "States.Format('Your name is {}, we are in the year {}', $.name, 2020)", `"Your name is Arnav, we are in the year 2020"`},
		{"Format natural representations", "States.Format('{} {} {} {}', 1.10, true, null, $.nul)", `"1.10 true null null"`},
		{"Format escapes", `States.Format('\{\} {} it\'s a \\ back', 'x')`, `"{} x it's a \\ back"`},
		{"Format inserted braces stay", "States.Format('{}', $.template)", `"Hello, my name is {}."`},
		{"lone braces are plain characters", "States.Format('a { b } {}', 1)", `"a { b } 1"`},
		{"escaped open then bare close", `States.Format('\{}')`, `"{}"`},
		{"Format no placeholders", "States.Format('plain')", `"plain"`},
		{"Format context path", "States.Format('{}/{}', $$.Execution.Name, $$.StateMachine.Name)", `"run-9/Express"`},
		{"Format path template two holes", "States.Format($.tmplTwo, 1, 'b')", `"1 and b"`},
		{"Format whitespace between tokens", "  States.Format ( 'a{}' ,\t$.name )  ", `"aArnav"`},

		// Nesting: the documented nine-function example has three {} but two
		// arguments, so it is rejected (see TestParse_errors); with a two-hole
		// template the same nesting evaluates.
		{"doc nested ARN with two holes", "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))", `"1.0"`},
		{"nesting depth 10", strings.Repeat("States.Array(", 10) + strings.Repeat(")", 10), `[[[[[[[[[[]]]]]]]]]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eval(t, tt.expr)
			if err != nil {
				t.Fatalf("Eval(%s): %v", tt.expr, err)
			}
			assertJSON(t, got, tt.want)
		})
	}
}

// assertJSON compares got with the JSON text want by JSON equality, and
// requires numbers to be json.Number as the engine expects.
func assertJSON(t *testing.T, got any, want string) {
	t.Helper()
	if canonicalKey(got) != canonicalKey(decode(t, want)) {
		g, _ := compactJSON(got)
		t.Errorf("got %s, want %s", g, want)
	}
	if path, ok := findNonJSONNumber(got, "$"); ok {
		t.Errorf("got a number that is not json.Number at %s", path)
	}
}

// findNonJSONNumber returns the location of a number that is not json.Number.
func findNonJSONNumber(v any, at string) (string, bool) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if p, ok := findNonJSONNumber(e, fmt.Sprintf("%s[%d]", at, i)); ok {
				return p, true
			}
		}
	case map[string]any:
		for k, e := range x {
			if p, ok := findNonJSONNumber(e, at+"."+k); ok {
				return p, true
			}
		}
	case *value.Object:
		for _, k := range x.Keys() {
			e, _ := x.Get(k)
			if p, ok := findNonJSONNumber(e, at+"."+k); ok {
				return p, true
			}
		}
	case nil, string, bool, json.Number:
	default:
		return at, true
	}
	return "", false
}

const md5Of10000a = "0d0c9c4db6953fee9e03f528cafd7d3e"

var seeded42 = func() string {
	call, err := Parse("States.MathRandom(1, 999, 42)")
	if err != nil {
		panic(err)
	}
	v, err := call.Eval(nil)
	if err != nil {
		panic(err)
	}
	return string(v.(json.Number))
}()

func TestEval_runtimeFailures(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string // substring of the message
	}{
		{"Format template not a string", "States.Format($.Id)", "argument 1 must be a string"},
		{"Format too few arguments for path template", "States.Format($.tmplTwo, 1)", "2 {} placeholder(s) but 1 argument(s)"},
		{"Format too many arguments for path template", "States.Format($.template, 1, 2)", "1 {} placeholder(s) but 2 argument(s)"},
		{"StringToJson not a string", "States.StringToJson($.obj)", "must be a string"},
		{"StringToJson invalid", "States.StringToJson($.str)", "not JSON text"},
		{"StringToJson trailing data", "States.StringToJson(States.Format('1 2'))", "data after the JSON value"},
		{"ArrayPartition not an array", "States.ArrayPartition($.obj, 2)", "argument 1 must be an array, got an object"},
		{"ArrayPartition zero chunk", "States.ArrayPartition($.inputArray, $.ctx)", "positive integer"},
		{"ArrayPartition negative chunk", "States.ArrayPartition($.inputArray, $.step)", "positive integer"},
		{"ArrayPartition chunk rounds to zero", "States.ArrayPartition($.inputArray, $.smallFloat)", "positive integer"},
		{"ArrayPartition chunk not a number", "States.ArrayPartition($.inputArray, $.str)", "argument 2 must be a number, got a string"},
		{"ArrayContains not an array", "States.ArrayContains($.str, 1)", "must be an array"},
		{"ArrayRange step zero", "States.ArrayRange($.ctx, 5, $.ctx)", "step must not be 0"},
		{"ArrayRange over 1000", "States.ArrayRange($.start, 1001, 1)", "at most 1000"},
		{"ArrayRange not a number", "States.ArrayRange($.str, 2, 1)", "must be a number"},
		{"ArrayRange beyond int32", "States.ArrayRange($.big, 1, 1)", "outside the integer range"},
		{"ArrayGetItem out of bounds", "States.ArrayGetItem($.inputArray, 9)", "index 9 is out of bounds for an array of length 9"},
		{"ArrayGetItem negative", "States.ArrayGetItem($.inputArray, $.step)", "out of bounds"},
		{"ArrayGetItem not an array", "States.ArrayGetItem($.obj, 0)", "must be an array"},
		{"ArrayGetItem index not a number", "States.ArrayGetItem($.inputArray, $.str)", "must be a number"},
		{"ArrayLength not an array", "States.ArrayLength($.str)", "must be an array, got a string"},
		{"ArrayLength null", "States.ArrayLength($.nul)", "must be an array, got null"},
		{"ArrayUnique not an array", "States.ArrayUnique($.obj)", "must be an array"},
		{"Base64Encode not a string", "States.Base64Encode($.Id)", "must be a string, got a number"},
		{"Base64Encode over the limit", "States.Base64Encode($.longer)", "10001 characters; at most 10000"},
		{"Base64Decode over the limit", "States.Base64Decode($.longer)", "10001 characters; at most 10000"},
		{"Base64Decode invalid", "States.Base64Decode($.bad64)", "not Base64"},
		{"Base64Decode not a string", "States.Base64Decode($.arr)", "must be a string"},
		{"Hash unknown algorithm", "States.Hash($.Data, $.str)", `unsupported algorithm "text"`},
		{"Hash lower-case algorithm", "States.Hash($.Data, States.Format('sha-1'))", "unsupported algorithm"},
		{"Hash over the limit", "States.Hash($.longer, 'MD5')", "10001 characters; at most 10000"},
		{"Hash data not a string", "States.Hash($.obj, 'MD5')", "argument 1 must be a string"},
		{"JsonMerge deep from input", "States.JsonMerge($.json1, $.json2, $.tru)", "deep merging is not supported"},
		{"JsonMerge not an object", "States.JsonMerge($.json1, $.arr, false)", "argument 2 must be an object, got an array"},
		{"JsonMerge flag not a boolean", "States.JsonMerge($.json1, $.json2, $.str)", "argument 3 must be a boolean"},
		{"MathRandom empty range", "States.MathRandom($.end, $.start)", "must be greater than the start"},
		{"MathRandom equal bounds", "States.MathRandom($.start, $.start)", "must be greater than the start"},
		{"MathRandom not a number", "States.MathRandom($.str, 3)", "must be a number"},
		{"MathRandom seed not a number", "States.MathRandom(1, 3, $.str)", "argument 3 must be a number"},
		{"MathAdd beyond int32", "States.MathAdd($.big, 1)", "outside the integer range -2147483648 to 2147483647"},
		{"MathAdd rounding beyond int32", "States.MathAdd(2147483647.5, $.ctx)", "outside the integer range"},
		{"MathAdd not a number", "States.MathAdd($.str, 1)", "argument 1 must be a number, got a string"},
		{"MathAdd boolean", "States.MathAdd($.tru, 1)", "got a boolean"},
		{"StringSplit not a string", "States.StringSplit($.arr, ',')", "argument 1 must be a string"},
		{"StringSplit delimiter not a string", "States.StringSplit($.str, $.Id)", "argument 2 must be a string"},
		{"nested failure propagates", "States.Array(States.ArrayGetItem($.emptyArray, 0))", "States.ArrayGetItem: index 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eval(t, tt.expr)
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("Eval(%s) = %v, %v; want *Error", tt.expr, got, err)
			}
			if ie.Name != "States.IntrinsicFailure" {
				t.Errorf("Name = %q, want States.IntrinsicFailure", ie.Name)
			}
			if !strings.Contains(ie.Message, tt.want) {
				t.Errorf("Message = %q, want it to contain %q", ie.Message, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "States.IntrinsicFailure: ") {
				t.Errorf("Error() = %q, want the name first", err.Error())
			}
		})
	}
}

func TestEval_resolverErrorsPassThrough(t *testing.T) {
	call, err := Parse("States.Format('{}', $.missing.field)")
	if err != nil {
		t.Fatal(err)
	}
	_, err = call.Eval(resolverFor(t, testInput(t)))
	if !errors.Is(err, errPathNotFound) {
		t.Fatalf("err = %v, want it to wrap the resolver's error", err)
	}
	var ie *Error
	if errors.As(err, &ie) {
		t.Errorf("a resolver error must not become %v", ie)
	}
	if !strings.Contains(err.Error(), "$.missing.field") {
		t.Errorf("err = %v, want the path in the message", err)
	}
}

func TestEval_nilResolverWithPath(t *testing.T) {
	call, err := Parse("States.Array($.a)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call.Eval(nil); err == nil {
		t.Fatal("Eval(nil) with a path argument succeeded")
	}
}

func TestEval_MathRandomRange(t *testing.T) {
	call, err := Parse("States.MathRandom($.start, $.end)")
	if err != nil {
		t.Fatal(err)
	}
	resolve := resolverFor(t, testInput(t))
	for range 200 {
		v, err := call.Eval(resolve)
		if err != nil {
			t.Fatal(err)
		}
		n, err := v.(json.Number).Int64()
		if err != nil || n < 1 || n >= 999 {
			t.Fatalf("MathRandom(1, 999) = %v, want an integer in [1, 999)", v)
		}
	}
}

func TestEval_MathRandomSeedsDiffer(t *testing.T) {
	seen := map[any]bool{}
	for _, seed := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		v, err := eval(t, "States.MathRandom(0, 1000000, "+seed+")")
		if err != nil {
			t.Fatal(err)
		}
		seen[v] = true
	}
	if len(seen) < 2 {
		t.Errorf("eight seeds gave one value %v; the seed is ignored", seen)
	}
}

func TestEval_UUID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, err := eval(t, "States.UUID()")
	if err != nil {
		t.Fatal(err)
	}
	b, err := eval(t, "States.UUID()")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{a, b} {
		if s, ok := v.(string); !ok || !v4.MatchString(s) {
			t.Errorf("UUID() = %#v, want a lower-case v4 UUID", v)
		}
	}
	if a == b {
		t.Errorf("two UUID() calls returned %v", a)
	}
}

func TestEval_doesNotAliasInputs(t *testing.T) {
	input := testInput(t)
	call, err := Parse("States.JsonMerge($.json1, $.json2, false)")
	if err != nil {
		t.Fatal(err)
	}
	v, err := call.Eval(resolverFor(t, input))
	if err != nil {
		t.Fatal(err)
	}
	v.(*value.Object).Set("b", "changed")
	if got := input.(map[string]any)["json1"].(map[string]any)["b"]; got != json.Number("2") {
		t.Errorf("merging changed its input: json1.b = %v", got)
	}
}

func TestIsCall(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"States.Array($.Id)", true},
		{"  States.UUID()  ", true},
		{"States.Format('{}', $.a)", true},
		{"$.States.Array", false},
		{"$.a", false},
		{"States.Array", false},
		{"states.Array()", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsCall(tt.in); got != tt.want {
				t.Errorf("IsCall(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
