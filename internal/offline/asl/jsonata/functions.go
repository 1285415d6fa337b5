package jsonata

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"

	blues "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jtypes"
	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// awsFunctions are the functions Step Functions adds to JSONata ("Step
// Functions provided JSONata functions", Transforming data with JSONata in
// Step Functions). Their failures are States.QueryEvaluationError in the
// engine.
var awsFunctions = map[string]blues.Extension{
	"partition": {Func: partition},
	"range":     {Func: rangeFn},
	"hash":      {Func: hashFn},
	"random":    {Func: randomFn},
	"uuid":      {Func: func() string { return uuid.NewString() }},
	"parse":     {Func: parse},

	// Overrides where the library departs from npm jsonata 2.x, which AWS
	// runs (see DIVERGENCES.md).
	"string": {
		Func:               stringFn,
		UndefinedHandler:   jtypes.ArgUndefined(0),
		EvalContextHandler: jtypes.ArgCountEquals(0),
	},
	"encodeUrlComponent": {
		Func:             encodeURIComponent,
		UndefinedHandler: jtypes.ArgUndefined(0),
	},
}

// stringFn is $string as npm jsonata has it: numbers, also inside arrays
// and objects, are printed with 15 significant digits (0.1+0.2 is "0.3").
func stringFn(v reflect.Value, pretty jtypes.OptionalBool) (string, error) {
	if v.IsValid() && v.Kind() == reflect.String {
		return v.String(), nil
	}
	if !v.IsValid() || (v.Kind() == reflect.Ptr && v.IsNil()) {
		return "null", nil
	}
	if _, isFn := v.Interface().(jtypes.Callable); isFn || v.Kind() == reflect.Func {
		return "", nil
	}
	val, err := fromLib(v.Interface())
	if err != nil {
		return "", err
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if pretty.IsSet() && pretty.Bool {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(precision15(val)); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func precision15(v any) any {
	switch v := v.(type) {
	case *value.Object:
		o := value.NewObject(v.Len())
		for _, k := range v.Keys() {
			e, _ := v.Get(k)
			o.Set(k, precision15(e))
		}
		return o
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v
		}
		r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
		n, err := number(r)
		if err != nil {
			return v
		}
		return n
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = precision15(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = precision15(e)
		}
		return a
	}
	return v
}

// encodeURIComponent escapes as JavaScript's encodeURIComponent: a space
// is %20, and A–Z a–z 0–9 - _ . ! ~ * ' ( ) stay as they are.
func encodeURIComponent(s string) string {
	const keep = "-_.!~*'()"
	var b strings.Builder
	for _, c := range []byte(s) {
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func partition(arr []any, size float64) ([]any, error) {
	if size < 1 || size != math.Trunc(size) {
		return nil, fmt.Errorf("$partition: the chunk size must be a positive integer, not %v", size)
	}
	n := int(size)
	out := make([]any, 0, (len(arr)+n-1)/n)
	for i := 0; i < len(arr); i += n {
		out = append(out, append([]any(nil), arr[i:min(i+n, len(arr))]...))
	}
	return out, nil
}

// maxRangeItems bounds $range like the other array-building functions of
// Step Functions (States.ArrayRange allows 1000 items).
const maxRangeItems = 1000

// rangeFn is AWS's $range. A one-item range is the item, not an array:
// AWS answers $range(1, 9, 9) with 1 (LocalStack's AWS-validated snapshot
// test_array_jsonata.snapshot.json, test_array_range), JSONata's rule for
// a sequence of one value.
func rangeFn(start, end, step float64) (any, error) {
	if step == 0 {
		return nil, errors.New("$range: the step must not be 0")
	}
	if start != math.Trunc(start) || end != math.Trunc(end) || step != math.Trunc(step) {
		return nil, errors.New("$range: the arguments must be integers")
	}
	var out []any
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) == maxRangeItems {
			return nil, fmt.Errorf("$range: the result has more than %d items", maxRangeItems)
		}
		out = append(out, v)
	}
	switch len(out) {
	case 0:
		return []any{}, nil
	case 1:
		return out[0], nil
	}
	return out, nil
}

func hashFn(data any, algorithm string) (string, error) {
	var h hash.Hash
	switch algorithm {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return "", fmt.Errorf("$hash: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, not %q", algorithm)
	}
	s, ok := data.(string)
	if !ok {
		v, err := fromLib(data)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		s = string(b)
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func randomFn(seed jtypes.OptionalFloat64) float64 {
	if seed.IsSet() {
		return rand.New(rand.NewPCG(uint64(int64(seed.Float64)), 0)).Float64()
	}
	return rand.Float64()
}

func parse(s string) (any, error) {
	v, err := value.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("$parse: the string is not JSON: %w", err)
	}
	// Back to the library's representation (doubles, typed null).
	return toLib(v), nil
}
