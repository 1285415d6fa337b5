package jtypes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// Limits on the values an evaluation builds (stepgate): without them an
// expression that doubles a string or an array a few dozen times exhausts
// the memory of the whole process.
const (
	// MaxStringBytes bounds a string result.
	MaxStringBytes = 16 << 20
	// MaxArrayItems bounds an array result, and the items all the range
	// operators of one evaluation allocate (upstream bounds each range
	// alone, as npm jsonata does).
	MaxArrayItems = 10000000
)

// stepgate: Map is a JSON object that keeps its keys in insertion order, as
// JavaScript objects do, so that JSONata results keep the order of their
// input and of their object constructors (upstream's objects are Go maps,
// whose results came back in an arbitrary order). IsMap reports true for a
// *Map; read and write one through MapKeys, MapIndex, SetMapIndex and
// MapLen, which also accept Go maps.
type Map struct {
	keys   []string
	values map[string]interface{}
}

// NewMap returns an empty Map with room for n keys.
func NewMap(n int) *Map {
	return &Map{keys: make([]string, 0, n), values: make(map[string]interface{}, n)}
}

// Keys returns the keys in insertion order; the caller must not modify them.
func (m *Map) Keys() []string { return m.keys }

// Len is the number of keys.
func (m *Map) Len() int { return len(m.keys) }

// Get returns the value of k.
func (m *Map) Get(k string) (interface{}, bool) {
	v, ok := m.values[k]
	return v, ok
}

// Set sets k to v: a new key goes last, an existing one keeps its place.
func (m *Map) Set(k string, v interface{}) {
	if _, ok := m.values[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.values[k] = v
}

// Delete removes k.
func (m *Map) Delete(k string) {
	if _, ok := m.values[k]; !ok {
		return
	}
	delete(m.values, k)
	for i, key := range m.keys {
		if key == k {
			m.keys = append(m.keys[:i:i], m.keys[i+1:]...)
			break
		}
	}
}

// Clone returns a shallow copy.
func (m *Map) Clone() *Map {
	c := NewMap(len(m.keys))
	for _, k := range m.keys {
		c.Set(k, m.values[k])
	}
	return c
}

// MarshalJSON writes the object in its key order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.values[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// String prints the object as fmt prints a Go map (keys sorted), so that
// objects with the same members print alike whatever their order ($distinct).
func (m *Map) String() string {
	keys := append([]string(nil), m.keys...)
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("map[")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%v", k, m.values[k])
	}
	b.WriteByte(']')
	return b.String()
}

var typeMapPtr = reflect.TypeOf((*Map)(nil))

// AsOrderedMap returns the *Map v holds, if it holds one.
func AsOrderedMap(v reflect.Value) (*Map, bool) {
	v = Resolve(v)
	if !v.IsValid() || v.Type() != typeMapPtr || v.IsNil() {
		return nil, false
	}
	return v.Interface().(*Map), true
}

// MapKeys returns an object's keys: a *Map's in insertion order, a Go map's
// sorted.
func MapKeys(v reflect.Value) []reflect.Value {
	if m, ok := AsOrderedMap(v); ok {
		out := make([]reflect.Value, len(m.keys))
		for i, k := range m.keys {
			out[i] = reflect.ValueOf(k)
		}
		return out
	}
	v = Resolve(v)
	keys := v.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface()) })
	return keys
}

// MapIndex returns the value of key in an object, or the zero Value.
func MapIndex(v reflect.Value, key reflect.Value) reflect.Value {
	if m, ok := AsOrderedMap(v); ok {
		k, isStr := key.Interface().(string)
		if !isStr {
			return reflect.Value{}
		}
		val, found := m.values[k]
		if !found {
			return reflect.Value{}
		}
		// As a Go map's MapIndex: an interface Value, valid even for nil.
		return reflect.ValueOf(&val).Elem()
	}
	return Resolve(v).MapIndex(key)
}

// SetMapIndex sets key to val in an object; the zero Value deletes key.
func SetMapIndex(v reflect.Value, key, val reflect.Value) {
	if m, ok := AsOrderedMap(v); ok {
		k := Resolve(key).String()
		if !val.IsValid() {
			m.Delete(k)
			return
		}
		m.Set(k, val.Interface())
		return
	}
	Resolve(v).SetMapIndex(key, val)
}

// MapLen is the number of keys of an object.
func MapLen(v reflect.Value) int {
	if m, ok := AsOrderedMap(v); ok {
		return m.Len()
	}
	return Resolve(v).Len()
}

// DeepEqual compares two JSON values as JSONata's = does: objects by their
// members, whatever their key order.
func DeepEqual(a, b interface{}) bool {
	ma, okA := a.(*Map)
	mb, okB := b.(*Map)
	if okA || okB {
		if !okA || !okB || ma.Len() != mb.Len() {
			return false
		}
		for _, k := range ma.keys {
			vb, found := mb.values[k]
			if !found || !DeepEqual(ma.values[k], vb) {
				return false
			}
		}
		return true
	}
	sa, okA := a.([]interface{})
	sb, okB := b.([]interface{})
	if okA && okB {
		if len(sa) != len(sb) {
			return false
		}
		for i := range sa {
			if !DeepEqual(sa[i], sb[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
