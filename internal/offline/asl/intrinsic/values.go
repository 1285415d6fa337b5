package intrinsic

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// numberText returns the JSON text of a numeric value. The engine's values
// carry json.Number; the other Go numeric types are accepted so that values
// built in Go (tests, the engine's own results) work too.
func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return string(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	}
	return "", false
}

// typeName names a value's JSON type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any, *value.Object:
		return "an object"
	}
	if _, ok := numberText(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// canonicalKey encodes v so that two JSON values are equal exactly when their
// keys are: object keys are sorted and numbers are normalised, so 1, 1.0 and
// 1e0 compare equal as they do in JSON.
func canonicalKey(v any) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		b.WriteString(strconv.Quote(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case map[string]any, *value.Object:
		// Sorted whatever the order: equal objects compare equal.
		keys, _ := value.Keys(x)
		keys = append([]string(nil), keys...)
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			member, _, _ := value.Field(x, k)
			writeCanonical(b, member)
		}
		b.WriteByte('}')
	default:
		text, ok := numberText(v)
		if !ok {
			fmt.Fprintf(b, "?%T:%v", v, v)
			return
		}
		b.WriteByte('#')
		b.WriteString(normalizeNumber(text))
	}
}

// normalizeNumber maps equal numbers to one spelling. Integers keep full
// precision (beyond 2^53); other values compare as float64.
func normalizeNumber(text string) string {
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return text // out of float64 range: compare as written
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// compactJSON renders v as compact JSON text without HTML escaping, the form
// the ASL specification shows for States.JsonToString.
func compactJSON(v any) (string, error) {
	b, err := value.Append(nil, v)
	if err != nil {
		return "", fmt.Errorf("encode JSON: %w", err)
	}
	return string(b), nil
}
