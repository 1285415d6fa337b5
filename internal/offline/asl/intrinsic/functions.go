package intrinsic

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	mathrand "math/rand/v2"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// kind is the type an argument must have.
type kind int

const (
	anyKind kind = iota
	stringKind
	integerKind // a number; non-integers are rounded as AWS documents
	booleanKind
	arrayKind
	objectKind
	pathKind // written as a path; its value may be anything
)

func (k kind) String() string {
	switch k {
	case stringKind:
		return "a string"
	case integerKind:
		return "a number"
	case booleanKind:
		return "a boolean"
	case arrayKind:
		return "an array"
	case objectKind:
		return "an object"
	case pathKind:
		return "a path"
	}
	return "any value"
}

// function describes one States.* function: its arity, the kind of each
// argument (the last kind repeats for variadic functions) and its body, which
// receives arguments already checked against those kinds.
type function struct {
	name    string
	minArgs int
	maxArgs int // -1: no limit
	kinds   []kind
	run     func(c *callNode, args []any) (any, error)
	// pure functions whose arguments are all literals are evaluated once at
	// parse time so that AWS's value rules (ranges, algorithm names, …)
	// surface as definition errors, like arity does.
	pure bool
}

// dataLimit is the documented input limit, in characters, of Base64Encode,
// Base64Decode and Hash.
const dataLimit = 10000

// rangeLimit is the documented maximum length of an ArrayRange result.
const rangeLimit = 1000

// functions is the catalogue of States.* functions by name. It is built by a
// variable initializer, not init, so package-level test values may parse.
var functions = catalogue()

func catalogue() map[string]*function {
	list := []*function{
		{name: "States.Format", minArgs: 1, maxArgs: -1, kinds: []kind{stringKind, anyKind}, run: format, pure: true},
		{name: "States.StringToJson", minArgs: 1, maxArgs: 1, kinds: []kind{stringKind}, run: stringToJSON, pure: true},
		{name: "States.JsonToString", minArgs: 1, maxArgs: 1, kinds: []kind{pathKind}, run: jsonToString},
		{name: "States.Array", minArgs: 0, maxArgs: -1, kinds: []kind{anyKind}, run: array, pure: true},
		{name: "States.ArrayPartition", minArgs: 2, maxArgs: 2, kinds: []kind{arrayKind, integerKind}, run: arrayPartition},
		{name: "States.ArrayContains", minArgs: 2, maxArgs: 2, kinds: []kind{arrayKind, anyKind}, run: arrayContains},
		{name: "States.ArrayRange", minArgs: 3, maxArgs: 3, kinds: []kind{integerKind, integerKind, integerKind}, run: arrayRange, pure: true},
		{name: "States.ArrayGetItem", minArgs: 2, maxArgs: 2, kinds: []kind{arrayKind, integerKind}, run: arrayGetItem},
		{name: "States.ArrayLength", minArgs: 1, maxArgs: 1, kinds: []kind{arrayKind}, run: arrayLength},
		{name: "States.ArrayUnique", minArgs: 1, maxArgs: 1, kinds: []kind{arrayKind}, run: arrayUnique},
		{name: "States.Base64Encode", minArgs: 1, maxArgs: 1, kinds: []kind{stringKind}, run: base64Encode, pure: true},
		{name: "States.Base64Decode", minArgs: 1, maxArgs: 1, kinds: []kind{stringKind}, run: base64Decode, pure: true},
		{name: "States.Hash", minArgs: 2, maxArgs: 2, kinds: []kind{stringKind, stringKind}, run: hashOf, pure: true},
		{name: "States.JsonMerge", minArgs: 3, maxArgs: 3, kinds: []kind{objectKind, objectKind, booleanKind}, run: jsonMerge},
		{name: "States.MathRandom", minArgs: 2, maxArgs: 3, kinds: []kind{integerKind, integerKind, integerKind}, run: mathRandom, pure: true},
		{name: "States.MathAdd", minArgs: 2, maxArgs: 2, kinds: []kind{integerKind, integerKind}, run: mathAdd, pure: true},
		{name: "States.StringSplit", minArgs: 2, maxArgs: 2, kinds: []kind{stringKind, stringKind}, run: stringSplit, pure: true},
		{name: "States.UUID", minArgs: 0, maxArgs: 0, run: newUUID},
	}
	byName := make(map[string]*function, len(list))
	for _, f := range list {
		byName[f.name] = f
	}
	return byName
}

