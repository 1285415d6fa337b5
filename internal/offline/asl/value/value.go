// Package value holds JSON values as the ASL engine keeps them: objects
// that remember the order of their keys, as Step Functions does in every
// output, States.JsonToString and States.Format, besides encoding/json's
// generic values (json.Number, string, bool, nil, []any, map[string]any).
// A map[string]any is still an object everywhere (the engine builds some
// itself); it has no order and is written with sorted keys.
package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Object is a JSON object that keeps its keys in insertion order. The
// engine never modifies a value it has handed on: Set is for building.
type Object struct {
	keys []string
	m    map[string]any
}

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), m: make(map[string]any, n)}
}

// Get returns the value of key k.
func (o *Object) Get(k string) (any, bool) {
	v, ok := o.m[k]
	return v, ok
}

// Set gives k the value v: a new key goes last, an existing one keeps its
// place (as a Java LinkedHashMap, which AWS's engine uses).
func (o *Object) Set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

// Keys returns the keys in order; the caller must not modify the slice.
func (o *Object) Keys() []string { return o.keys }

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Clone returns a shallow copy with room for one more key.
func (o *Object) Clone() *Object {
	c := &Object{keys: make([]string, len(o.keys), len(o.keys)+1), m: make(map[string]any, len(o.m)+1)}
	copy(c.keys, o.keys)
	for k, v := range o.m {
		c.m[k] = v
	}
	return c
}

// MarshalJSON writes the object in its key order.
func (o *Object) MarshalJSON() ([]byte, error) { return Append(nil, o) }

// IsObject reports whether v is a JSON object (ordered or not).
func IsObject(v any) bool {
	switch v.(type) {
	case *Object, map[string]any:
		return true
	}
	return false
}

// Keys returns an object's keys, in order for an Object and sorted for a
// map; ok is false when v is not an object.
func Keys(v any) (keys []string, ok bool) {
	switch o := v.(type) {
	case *Object:
		return o.keys, true
	case map[string]any:
		keys = make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys, true
	}
	return nil, false
}

// Field returns member k of object v; isObj is false when v is not an
// object.
func Field(v any, k string) (member any, found, isObj bool) {
	switch o := v.(type) {
	case *Object:
		member, found = o.m[k]
		return member, found, true
	case map[string]any:
		member, found = o[k]
		return member, found, true
	}
	return nil, false, false
}

// Ordered returns v as an *Object (a copy for a map, in sorted key order).
func Ordered(v any) (*Object, bool) {
	switch o := v.(type) {
	case *Object:
		return o, true
	case map[string]any:
		keys, _ := Keys(o)
		out := NewObject(len(keys))
		for _, k := range keys {
			out.Set(k, o[k])
		}
		return out, true
	}
	return nil, false
}

// Plain converts every Object inside v to a map[string]any, for code that
// knows only encoding/json's generic values (a JSONPath filter, JSONata).
func Plain(v any) any {
	switch x := v.(type) {
	case *Object:
		m := make(map[string]any, len(x.keys))
		for k, e := range x.m {
			m[k] = Plain(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Plain(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = Plain(e)
		}
		return a
	}
	return v
}

// Decode reads one JSON value, objects as *Object and numbers as
// json.Number; data after the value is an error.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeNext(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// maxDepth is encoding/json's nesting limit, kept so that a hostile input
// cannot recurse deeply.
const maxDepth = 10000

func decodeNext(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("exceeded max depth")
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := NewObject(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeNext(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeNext(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

// Append writes v as compact JSON without HTML escaping, as Step Functions
// shows values: an Object in its key order, a map with sorted keys.
func Append(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case string:
		return appendString(buf, x), nil
	case json.Number:
		if x == "" {
			return append(buf, '0'), nil
		}
		return append(buf, x...), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("unsupported value: %v", x)
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return append(buf, b...), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = Append(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case *Object:
		buf = append(buf, '{')
		for i, k := range x.keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = Append(buf, x.m[k]); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case map[string]any:
		keys, _ := Keys(x)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = Append(buf, x[k]); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(buf, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does with HTML escaping off:
// control characters, quote and backslash escaped, invalid UTF-8 replaced,
// U+2028 and U+2029 escaped.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
