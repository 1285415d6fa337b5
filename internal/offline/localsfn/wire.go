package localsfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/smithy-go/middleware"
	smithytime "github.com/aws/smithy-go/time"
)

// The AWS JSON 1.0 protocol carries the SDK's own shapes: a member is its Go field name with a
// lower-case first letter (stateMachineArn), a timestamp is epoch seconds with milliseconds as the
// fraction, and an absent optional member (a nil pointer, slice or map, an empty enum) is left out.
// The SDK's structs carry no JSON tags, so these two functions walk them by reflection; the wire
// test checks every field of every served operation against the SDK's own serializers and
// deserializers. Nothing else in the package encodes or decodes an SDK type.

var (
	timeType     = reflect.TypeFor[time.Time]()
	metadataType = reflect.TypeFor[middleware.Metadata]()
)

// unmarshalWire decodes one JSON 1.0 object into dst, a pointer to an SDK struct. Unknown
// members are ignored and null means absent, as the service treats them.
func unmarshalWire(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Errorf("the body is %s, not a JSON object", jsonKind(v))
	}
	return assign(reflect.ValueOf(dst).Elem(), v, "")
}

// assign stores the decoded JSON value v in dst; path names the member for errors.
func assign(dst reflect.Value, v any, path string) error {
	if v == nil {
		return nil
	}
	typ := dst.Type()
	mismatch := func(want string) error {
		return fmt.Errorf("%s: want %s, got %s", displayPath(path), want, jsonKind(v))
	}
	if typ == timeType {
		n, ok := v.(json.Number)
		if !ok {
			return mismatch("a timestamp in epoch seconds")
		}
		f, err := n.Float64()
		if err != nil {
			return mismatch("a timestamp in epoch seconds")
		}
		dst.Set(reflect.ValueOf(smithytime.ParseEpochSeconds(f)))
		return nil
	}
	switch typ.Kind() {
	case reflect.Pointer:
		elem := reflect.New(typ.Elem())
		if err := assign(elem.Elem(), v, path); err != nil {
			return err
		}
		dst.Set(elem)
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return mismatch("an object")
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() || f.Type == metadataType {
				continue
			}
			name := memberName(f.Name)
			if err := assign(dst.Field(i), obj[name], joinPath(path, name)); err != nil {
				return err
			}
		}
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return mismatch("a string")
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return mismatch("a boolean")
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return mismatch("an integer")
		}
		i, err := strconv.ParseInt(string(n), 10, typ.Bits())
		if err != nil {
			return mismatch(fmt.Sprintf("an integer of %d bits", typ.Bits()))
		}
		dst.SetInt(i)
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return mismatch("a number")
		}
		f, err := strconv.ParseFloat(string(n), typ.Bits())
		if err != nil {
			return mismatch("a number")
		}
		dst.SetFloat(f)
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return mismatch("an array")
		}
		s := reflect.MakeSlice(typ, len(arr), len(arr))
		for i, item := range arr {
			if err := assign(s.Index(i), item, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		dst.Set(s)
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok || typ.Key().Kind() != reflect.String {
			return mismatch("an object")
		}
		m := reflect.MakeMapWithSize(typ, len(obj))
		for k, item := range obj {
			elem := reflect.New(typ.Elem()).Elem()
			if err := assign(elem, item, joinPath(path, k)); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(typ.Key()), elem)
		}
		dst.Set(m)
	default:
		return fmt.Errorf("%s: the local Step Functions cannot decode a %s", displayPath(path), typ)
	}
	return nil
}

// marshalWire encodes src, a pointer to an SDK struct, as the JSON 1.0 protocol sends it.
// ResultMetadata and unexported fields never go on the wire.
func marshalWire(src any) ([]byte, error) {
	v, ok, err := wireValue(reflect.ValueOf(src))
	if err != nil {
		return nil, err
	}
	if !ok {
		v = map[string]any{}
	}
	return json.Marshal(v)
}

// wireValue turns one Go value into what encoding/json writes for it on the wire; ok is false
// for an absent optional member.
func wireValue(v reflect.Value) (out any, ok bool, err error) {
	typ := v.Type()
	if typ == timeType {
		return smithytime.FormatEpochSeconds(v.Interface().(time.Time)), true, nil
	}
	switch typ.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false, nil
		}
		return wireValue(v.Elem())
	case reflect.Struct:
		obj := map[string]any{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() || f.Type == metadataType {
				continue
			}
			member, ok, err := wireValue(v.Field(i))
			if err != nil {
				return nil, false, fmt.Errorf("%s.%s: %w", typ.Name(), f.Name, err)
			}
			if ok {
				obj[memberName(f.Name)] = member
			}
		}
		return obj, true, nil
	case reflect.String:
		// The SDK's value strings are enums, whose zero value means "not set"; every other
		// string member is a *string.
		return v.String(), v.Len() > 0, nil
	case reflect.Bool:
		return v.Bool(), true, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true, nil
	case reflect.Float32:
		return float32(v.Float()), true, nil
	case reflect.Float64:
		return v.Float(), true, nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, false, nil
		}
		arr := make([]any, v.Len())
		for i := range arr {
			item, _, err := wireValue(v.Index(i))
			if err != nil {
				return nil, false, err
			}
			arr[i] = item
		}
		return arr, true, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, false, nil
		}
		if typ.Key().Kind() != reflect.String {
			return nil, false, fmt.Errorf("cannot encode a %s", typ)
		}
		obj := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			item, _, err := wireValue(it.Value())
			if err != nil {
				return nil, false, err
			}
			obj[it.Key().String()] = item
		}
		return obj, true, nil
	}
	return nil, false, fmt.Errorf("cannot encode a %s", typ)
}

// memberName is a field's wire name: the Go name with its first letter in lower case.
func memberName(field string) string {
	r, size := utf8.DecodeRuneInString(field)
	return string(unicode.ToLower(r)) + field[size:]
}

func joinPath(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func displayPath(path string) string {
	if path == "" {
		return "the body"
	}
	return path
}

// jsonKind names a decoded JSON value's type for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