func (f *function) kindOf(i int) kind {
	if len(f.kinds) == 0 {
		return anyKind
	}
	return f.kinds[min(i, len(f.kinds)-1)]
}

// check applies the rules that need no input: arity, the kind of literal
// arguments, and, for pure functions of literals only, the function itself.
func (f *function) check(c *callNode) *Error {
	n := len(c.args)
	switch {
	case f.maxArgs < 0 && n < f.minArgs:
		return failf("%s takes at least %d argument(s), got %d", f.name, f.minArgs, n)
	case f.maxArgs >= 0 && (n < f.minArgs || n > f.maxArgs):
		if f.minArgs == f.maxArgs {
			return failf("%s takes %d argument(s), got %d", f.name, f.minArgs, n)
		}
		return failf("%s takes %d to %d arguments, got %d", f.name, f.minArgs, f.maxArgs, n)
	}
	allLiteral := true
	vals := make([]any, n)
	for i, a := range c.args {
		k := f.kindOf(i)
		if k == pathKind {
			if _, ok := a.(*pathArg); !ok {
				return failf("%s: argument %d must be a path", f.name, i+1)
			}
		}
		lit, ok := a.(*literal)
		if !ok {
			allLiteral = false
			continue
		}
		if err := f.checkKind(i, lit.value); err != nil {
			return err
		}
		vals[i] = lit.value
	}
	if f.name == "States.Format" {
		if lit, ok := c.args[0].(*literal); ok && len(lit.holes) != n-1 {
			return failf("States.Format: the template has %d {} placeholder(s) but %d argument(s) follow it", len(lit.holes), n-1)
		}
	}
	if f.name == "States.JsonMerge" {
		if lit, ok := c.args[2].(*literal); ok && lit.value == true {
			return failf("States.JsonMerge: deep merging is not supported; the third argument must be false")
		}
	}
	if f.name == "States.ArrayPartition" {
		if lit, ok := c.args[1].(*literal); ok {
			if size, err := toInt32(f.name, 2, lit.value); err != nil {
				return err.(*Error)
			} else if size <= 0 {
				return failf("States.ArrayPartition: the chunk size must be a positive integer, got %d", size)
			}
		}
	}
	if f.pure && allLiteral {
		if _, err := f.run(c, vals); err != nil {
			if ie, ok := err.(*Error); ok {
				return ie
			}
			return failf("%v", err)
		}
	}
	return nil
}

// checkKind reports whether v may be argument i of f.
func (f *function) checkKind(i int, v any) *Error {
	k := f.kindOf(i)
	ok := true
	switch k {
	case stringKind:
		_, ok = v.(string)
	case integerKind:
		_, ok = numberText(v)
	case booleanKind:
		_, ok = v.(bool)
	case arrayKind:
		_, ok = v.([]any)
	case objectKind:
		ok = value.IsObject(v)
	}
	if !ok {
		return failf("%s: argument %d must be %s, got %s", f.name, i+1, k, typeName(v))
	}
	return nil
}

func (f *function) eval(c *callNode, args []any) (any, error) {
	for i, v := range args {
		if err := f.checkKind(i, v); err != nil {
			return nil, err
		}
	}
	return f.run(c, args)
}

// format implements States.Format. Strings are inserted as they are; numbers,
// booleans and null as their JSON text. The ASL specification forbids arrays
// and objects as arguments.
func format(c *callNode, args []any) (any, error) {
	tmpl := args[0].(string)
	var holes []int
	if lit, ok := c.args[0].(*literal); ok {
		holes = lit.holes
	} else {
		// A template read from the input has no escapes: every {} is a hole.
		for i := 0; ; {
			j := strings.Index(tmpl[i:], "{}")
			if j < 0 {
				break
			}
			holes = append(holes, i+j)
			i += j + 2
		}
	}
	if len(holes) != len(args)-1 {
		return nil, failf("States.Format: the template has %d {} placeholder(s) but %d argument(s) follow it", len(holes), len(args)-1)
	}
	var b strings.Builder
	last := 0
	for i, h := range holes {
		b.WriteString(tmpl[last:h])
		s, err := formatValue(args[i+1])
		if err != nil {
			return nil, failf("States.Format: argument %d: %s", i+2, err)
		}
		b.WriteString(s)
		last = h + 2
	}
	b.WriteString(tmpl[last:])
	return b.String(), nil
}

func formatValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		// AWS prints arrays and objects as Java's toString does ([a, b],
		// {key=value}), with strings unquoted, as its recorded answers show.
		parts := make([]string, len(x))
		for i, e := range x {
			t, err := formatValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = t
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any, *value.Object:
		keys, _ := value.Keys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			member, _, _ := value.Field(x, k)
			t, err := formatValue(member)
			if err != nil {
				return "", err
			}
			parts[i] = k + "=" + t
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	}
	if t, ok := numberText(v); ok {
		return t, nil
	}
	return "", fmt.Errorf("unsupported value of type %T", v)
}

func stringToJSON(_ *callNode, args []any) (any, error) {
	s := args[0].(string)
	if strings.TrimSpace(s) == "" {
		// AWS answers null for an empty or blank string (recorded behaviour).
		return nil, nil
	}
	v, err := value.Decode([]byte(s))
	if err != nil {
		if strings.Contains(err.Error(), "after the JSON value") {
			return nil, failf("States.StringToJson: the argument has data after the JSON value")
		}
		return nil, failf("States.StringToJson: the argument is not JSON text: %v", err)
	}
	return v, nil
}

func jsonToString(_ *callNode, args []any) (any, error) {
	s, err := compactJSON(args[0])
	if err != nil {
		return nil, failf("States.JsonToString: %v", err)
	}
	return s, nil
}

func array(_ *callNode, args []any) (any, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func arrayPartition(_ *callNode, args []any) (any, error) {
	arr := args[0].([]any)
	size, err := toInt32("States.ArrayPartition", 2, args[1])
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, failf("States.ArrayPartition: the chunk size must be a positive integer, got %d", size)
	}
	n := int(size)
	out := make([]any, 0, (len(arr)+n-1)/n)
	for i := 0; i < len(arr); i += n {
		chunk := make([]any, min(n, len(arr)-i))
		copy(chunk, arr[i:])
		out = append(out, chunk)
	}
	return out, nil
}

func arrayContains(_ *callNode, args []any) (any, error) {
	want := canonicalKey(args[1])
	for _, v := range args[0].([]any) {
		if canonicalKey(v) == want {
			return true, nil
		}
	}
	return false, nil
}

func arrayRange(_ *callNode, args []any) (any, error) {
	var ends [3]int64
	for i := range ends {
		v, err := toInt32("States.ArrayRange", i+1, args[i])
		if err != nil {
			return nil, err
		}
		ends[i] = v
	}
	start, end, step := ends[0], ends[1], ends[2]
	if step == 0 {
		return nil, failf("States.ArrayRange: the step must not be 0")
	}
	// int32 operands keep this arithmetic far from int64 overflow.
	count := int64(0)
	if (step > 0 && end >= start) || (step < 0 && end <= start) {
		count = (end-start)/step + 1
	}
	if count > rangeLimit {
		return nil, failf("States.ArrayRange: the range has %d items; at most %d are allowed", count, rangeLimit)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = json.Number(strconv.FormatInt(start+int64(i)*step, 10))
	}
	return out, nil
}

func arrayGetItem(_ *callNode, args []any) (any, error) {
	arr := args[0].([]any)
	idx, err := toInt32("States.ArrayGetItem", 2, args[1])
	if err != nil {
		return nil, err
	}
	if idx < 0 || idx >= int64(len(arr)) {
		return nil, failf("States.ArrayGetItem: index %d is out of bounds for an array of length %d", idx, len(arr))
	}
	return arr[idx], nil
}

func arrayLength(_ *callNode, args []any) (any, error) {
	return json.Number(strconv.Itoa(len(args[0].([]any)))), nil
}

// arrayUnique keeps the first occurrence of every value, in order.
func arrayUnique(_ *callNode, args []any) (any, error) {
	arr := args[0].([]any)
	seen := make(map[string]struct{}, len(arr))
	out := make([]any, 0, len(arr))
	for _, v := range arr {
		k := canonicalKey(v)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, v)
	}
	return out, nil
}

