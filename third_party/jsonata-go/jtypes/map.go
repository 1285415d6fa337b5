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
// MapLen, which also accept Go maps. Small objects, the usual ones, are a
// slice searched in order; an index is built past indexFrom keys.
type Map struct {
	entries []mapEntry
	index   map[string]int
}

type mapEntry struct {
	key   string
	value interface{}
}

const indexFrom = 16

// NewMap returns an empty Map with room for n keys.
func NewMap(n int) *Map {
	return &Map{entries: make([]mapEntry, 0, n)}
}

// Len is the number of keys.
func (m *Map) Len() int { return len(m.entries) }

// Entry returns the i-th key and its value, in insertion order.
func (m *Map) Entry(i int) (string, interface{}) {
	return m.entries[i].key, m.entries[i].value
}

// Keys returns the keys in insertion order.
func (m *Map) Keys() []string {
	keys := make([]string, len(m.entries))
	for i, e := range m.entries {
		keys[i] = e.key
	}
	return keys
}

func (m *Map) find(k string) int {
	if m.index != nil {
		if i, ok := m.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range m.entries {
		if m.entries[i].key == k {
			return i
		}
	}
	return -1
}

// Get returns the value of k.
func (m *Map) Get(k string) (interface{}, bool) {
	if i := m.find(k); i >= 0 {
		return m.entries[i].value, true
	}
	return nil, false
}

// Set sets k to v: a new key goes last, an existing one keeps its place.
func (m *Map) Set(k string, v interface{}) {
	if i := m.find(k); i >= 0 {
		m.entries[i].value = v
		return
	}
	m.entries = append(m.entries, mapEntry{k, v})
	switch {
	case m.index != nil:
		m.index[k] = len(m.entries) - 1
	case len(m.entries) > indexFrom:
		m.reindex()
	}
}

// Delete removes k.
func (m *Map) Delete(k string) {
	i := m.find(k)
	if i < 0 {
		return
	}
	m.entries = append(m.entries[:i:i], m.entries[i+1:]...)
	if m.index != nil {
		m.reindex()
	}
}

func (m *Map) reindex() {
	m.index = make(map[string]int, len(m.entries))
	for i, e := range m.entries {
		m.index[e.key] = i
	}
}

// MarshalJSON writes the object in its key order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range m.entries {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(e.key)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(e.value)
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
	entries := append([]mapEntry(nil), m.entries...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	var b bytes.Buffer
	b.WriteString("map[")
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%v", e.key, e.value)
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
		out := make([]reflect.Value, len(m.entries))
		for i, e := range m.entries {
			out[i] = reflect.ValueOf(e.key)
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
		val, found := m.Get(k)
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
		for _, e := range ma.entries {
			vb, found := mb.Get(e.key)
			if !found || !DeepEqual(e.value, vb) {
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
