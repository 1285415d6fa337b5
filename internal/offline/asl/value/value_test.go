package value

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestDecodeKeepsOrderAndAppendWritesIt(t *testing.T) {
	const in = `{"z":1,"a":{"y":[1,{"q":null,"b":true}],"x":"s"},"m":2.50,"big":12345678901234567890}`
	v, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Append(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip = %s, want %s", out, in)
	}
	m := map[string]any{"b": 1, "a": []any{"x"}}
	if out, _ := Append(nil, m); string(out) != `{"a":["x"],"b":1}` {
		t.Errorf("map = %s", out)
	}
	for _, bad := range []string{``, `{`, `{"a":1} 2`, `[1,]`, `{"a" 1}`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}

// Strings are written exactly as encoding/json writes them with HTML
// escaping off, which is what the engine printed before.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\n\r\t\x00\x1f", "<>&", "é✓😀", "bad\xffutf8", "\u2028\u2029", "\x7f"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := appendString(nil, s)
		if string(got) != string(bytes.TrimSpace(want.Bytes())) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want.Bytes())
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b")
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if got := appendString(nil, s); string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want.Bytes())
		}
	})
}

func TestDecodeRefusesDeepNesting(t *testing.T) {
	deep := bytes.Repeat([]byte("["), maxDepth+2)
	if _, err := Decode(deep); err == nil {
		t.Error("a nesting deeper than encoding/json allows was accepted")
	}
}