func base64Encode(_ *callNode, args []any) (any, error) {
	s := args[0].(string)
	if n := javaLength(s); n > dataLimit {
		return nil, failf("States.Base64Encode: the input has %d characters; at most %d are allowed", n, dataLimit)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

// base64Decode decodes MIME Base64: line breaks are ignored, and the bytes
// are read as UTF-8 with invalid sequences replaced, as a Java String would.
func base64Decode(_ *callNode, args []any) (any, error) {
	s := args[0].(string)
	if n := javaLength(s); n > dataLimit {
		return nil, failf("States.Base64Decode: the input has %d characters; at most %d are allowed", n, dataLimit)
	}
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, failf("States.Base64Decode: the input is not Base64: %v", err)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

func hashOf(_ *callNode, args []any) (any, error) {
	data, algorithm := args[0].(string), args[1].(string)
	newHash, ok := hashes[algorithm]
	if !ok {
		return nil, failf("States.Hash: unsupported algorithm %q; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512", algorithm)
	}
	if n := javaLength(data); n > dataLimit {
		return nil, failf("States.Hash: the input has %d characters; at most %d are allowed", n, dataLimit)
	}
	h := newHash()
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jsonMerge merges shallowly: the second object's keys replace the first's.
func jsonMerge(_ *callNode, args []any) (any, error) {
	if args[2].(bool) {
		return nil, failf("States.JsonMerge: deep merging is not supported; the third argument must be false")
	}
	// The first object's keys keep their places, the second's new keys
	// follow, as a Java LinkedHashMap merges.
	out := value.NewObject(0)
	for _, obj := range args[:2] {
		keys, _ := value.Keys(obj)
		for _, k := range keys {
			member, _, _ := value.Field(obj, k)
			out.Set(k, member)
		}
	}
	return out, nil
}

// mathRandom returns an integer in [start, end). With a seed the sequence is
// deterministic, so the same seed yields the same number, as documented.
func mathRandom(_ *callNode, args []any) (any, error) {
	start, err := toInt32("States.MathRandom", 1, args[0])
	if err != nil {
		return nil, err
	}
	end, err := toInt32("States.MathRandom", 2, args[1])
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, failf("States.MathRandom: the end (%d) must be greater than the start (%d)", end, start)
	}
	var n int64
	if len(args) == 3 {
		seed, err := toInt32("States.MathRandom", 3, args[2])
		if err != nil {
			return nil, err
		}
		r := mathrand.New(mathrand.NewPCG(uint64(seed), 0))
		n = r.Int64N(end - start)
	} else {
		n = mathrand.Int64N(end - start)
	}
	return json.Number(strconv.FormatInt(start+n, 10)), nil
}

func mathAdd(_ *callNode, args []any) (any, error) {
	a, err := toInt32("States.MathAdd", 1, args[0])
	if err != nil {
		return nil, err
	}
	b, err := toInt32("States.MathAdd", 2, args[1])
	if err != nil {
		return nil, err
	}
	return json.Number(strconv.FormatInt(a+b, 10)), nil
}

// stringSplit splits on every character of the delimiter string and drops
// empty pieces: "This.is+a,test=string" split by ".+,=" gives five words.
func stringSplit(_ *callNode, args []any) (any, error) {
	s, delims := args[0].(string), args[1].(string)
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID(*callNode, []any) (any, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, failf("States.UUID: read random bytes: %v", err)
	}
	return id.String(), nil
}

// toInt32 converts a numeric argument to an integer in the int32 range,
// rounding a non-integer half up as Java's Math.round does (AWS documents
// that non-integers are rounded to the nearest integer).
func toInt32(name string, pos int, v any) (int64, error) {
	text, _ := numberText(v)
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		if i < math.MinInt32 || i > math.MaxInt32 {
			return 0, failf("%s: argument %d (%s) is outside the integer range %d to %d", name, pos, text, math.MinInt32, math.MaxInt32)
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, failf("%s: argument %d (%s) is not a usable number", name, pos, text)
	}
	r := math.Floor(f + 0.5)
	if r < math.MinInt32 || r > math.MaxInt32 {
		return 0, failf("%s: argument %d (%s) is outside the integer range %d to %d", name, pos, text, math.MinInt32, math.MaxInt32)
	}
	return int64(r), nil
}

// javaLength counts UTF-16 code units, the "characters" of AWS's Java-based
// limits. An invalid UTF-8 byte counts as one.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}
